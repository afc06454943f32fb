import { setTimeout as sleep } from 'node:timers/promises';
import { BOT_API_HEADERS } from '@dpp/shared';
import type { FastifyRequest } from 'fastify';
import type { Cache } from '../infra/cache.ts';
import { HttpError } from '../lib/errors.ts';

/** Retried requests (same Idempotency-Key from the bot) are applied once within this window. */
const ANSWER_TTL_MS = 10 * 60_000;
/** A claim whose request never finished (its instance died) stops holding the key after this. */
const CLAIM_TTL_MS = 30_000;
const POLL_MS = 20;

type Slot<T> = { state: 'applying' } | { state: 'done'; answer: T };

/** The key of a bot request for the acting user and room, or undefined when the bot sent none (or a bad one). */
export function idempotencyKey(request: FastifyRequest, roomId: string, route: string): string | undefined {
  const key = request.headers[BOT_API_HEADERS.idempotencyKey];
  if (typeof key !== 'string' || !key || key.length > 200) return undefined;
  return `botidem:${request.session.discordId}:${roomId}:${route}:${key}`;
}

/**
 * Applies a request once per idempotency key: the first claims the key atomically (`setIfAbsent`,
 * Redis `SET NX` across instances) and stores its answer; a retry that comes while it runs waits for
 * that answer, one that comes later gets it at once. A request that fails releases its claim, so a
 * retry then applies it afresh. Without a key the request is simply applied.
 */
export async function applyOnce<T>(cache: Cache, key: string | undefined, apply: () => Promise<T>): Promise<T> {
  if (key === undefined) return apply();
  const deadline = Date.now() + CLAIM_TTL_MS;
  for (;;) {
    if (await cache.setIfAbsent<Slot<T>>(key, { state: 'applying' }, CLAIM_TTL_MS)) {
      let answer: T;
      try {
        answer = await apply();
      } catch (error) {
        await cache.delete(key);
        throw error;
      }
      await cache.set<Slot<T>>(key, { state: 'done', answer }, ANSWER_TTL_MS);
      return answer;
    }
    const slot = await cache.get<Slot<T>>(key);
    if (slot?.state === 'done') return slot.answer;
    if (Date.now() > deadline) {
      throw new HttpError(409, 'conflict', 'The same request is still being applied; try again in a moment.');
    }
    // Another request holds the key and is still applying it (or just released it: then claim it again).
    if (slot) await sleep(POLL_MS);
  }
}
