import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ArtIds } from '../../src/library/art-ids.ts';

const DAY = 24 * 60 * 60_000;
const target = { source: 'srv-1', ref: '/library/metadata/42/thumb/1700000000', size: 'poster' as const };

describe('art ids', () => {
  // A fixed key keeps the ids deterministic: with a random one, a short piece such as '42' turns up
  // in the base64 of the ciphertext by chance in a few runs out of a hundred.
  const ids = new ArtIds(Buffer.alloc(32, 1));
  const now = Date.UTC(2025, 0, 10, 12);

  it('open to what they were issued for', () => {
    const id = ids.issue(target, now);
    expect(ids.open(id, now)).toEqual({ ok: true, target, expiresAt: Date.UTC(2025, 0, 12) });
  });

  it('reveal nothing of the Plex path', () => {
    const id = ids.issue(target, now);
    expect(id).toMatch(/^[\w-]+$/);
    const decoded = Buffer.from(id, 'base64url').toString('latin1');
    for (const piece of ['library', 'metadata', '42', 'thumb', 'srv-1', 'poster']) {
      expect(id).not.toContain(piece);
      expect(decoded).not.toContain(piece);
    }
  });

  it('are stable within a day (browser caching) and differ per image and size', () => {
    const id = ids.issue(target, now);
    expect(ids.issue(target, now + 3600_000)).toBe(id);
    expect(ids.issue({ ...target, size: 'backdrop' }, now)).not.toBe(id);
    expect(ids.issue({ ...target, ref: '/library/metadata/43/thumb/1' }, now)).not.toBe(id);
  });

  it('expire one to two days after issue', () => {
    const id = ids.issue(target, now);
    expect(ids.open(id, now + DAY).ok).toBe(true);
    expect(ids.open(id, now + 2 * DAY)).toEqual({ ok: false, reason: 'expired' });
  });

  it('reject altered, foreign and malformed ids', () => {
    const id = ids.issue(target, now);
    const raw = Buffer.from(id, 'base64url');
    for (const at of [0, 12, 30, raw.length - 1]) {
      const altered = Buffer.from(raw);
      altered[at] = (altered[at] ?? 0) ^ 0x40;
      expect(ids.open(altered.toString('base64url'), now)).toEqual({ ok: false, reason: 'invalid' });
    }
    expect(new ArtIds(randomBytes(32)).open(id, now)).toEqual({ ok: false, reason: 'invalid' });
    for (const bad of ['', 'x', `${id}!`, id.slice(0, 20)]) expect(ids.open(bad, now).ok).toBe(false);
  });
});
