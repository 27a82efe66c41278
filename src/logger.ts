import pino, { type Logger } from 'pino';

/**
 * Structured logs with secrets and personal data redacted wherever they could appear as a
 * field. URLs are logged without their query string (the text protocol's GET carries the key).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'key',
          'cf',
          'token',
          'pec',
          'password',
          'authorization',
          '*.key',
          '*.cf',
          '*.token',
          '*.pec',
          '*.password',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
