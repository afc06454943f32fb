import type { FastifyServerOptions } from 'fastify';
import type { Config } from '../config.ts';

/** Paths pino removes from every log line: tokens, keys and credentials never reach the logs. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-plex-token"]',
  'headers.authorization',
  '*.token',
  '*.accessToken',
  '*.plexToken',
  '*.secret',
  '*.password',
];

export function loggerOptions(config: Pick<Config, 'logLevel'>): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT, censor: '[redacted]' },
    // Query strings can carry tokens (Plex's X-Plex-Token): log the path only.
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url.split('?')[0],
      }),
    },
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } } : {}),
  };
}
