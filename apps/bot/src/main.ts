/** Runs the bot: `pnpm --filter @dpp/bot start` (or the bot image). */
import { createBot } from './bot.ts';
import { ConfigError, loadConfig } from './config.ts';
import { startBotErrorReporting } from './error-reporting.ts';
import { ModuleLoadError } from './loader.ts';
import { createLogger } from './logger.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const log = createLogger(config.logLevel);
// Loaded only with SENTRY_DSN: a bot without it never loads the SDK.
const errors = await startBotErrorReporting(config);
// The bot stays up through failures of single handlers: log (and report) them and carry on.
process.on('unhandledRejection', (reason) => {
  log.error({ err: reason }, 'unhandled rejection');
  errors?.capture(reason, { service: 'bot', kind: 'unhandled_rejection' });
});

try {
  const bot = await createBot({ config, log, ...(errors ? { errors } : {}) });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await bot.stop();
    await errors?.close(2000);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  log.info({ serverUrl: config.serverUrl, discordApiUrl: config.discordApiUrl }, 'starting');
  await bot.start();
} catch (error) {
  errors?.capture(error, { service: 'bot', kind: 'start' });
  await errors?.flush(2000);
  log.fatal(
    { err: error },
    error instanceof ModuleLoadError ? 'a command or event module is malformed' : 'could not start',
  );
  process.exit(1);
}
