// The baseline: raw node:http answering a fixed protocol line, measured in the same run.
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
createServer((req, res) => {
  if (req.url === '/healthz') {
    res.end('ok');
    return;
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('WAIT|abcdefghijklmnopqrstuvwx');
  });
}).listen(port, '127.0.0.1');
