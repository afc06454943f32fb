/**
 * The bot as a guest of the server's process (BOT_MODE=embedded, the single-container release): the
 * server hands over the settings it already holds and its own loopback address. The bot still reaches
 * the server only through its HTTP API, exactly as in its own process.
 */
import type { ErrorReporter } from '@dpp/shared';
import { type Bot, createBot } from './bot.ts';
import type { BotConfig } from './config.ts';
import { createLogger } from './logger.ts';

export type { Bot, BotConfig };

/**
 * Builds the bot; the caller starts it (`start()`) once the server listens, and stops it before
 * closing. `errors`: the server's error reporting, which the bot shares in the server's process.
 */
export async function createEmbeddedBot(config: BotConfig, errors?: ErrorReporter): Promise<Bot> {
  const log = createLogger(config.logLevel).child({ mode: 'embedded' });
  return createBot({ config, log, ...(errors ? { errors } : {}) });
}
