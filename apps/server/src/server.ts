import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { maskCredentials } from './lib/redact.ts';

/** Entry point: validate the environment, build the app, listen, and close cleanly on a signal. */
async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }

  const app = await buildApp({ config, reportProcessErrors: true });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    timer.unref();
    try {
      await app.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(`Discord Plex Player is serving ${config.publicUrl} (listening on ${config.host}:${config.port})`);
}

main().catch((error: unknown) => {
  // A driver's error can quote the connection string it was given: mask the password in it.
  process.stderr.write(`Failed to start: ${maskCredentials(error instanceof Error ? error.message : String(error))}\n`);
  process.exit(1);
});
