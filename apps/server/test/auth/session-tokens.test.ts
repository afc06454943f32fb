import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SESSION_TTL_MS, SessionTokens } from '../../src/auth/session-tokens.ts';
import { Sealer } from '../../src/lib/sealing.ts';

const secret = randomBytes(32);
const claims = { userId: '6f1c1b1e-0000-4000-8000-000000000001', discordId: 'guest:abc', name: 'Ada', avatar: null };

describe('session tokens', () => {
  it('verify what they signed, until they expire', () => {
    let now = 1_000_000;
    const tokens = new SessionTokens(secret, { now: () => now });
    const { token, expiresAt } = tokens.sign(claims);
    expect(expiresAt).toBe(1_000_000 + SESSION_TTL_MS);
    expect(tokens.verify(token)).toEqual({ ok: true, claims, expiresAt });
    now = expiresAt;
    expect(tokens.verify(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('reject a token sealed with another secret, or changed anywhere', () => {
    const tokens = new SessionTokens(secret);
    const other = new SessionTokens(randomBytes(32));
    const { token } = tokens.sign(claims);
    expect(other.verify(token)).toEqual({ ok: false, reason: 'signature' });
    const raw = Buffer.from(token, 'base64url');
    for (const at of [0, 5, 20, raw.length - 1]) {
      const changed = Buffer.from(raw);
      changed[at] = (changed[at] ?? 0) ^ 1;
      expect(tokens.verify(changed.toString('base64url'))).toEqual({ ok: false, reason: 'signature' });
    }
    expect(tokens.verify(token.slice(0, -2))).toEqual({ ok: false, reason: 'signature' });
    expect(tokens.verify('not a token')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('hide their claims from whoever holds them', () => {
    const { token } = new SessionTokens(secret).sign({ ...claims, name: 'Ada Lovelace' });
    expect(Buffer.from(token, 'base64url').toString('latin1')).not.toContain('Ada');
  });

  it('open under SECRET_KEY_PREVIOUS after a rotation, and only for sessions', () => {
    const before = new Sealer(secret);
    const { token } = new SessionTokens(before).sign(claims);
    const rotated = new Sealer(randomBytes(32), secret);
    expect(new SessionTokens(rotated).verify(token)).toMatchObject({ ok: true, claims });
    // The same key, another purpose: a session token is no stream id or Plex token.
    expect(before.open('stream-id', token)).toBeUndefined();
  });
});
