import { type NodeErrorReporter, startErrorReporting } from '@dpp/error-reporting';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Undefined unless SENTRY_DSN is set: then the Sentry SDK is never loaded. The error handler
     * reports 5xx answers here, the embedded bot its failures, and the activity's tunnel forwards.
     */
    errorReporting: NodeErrorReporter | undefined;
  }
}

/** Every secret this server holds, as text: none of them may appear in an error report. */
export function serverSecrets(config: Config): (string | undefined)[] {
  const password = (url: string | undefined) => {
    try {
      return url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
    } catch {
      return undefined;
    }
  };
  return [
    config.plex?.token,
    config.secretKey.toString('base64'),
    config.previousSecretKey?.toString('base64'),
    config.botApiToken,
    config.metricsToken,
    config.discord?.botToken,
    config.discord?.clientSecret,
    config.database.kind === 'postgres' ? password(config.database.url) : undefined,
    password(config.redisUrl),
  ];
}

/**
 * Sentry error reporting, opt-in: with SENTRY_DSN set, 5xx answers (by route pattern, never headers,
 * cookies or query) and, from the entry point, uncaught errors go to Sentry, scrubbed of every secret
 * the server holds and of anything that looks like a token. Unset: no SDK, no hook, nothing sent.
 */
export default fp<{ processErrors?: boolean }>(
  async (app, options) => {
    app.decorate('errorReporting', undefined);
    const sentry = app.config.sentry;
    if (!sentry) return;
    const reporter = await startErrorReporting({
      dsn: sentry.dsn,
      environment: sentry.environment,
      service: 'server',
      secrets: () => serverSecrets(app.config),
      // Reported, then the process ends as Node would have ended it.
      ...(options.processErrors ? { processErrors: 'exit' as const } : {}),
    });
    app.errorReporting = reporter;
    app.addHook('onClose', async () => {
      await reporter.close(2000);
    });
  },
  { name: 'error-reporting', dependencies: ['config'] },
);
