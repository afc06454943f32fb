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

/**
 * A request path as logs show it: no query string (Plex's X-Plex-Token can travel in one), and stream
 * and art ids (credentials: whoever holds one may fetch the media) cut to a short prefix.
 */
export function loggedPath(url: string): string {
  return (url.split('?')[0] ?? '').replace(/^(\/api\/(?:stream|art)\/)([^/]{8})[^/]*/, '$1$2…');
}

export function loggerOptions(config: Pick<Config, 'logLevel'>): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACT, censor: '[redacted]' },
    // Query strings can carry tokens (Plex's X-Plex-Token): log the path only.
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        id: req.id,
        method: req.method,
        url: loggedPath(req.url),
      }),
    },
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } } : {}),
  };
}
