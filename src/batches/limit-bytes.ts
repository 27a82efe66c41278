import { Transform, finished, type Readable } from 'node:stream';
import { BatchError } from './batch-error.ts';

/**
 * The upload as the parsers read it: the body counted on its way (fails with a `too_large`
 * BatchError past maxBytes, whatever Content-Length said), and failing too when the client goes
 * away mid-upload. The body is piped, not destroyed, on failure: the 413 still has to be sent
 * on its socket.
 */
export function limitedInput(body: Readable, maxBytes: number, tap?: (chunk: Buffer) => void): Transform {
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      tap?.(chunk);
      if (seen > maxBytes) callback(new BatchError('too_large', `the upload is over ${maxBytes} bytes`));
      else callback(null, chunk);
    },
  });
  finished(body, (error) => {
    if (error && !counted.destroyed) counted.destroy(new BatchError('invalid', 'the upload was interrupted'));
  });
  counted.on('close', () => body.unpipe(counted));
  return body.pipe(counted);
}
