import { LRUCache } from 'lru-cache';
import { TokenBucket } from './token-bucket.ts';

export type Admission = { ok: true } | { ok: false; reason: 'too_many_open' | 'too_many_attempts' };

const ATTEMPTS_PER_SOCKET_PER_MINUTE = 4;
/** Addresses whose attempt budgets are remembered; one untouched for a minute has a full bucket anyway. */
const TRACKED_ADDRESSES = 100_000;

/**
 * Per client address: how many room sockets it holds open, and how often it may try to open one
 * (a token bucket of 4× the open cap, refilled over a minute). Per instance: a client spread over
 * several instances gets each one's budget, which still bounds what one address costs any instance.
 */
export class AddressCaps {
  private readonly open = new Map<string, number>();
  private readonly attempts: LRUCache<string, TokenBucket>;

  constructor(
    private readonly maxOpen: number,
    private readonly now: () => number = Date.now,
  ) {
    this.attempts = new LRUCache({ max: TRACKED_ADDRESSES, ttl: 60_000, ttlAutopurge: false, updateAgeOnGet: true });
  }

  /** Counts an attempt from `address`; when admitted, the socket counts as open until `release`. */
  admit(address: string): Admission {
    const perMinute = this.maxOpen * ATTEMPTS_PER_SOCKET_PER_MINUTE;
    let bucket = this.attempts.get(address);
    if (!bucket) {
      bucket = new TokenBucket(perMinute, perMinute / 60, this.now);
      this.attempts.set(address, bucket);
    }
    if (!bucket.take()) return { ok: false, reason: 'too_many_attempts' };
    const open = this.open.get(address) ?? 0;
    if (open >= this.maxOpen) return { ok: false, reason: 'too_many_open' };
    this.open.set(address, open + 1);
    return { ok: true };
  }

  release(address: string): void {
    const open = (this.open.get(address) ?? 0) - 1;
    if (open > 0) this.open.set(address, open);
    else this.open.delete(address);
  }

  openCount(address: string): number {
    return this.open.get(address) ?? 0;
  }
}
