import fp from 'fastify-plugin';
import { bearerToken, sameSecret } from '../auth/plugin.ts';
import { createMetrics, type Metrics } from '../infra/metrics.ts';
import { HttpError } from '../lib/errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/**
 * Prometheus metrics: a registry per app, request counting, and `GET /metrics`, which asks for
 * `Authorization: Bearer <METRICS_TOKEN>` when that is set (keep /metrics off the public internet
 * anyway: it names routes, rooms counts and cache behaviour).
 */
export default fp(
  async (app) => {
    const metrics = createMetrics();
    app.decorate('metrics', metrics);

    app.addHook('onResponse', async (request, reply) => {
      metrics.httpRequests.inc({
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: `${Math.floor(reply.statusCode / 100)}xx`,
      });
      if (reply.statusCode === 429) metrics.rateLimited.inc({ scope: 'http' });
    });

    const token = app.config.metricsToken;
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (token !== undefined) {
        const given = bearerToken(request);
        if (given === undefined || !sameSecret(given, token)) {
          reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new HttpError(401, 'unauthorized', 'Send Authorization: Bearer <METRICS_TOKEN> to read the metrics.');
        }
      }
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  },
  { name: 'metrics', dependencies: ['config'] },
);
