import { CLIENT_ERRORS_PATH, clientConfigSchema, errorResponses } from '@dpp/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpError } from '../lib/errors.ts';

/** An envelope the activity sends is one error with its breadcrumbs: a few KiB, far below this. */
const ENVELOPE_LIMIT_BYTES = 256 * 1024;

/**
 * What the activity asks before signing in (`GET /api/client-config`), and, when SENTRY_DSN is set,
 * the tunnel its error reports come through (`POST /api/client-errors`): the server scrubs them again
 * with its own secrets and sends them on with its DSN, so the DSN's key never reaches a browser and
 * the activity needs no origin but its own (inside Discord, nothing else is reachable anyway).
 */
const clientRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/client-config',
    {
      schema: {
        tags: ['activity'],
        summary: 'What the activity needs before signing in (whether it reports errors)',
        response: { 200: clientConfigSchema },
      },
    },
    async () => ({
      errorReporting: app.config.sentry
        ? { environment: app.config.sentry.environment, tunnel: CLIENT_ERRORS_PATH }
        : null,
    }),
  );

  const reporter = app.errorReporting;
  if (!reporter) return;
  // Browsers send the envelope as text/plain (a CORS-simple request); Sentry's own type is accepted too.
  app.addContentTypeParser('application/x-sentry-envelope', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  app.post(
    CLIENT_ERRORS_PATH,
    {
      bodyLimit: ENVELOPE_LIMIT_BYTES,
      schema: {
        tags: ['activity'],
        summary: "The activity's error reports (a Sentry envelope), passed on to Sentry when SENTRY_DSN is set",
        body: z.string().min(1),
        response: { 200: z.object({}), ...errorResponses(400) },
      },
    },
    async (request) => {
      if (!(await reporter.forwardEnvelope(request.body))) {
        throw new HttpError(400, 'bad_request', 'Not a Sentry envelope.');
      }
      return {};
    },
  );
};

export default clientRoutes;
