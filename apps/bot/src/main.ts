/** Runs the bot: `pnpm --filter @dpp/bot start` (or the bot image). */
import { createBot } from './bot.ts';
import { ConfigError, loadConfig } from './config.ts';
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
// The bot stays up through failures of single handlers: log them and carry on.
process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));

try {
  const bot = await createBot({ config, log });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    await bot.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  log.info({ serverUrl: config.serverUrl, discordApiUrl: config.discordApiUrl }, 'starting');
  await bot.start();
} catch (error) {
  log.fatal(
    { err: error },
    error instanceof ModuleLoadError ? 'a command or event module is malformed' : 'could not start',
  );
  process.exit(1);
}
