import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenCipher, TokenDecryptionError } from '../../src/plex/token-crypto.ts';

const secret = randomBytes(32);
const token = 'xPlexTokenAbc123-_';

describe('Plex token encryption', () => {
  const cipher = new TokenCipher(secret);

  it('round-trips a token', () => {
    expect(cipher.decrypt(cipher.encrypt(token))).toBe(token);
  });

  it('stores a versioned base64 of iv | tag | ciphertext, without the token in it', () => {
    const stored = cipher.encrypt(token);
    expect(stored).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    const raw = Buffer.from(stored.slice(3), 'base64');
    expect(raw.length).toBe(12 + 16 + Buffer.byteLength(token));
    expect(stored).not.toContain(token);
    expect(raw.includes(Buffer.from(token))).toBe(false);
  });

  it('uses a fresh IV every time', () => {
    const values = new Set(Array.from({ length: 50 }, () => cipher.encrypt(token)));
    const ivs = new Set([...values].map((v) => Buffer.from(v.slice(3), 'base64').subarray(0, 12).toString('hex')));
    expect(values.size).toBe(50);
    expect(ivs.size).toBe(50);
  });

  it('rejects a value altered anywhere (iv, tag or ciphertext) with a typed error', () => {
    const raw = Buffer.from(cipher.encrypt(token).slice(3), 'base64');
    for (const at of [0, 11, 12, 27, 28, raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      expect(() => cipher.decrypt(`v1:${tampered.toString('base64')}`)).toThrow(TokenDecryptionError);
    }
  });

  it('rejects truncated values, unknown versions and values made with another SECRET_KEY', () => {
    const stored = cipher.encrypt(token);
    expect(() => cipher.decrypt(stored.slice(0, 20))).toThrow(TokenDecryptionError);
    expect(() => cipher.decrypt(`v2:${stored.slice(3)}`)).toThrow(TokenDecryptionError);
    expect(() => cipher.decrypt(token)).toThrow(TokenDecryptionError);
    expect(() => new TokenCipher(randomBytes(32)).decrypt(stored)).toThrow(TokenDecryptionError);
  });
});
