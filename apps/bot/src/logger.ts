import { type Logger, pino } from 'pino';
import type { BotConfig } from './config.ts';

/** pino JSON logs; pretty on a terminal. Tokens never reach the logs. */
export function createLogger(level: BotConfig['logLevel']): Logger {
  return pino({
    level,
    base: { app: 'bot' },
    redact: {
      paths: ['*.token', '*.botToken', '*.botApiToken', 'headers.authorization', '*.authorization'],
      censor: '[redacted]',
    },
    ...(process.stdout.isTTY ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } } : {}),
  });
}
