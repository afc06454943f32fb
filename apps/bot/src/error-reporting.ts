import { type NodeErrorReporter, startErrorReporting } from '@dpp/error-reporting';
import type { BotConfig } from './config.ts';

/**
 * The bot's own error reporting (its own process, with SENTRY_DSN): failed commands and event
 * handlers, unhandled rejections. Undefined without a DSN, and then the SDK is never loaded.
 * Embedded in the server, the bot reports through the server's instead.
 */
export async function startBotErrorReporting(config: BotConfig): Promise<NodeErrorReporter | undefined> {
  if (!config.sentry) return undefined;
  return startErrorReporting({
    dsn: config.sentry.dsn,
    environment: config.sentry.environment,
    service: 'bot',
    secrets: () => [config.botToken, config.botApiToken],
  });
}
