import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { maskCredentials } from './lib/redact.ts';

/** How long a signalled shutdown may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

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
  // A signal closes the app (sockets told to reconnect elsewhere, stores flushed); past the grace
  // period, or on a second signal, the process exits at once. Process errors stay with error reporting.
  closeWithGrace(
    {
      delay: SHUTDOWN_GRACE_MS,
      skip: ['uncaughtException', 'unhandledRejection', 'beforeExit'],
      // Called with a failed close's error, or a line ("second SIGTERM, exiting").
      logger: {
        error: (problem: unknown) =>
          problem instanceof Error
            ? app.log.error({ err: problem }, 'error while shutting down')
            : app.log.error(String(problem)),
      },
      onTimeout: () => app.log.error(`shutdown took longer than ${SHUTDOWN_GRACE_MS / 1000} s; exiting`),
    },
    async ({ signal }) => {
      app.log.info({ signal }, 'shutting down');
      await app.close();
    },
  );

  await app.listen({ port: config.port, host: config.host });
  app.log.info(`Discord Plex Player is serving ${config.publicUrl} (listening on ${config.host}:${config.port})`);
}

main().catch((error: unknown) => {
  // A driver's error can quote the connection string it was given: mask the password in it.
  process.stderr.write(`Failed to start: ${maskCredentials(error instanceof Error ? error.message : String(error))}\n`);
  process.exit(1);
});
