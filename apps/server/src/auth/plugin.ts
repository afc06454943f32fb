import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../lib/errors.ts';
import { DiscordProxyVerifier } from './discord-proxy.ts';
import { SessionTokens } from './session-tokens.ts';
import { upsertUser } from './users.ts';

/** The signed-in caller, set by `app.requireSession`. */
export interface Session {
  /** users.id */
  userId: string;
  discordId: string;
  name: string;
  avatar: string | null;
  /** A user's own session token, or the bot acting for a Discord user. */
  via: 'session' | 'bot';
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionTokens;
    /** preHandler: 401 unless the request carries a session token, or the bot token with X-Acting-User. */
    requireSession: preHandlerAsyncHookHandler;
  }
  interface FastifyRequest {
    /** Set by `app.requireSession`; only read it on routes that use that preHandler. */
    session: Session;
  }
}

/** A Discord id (a snowflake), as X-Acting-User and guild ids carry them. */
export const SNOWFLAKE = /^\d{5,25}$/;

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Compares a presented secret in constant time. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Discord user the bot acts for: set when the request carries the bot token and a valid X-Acting-User. */
export function botActingUser(request: FastifyRequest, botApiToken: string): string | undefined {
  const token = bearerToken(request);
  if (token === undefined || !sameSecret(token, botApiToken)) return undefined;
  const acting = request.headers['x-acting-user'];
  return typeof acting === 'string' && SNOWFLAKE.test(acting) ? acting : undefined;
}

/** Header values are Latin-1, Discord names are not: the bot sends the name URI-encoded. */
function headerName(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  let name = value;
  try {
    name = decodeURIComponent(value);
  } catch {
    // Not encoded: take it as it is.
  }
  return name.trim().slice(0, 100) || undefined;
}

/** Session tokens and the `requireSession` guard. */
export default fp(
  async (app) => {
    const sessions = new SessionTokens(app.sealer);
    // With DISCORD_PUBLIC_KEY, a Discord user's session counts only on requests Discord's activity
    // proxy signed for that same user: a stolen session token is useless outside their Discord client.
    const proxy = app.config.discordPublicKey ? new DiscordProxyVerifier(app.config.discordPublicKey) : undefined;
    app.decorate('sessions', sessions);
    app.decorateRequest('session', null as unknown as Session);

    const requireSession: preHandlerAsyncHookHandler = async (request) => {
      const token = bearerToken(request);
      if (!token)
        throw new HttpError(401, 'unauthorized', 'Sign in first: send Authorization: Bearer <session token>.');

      if (sameSecret(token, app.config.botApiToken)) {
        const acting = request.headers['x-acting-user'];
        if (typeof acting !== 'string' || !SNOWFLAKE.test(acting)) {
          throw new HttpError(
            400,
            'acting_user_required',
            'The bot must say who it acts for: X-Acting-User: <Discord user id>.',
          );
        }
        const user = await upsertUser(app.database.db, {
          discordId: acting,
          name: headerName(request.headers['x-acting-user-name']),
        });
        request.session = {
          userId: user.id,
          discordId: user.discordId,
          name: user.name,
          avatar: user.avatar,
          via: 'bot',
        };
        return;
      }

      const verified = sessions.verify(token);
      if (!verified.ok) {
        const message =
          verified.reason === 'expired' ? 'The session has expired; sign in again.' : 'The session token is not valid.';
        throw new HttpError(401, 'unauthorized', message);
      }
      if (proxy && !verified.claims.discordId.startsWith('guest:')) {
        const signed = proxy.check(request.headers);
        if (!signed.ok) {
          throw new HttpError(401, 'proxy_unverified', `The request did not come through Discord (${signed.reason}).`);
        }
        if (signed.userId !== verified.claims.discordId) {
          throw new HttpError(403, 'proxy_user_mismatch', 'Discord signed this request for another user.');
        }
      }
      request.session = { ...verified.claims, via: 'session' };
    };
    app.decorate('requireSession', requireSession);
  },
  { name: 'auth', dependencies: ['config', 'sealing', 'database'] },
);
