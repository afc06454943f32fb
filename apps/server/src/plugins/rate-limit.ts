import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { botActingUser } from '../auth/plugin.ts';
import { shortDigest } from '../lib/digest.ts';
import { HttpError } from '../lib/errors.ts';

/**
 * Whom a request counts against: the user the bot acts for (the bot speaks for everyone in a guild,
 * so one shared budget would let a busy server lock every user out), else the bearer token, else the
 * client address. Tokens are hashed: the counters' keys (in Redis) never hold a credential.
 */
export function rateLimitKey(request: FastifyRequest, botApiToken: string): string {
  const authorization = request.headers.authorization;
  if (typeof authorization !== 'string' || authorization === '') return `ip:${request.ip}`;
  const acting = botActingUser(request, botApiToken);
  return acting ? `bot-user:${acting}` : `token:${shortDigest(authorization)}`;
}

/**
 * Per-client HTTP rate limit on /api (the stream proxy, images and static files are exempt).
 * Counters live in Redis when REDIS_URL is set, so every instance agrees.
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
      // Media and images are exempt: a player asks for many segments, a library page for dozens of
      // posters, and both come by signed, expiring ids the server handed out.
      allowList: (request) =>
        !request.url.startsWith('/api/') ||
        request.url.startsWith('/api/stream/') ||
        request.url.startsWith('/api/art/'),
      keyGenerator: (request) => rateLimitKey(request, app.config.botApiToken),
      // The plugin throws what this returns: an HttpError, so the one error handler answers
      // 429 {error: {code: 'rate_limited', message}} like every other error.
      errorResponseBuilder: (_request, context) =>
        new HttpError(429, 'rate_limited', `Too many requests; try again in ${context.after}.`),
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'infra'] },
);
