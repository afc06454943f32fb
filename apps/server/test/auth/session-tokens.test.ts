import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey } from '../../src/auth/keys.ts';
import { SESSION_TTL_MS, SessionTokens } from '../../src/auth/session-tokens.ts';

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

  it('reject a token signed with another secret, or changed in any part', () => {
    const tokens = new SessionTokens(secret);
    const other = new SessionTokens(randomBytes(32));
    const { token } = tokens.sign(claims);
    expect(other.verify(token)).toEqual({ ok: false, reason: 'signature' });

    const [version, payload, mac] = token.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), name: 'Mallory' }),
    ).toString('base64url');
    expect(tokens.verify(`${version}.${forged}.${mac}`)).toEqual({ ok: false, reason: 'signature' });
    expect(tokens.verify(`${version}.${payload}.${mac.slice(0, -2)}`)).toEqual({ ok: false, reason: 'signature' });
    expect(tokens.verify(`v2.${payload}.${mac}`)).toEqual({ ok: false, reason: 'malformed' });
    expect(tokens.verify('not a token')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('are signed with a key derived from the secret, never the secret itself', () => {
    const { token } = new SessionTokens(secret).sign(claims);
    const [version, payload, mac] = token.split('.') as [string, string, string];
    const body = `${version}.${payload}`;
    expect(createHmac('sha256', secret).update(body).digest('base64url')).not.toBe(mac);
    expect(createHmac('sha256', deriveKey(secret, 'session-token v1')).update(body).digest('base64url')).toBe(mac);
    expect(deriveKey(secret, 'session-token v1')).not.toEqual(deriveKey(secret, 'stream-id v1'));
  });
});
