import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { plexServers } from '../../src/db/schema.ts';
import { Sealer } from '../../src/lib/sealing.ts';
import { PlexServerStore } from '../../src/plex/server-store.ts';
import { TokenCipher, TokenDecryptionError } from '../../src/plex/token-crypto.ts';

const secret = randomBytes(32);
const token = 'xPlexTokenAbc123-_';

/**
 * A row as the code before the sealing module stored it (`v1:` AES-256-GCM), written by that code
 * (TokenCipher at bb0b4af) with this SECRET_KEY: what an upgraded installation finds in its database.
 */
const LEGACY = {
  secretKey: Buffer.from('bGVnYWN5LWZpeHR1cmUta2V5LTMyLWJ5dGVzLWxvbmc=', 'base64'),
  stored: 'v1:XMmILd4Azj9wWNiKYu9G//sWZFVz183Wn+FKLL4SYdVYIyAWM2vkJBIMM1UKNZkxq1b8x7eaWZZX',
  token: 'plex-token-written-by-v1-code',
};

describe('Plex token encryption', () => {
  const cipher = new TokenCipher(secret);

  it('round-trips a token', () => {
    expect(cipher.decrypt(cipher.encrypt(token))).toBe(token);
    expect(cipher.open(cipher.encrypt(token))).toEqual({ token, stale: false });
  });

  it('stores no trace of the token, and a fresh nonce every time', () => {
    const values = new Set(Array.from({ length: 50 }, () => cipher.encrypt(token)));
    expect(values.size).toBe(50);
    for (const stored of values) {
      expect(stored).not.toContain(token);
      expect(Buffer.from(stored, 'base64url').includes(Buffer.from(token))).toBe(false);
    }
  });

  it('rejects a value altered anywhere with a typed error', () => {
    const raw = Buffer.from(cipher.encrypt(token), 'base64url');
    for (const at of [0, 1, 12, 13, 20, raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      expect(() => cipher.decrypt(tampered.toString('base64url'))).toThrow(TokenDecryptionError);
    }
  });

  it('rejects truncated values and values made with another SECRET_KEY', () => {
    const stored = cipher.encrypt(token);
    expect(() => cipher.decrypt(stored.slice(0, 20))).toThrow(TokenDecryptionError);
    expect(() => cipher.decrypt(token)).toThrow(TokenDecryptionError);
    expect(() => new TokenCipher(randomBytes(32)).decrypt(stored)).toThrow(TokenDecryptionError);
  });

  it('opens a token stored by the previous version (v1), and says to seal it again', () => {
    expect(new TokenCipher(LEGACY.secretKey).open(LEGACY.stored)).toEqual({ token: LEGACY.token, stale: true });
    // Also when SECRET_KEY was rotated since: the old key is SECRET_KEY_PREVIOUS.
    const rotated = new TokenCipher(new Sealer(randomBytes(32), LEGACY.secretKey), [randomBytes(32), LEGACY.secretKey]);
    expect(rotated.open(LEGACY.stored)).toEqual({ token: LEGACY.token, stale: true });
    expect(() => cipher.open(LEGACY.stored)).toThrow(TokenDecryptionError);
  });

  it('opens a token sealed under SECRET_KEY_PREVIOUS as stale', () => {
    const stored = new TokenCipher(secret).encrypt(token);
    const rotated = new TokenCipher(new Sealer(randomBytes(32), secret));
    expect(rotated.open(stored)).toEqual({ token, stale: true });
  });
});

describe('stored Plex tokens across an upgrade and a key rotation', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite', dataDir: undefined });
  });
  afterAll(() => database.close());

  const storedValue = async (id: string) =>
    (await database.db.select().from(plexServers).where(eq(plexServers.id, id)))[0]?.encryptedToken;

  it('reads a v1 row, then finds it sealed under the current key', async () => {
    const [row] = await database.db
      .insert(plexServers)
      .values({ name: 'Old', baseUrl: 'http://plex.lan:32400', machineId: 'm-legacy', encryptedToken: LEGACY.stored })
      .returning({ id: plexServers.id, updatedAt: plexServers.updatedAt });
    const current = randomBytes(32);
    // SECRET_KEY was rotated at the upgrade: the v1 row was written under what is now the previous key.
    const store = new PlexServerStore(
      database.db,
      new TokenCipher(new Sealer(current, LEGACY.secretKey), [current, LEGACY.secretKey]),
    );
    expect(await store.token(row!.id)).toBe(LEGACY.token);
    const resealed = await storedValue(row!.id);
    expect(resealed).not.toBe(LEGACY.stored);
    expect(resealed).not.toContain(LEGACY.token);
    // The current key alone now opens it: the old key can be dropped.
    expect(new TokenCipher(current).open(resealed!)).toEqual({ token: LEGACY.token, stale: false });
    expect(await store.token(row!.id)).toBe(LEGACY.token);
    expect(await storedValue(row!.id)).toBe(resealed);
    const after = await store.get(row!.id);
    expect(after?.updatedAt).toEqual(row!.updatedAt);
  });
});
