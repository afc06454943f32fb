import rateLimit from '@fastify/rate-limit';
import fp from 'fastify-plugin';
import { errorBody } from '../lib/errors.ts';

/**
 * Per-client HTTP rate limit on /api (the stream proxy and static files are exempt: a player asks
 * for many segments). Counters live in Redis when REDIS_URL is set, so every instance agrees.
 */
export default fp(
  async (app) => {
    await app.register(rateLimit, {
      global: true,
      max: 300,
      timeWindow: '1 minute',
      redis: app.redis,
      nameSpace: 'dpp:rl:',
      skipOnError: true,
      allowList: (request) => !request.url.startsWith('/api/') || request.url.startsWith('/api/stream/'),
      keyGenerator: (request) => request.headers.authorization ?? request.ip,
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        ...errorBody('rate_limited', `Too many requests; try again in ${context.after}.`),
      }),
    });
  },
  { name: 'rate-limit', dependencies: ['infra'] },
);
