import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './demo-media.ts';
import { type FakePlex, NONCE_TTL_MS, startFakePlex } from './index.ts';

const JWKS_FILE = path.resolve(repoRoot, '../shared/reference/plex-jwks.json');
const AUTH_FILE = path.resolve(repoRoot, '../shared/reference/plex-authentication.yml');
const referencePresent = existsSync(JWKS_FILE) && existsSync(AUTH_FILE);
if (!referencePresent) console.warn(`\nSKIPPING the check against Plex's published keys: ${JWKS_FILE} is absent.\n`);

const CLIENT = 'jwt-test-device';

/** The fake plex.tv's JWT endpoints refuse what plex.tv documents it refuses, with its statuses. */
describe('fake plex.tv: JWT sign-in as Plex documents it', () => {
  let fake: FakePlex;
  let device: Awaited<ReturnType<typeof generateKeyPair>>;
  let jwk: { kty: string; crv: string; x: string; kid: string; alg: string };

  const tv = (route: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${fake.plexTvUrl}${route}`, {
      ...init,
      headers: { Accept: 'application/json', 'X-Plex-Client-Identifier': CLIENT, ...init.headers },
    });
  const post = (route: string, body: unknown, headers: Record<string, string> = {}) =>
    tv(route, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  const nonce = async () => ((await (await tv('/api/v2/auth/nonce')).json()) as { nonce: string }).nonce;
  const deviceJwt = async (
    claims: Record<string, string>,
    options: { aud?: string; iss?: string; kid?: string; key?: typeof device.privateKey; expiresIn?: number } = {},
  ) => {
    const iat = Math.floor(fake.plexTvAuth.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? jwk.kid })
      .setAudience(options.aud ?? 'plex.tv')
      .setIssuer(options.iss ?? CLIENT)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (options.expiresIn ?? 300))
      .sign(options.key ?? device.privateKey);
  };

  beforeAll(async () => {
    fake = await startFakePlex();
    device = await generateKeyPair('Ed25519', { extractable: true });
    const pub = await exportJWK(device.publicKey);
    jwk = { kty: 'OKP', crv: 'Ed25519', x: pub.x!, kid: await calculateJwkThumbprint(pub), alg: 'EdDSA' };
    // Registered with the account's legacy token (the upgrade path).
    const registered = await post('/api/v2/auth/jwk', { jwk }, { 'X-Plex-Token': fake.userToken });
    expect(registered.status).toBe(204);
  });
  afterAll(() => fake?.close());

  it('needs a client identifier for a nonce (422, as the live endpoint answers)', async () => {
    const response = await fetch(`${fake.plexTvUrl}/api/v2/auth/nonce`, { headers: { Accept: 'application/json' } });
    expect(response.status).toBe(422);
  });

  it('refuses a device JWT with the wrong aud, iss, key or signature, or without kid (422)', async () => {
    const other = await generateKeyPair('Ed25519');
    const cases = {
      aud: await deviceJwt({ nonce: await nonce() }, { aud: 'example.com' }),
      iss: await deviceJwt({ nonce: await nonce() }, { iss: 'another-device' }),
      kid: await deviceJwt({ nonce: await nonce() }, { kid: 'unknown-key' }),
      signature: await deviceJwt({ nonce: await nonce() }, { key: other.privateKey }),
      expired: await deviceJwt({ nonce: await nonce() }, { expiresIn: -60 }),
    };
    for (const [what, jwt] of Object.entries(cases)) {
      const response = await post('/api/v2/auth/token', { jwt });
      expect(response.status, what).toBe(422);
      expect(((await response.json()) as { errors: { code: number }[] }).errors[0]?.code, what).toBeGreaterThan(1000);
    }
    const noKid = await new SignJWT({ nonce: await nonce() })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setAudience('plex.tv')
      .setIssuer(CLIENT)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(device.privateKey);
    expect((await post('/api/v2/auth/token', { jwt: noKid })).status).toBe(422);
    expect((await post('/api/v2/auth/token', {})).status).toBe(400);
  });

  it('takes a nonce once, within its 5 minutes, and hands out a 7-day Plex JWT that opens the account', async () => {
    const stale = await nonce();
    fake.plexTvAuth.advance(NONCE_TTL_MS + 1000);
    expect((await post('/api/v2/auth/token', { jwt: await deviceJwt({ nonce: stale }) })).status).toBe(422);

    const fresh = await nonce();
    const ok = await post('/api/v2/auth/token', { jwt: await deviceJwt({ nonce: fresh, scope: 'username' }) });
    expect(ok.status).toBe(200);
    const { auth_token } = (await ok.json()) as { auth_token: string };
    expect((await post('/api/v2/auth/token', { jwt: await deviceJwt({ nonce: fresh }) })).status).toBe(422);

    const user = await tv('/api/v2/user', { headers: { 'X-Plex-Token': auth_token } });
    expect(user.status).toBe(200);
    // The JWT replaced the legacy token; the JWT also opens the Media Server.
    expect((await tv('/api/v2/user', { headers: { 'X-Plex-Token': fake.userToken } })).status).toBe(401);
    const pms = await fetch(`${fake.url}/library/sections`, { headers: { 'X-Plex-Token': auth_token } });
    expect(pms.status).toBe(200);

    // Seven days on it has expired: 498 on plex.tv and on the server.
    fake.plexTvAuth.advance(7 * 24 * 3600 * 1000 + 1000);
    expect((await tv('/api/v2/user', { headers: { 'X-Plex-Token': auth_token } })).status).toBe(498);
    expect((await fetch(`${fake.url}/library/sections`, { headers: { 'X-Plex-Token': auth_token } })).status).toBe(498);
  });

  it('refuses a key another device registered (422, thumbprint taken)', async () => {
    const response = await post(
      '/api/v2/auth/jwk',
      { jwk },
      {
        'X-Plex-Client-Identifier': 'someone-else',
        'X-Plex-Token': await fake.plexTvAuth.issue(fake.plexTvAuth.account),
      },
    );
    expect(response.status).toBe(422);
    expect(((await response.json()) as { errors: { message: string }[] }).errors[0]?.message).toMatch(/thumbprint/i);
    const pin = await post('/api/v2/pins', { jwk: { kty: 'RSA' }, strong: true });
    expect(pin.status).toBe(400);
  });

  it.skipIf(!referencePresent)('publishes its key set in the shape of plex.tv’s (the reference JWKS)', async () => {
    const reference = JSON.parse(readFileSync(JWKS_FILE, 'utf8')) as { keys: Record<string, string>[] };
    const ours = (await (await tv('/api/v2/auth/keys')).json()) as { keys: Record<string, string>[] };
    expect(ours.keys).toHaveLength(reference.keys.length);
    for (const [i, key] of ours.keys.entries()) {
      const theirs = reference.keys[i]!;
      expect(Object.keys(key).sort()).toEqual(Object.keys(theirs).sort());
      expect({ kty: key.kty, crv: key.crv, use: key.use, alg: key.alg }).toEqual({
        kty: theirs.kty,
        crv: theirs.crv,
        use: theirs.use,
        alg: theirs.alg,
      });
    }
    // The endpoints the fake implements are the ones the reference flows name.
    const flows = readFileSync(AUTH_FILE, 'utf8');
    for (const endpoint of [
      '/api/v2/pins',
      '/api/v2/auth/jwk',
      '/api/v2/auth/nonce',
      '/api/v2/auth/token',
      '/api/v2/auth/keys',
    ]) {
      expect(flows).toContain(endpoint);
    }
  });
});
