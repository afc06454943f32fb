import { randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { type App, buildTestApp, postgresDatabase, signIn } from '../library/support/test-app.ts';

const services = inject('services');
const DAY_MS = 24 * 3600 * 1000;
const GUILD_A = '111111111111111111';
const GUILD_B = '222222222222222222';
const GUILD_C = '333333333333333333';

/**
 * Plex as it is in 2026, on real PostgreSQL: JWT sign-in with this installation's device key, a
 * friend's shared server reached with its own access token (renewed when plex.tv rotates it), the
 * Plex JWT refreshed before expiry and after a 498, 429s waited out, legacy links upgraded.
 */
describe.skipIf(!services.postgres)('Plex JWT sign-in and shared servers', () => {
  let owner: FakePlex;
  let friend: FakePlex;
  let share: { rotate(token: string): void };
  let app: App;
  let drop = async () => {};
  let admin: { authorization: string; userId: string };

  const call = async <T>(method: 'GET' | 'POST', url: string, payload?: object, status = 200) => {
    const response = await app.inject({ method, url, payload, headers: { authorization: admin.authorization } });
    expect(response.statusCode, response.body).toBe(status);
    return response.json() as T;
  };
  const query = async <T>(statement: SQL) =>
    ((await app.database.db.execute(statement)) as unknown as { rows: T[] }).rows;
  const statuses = (fake: FakePlex, route: Parameters<FakePlex['counters']['requests']>[0]) =>
    fake.counters.requests(route).map((r) => r.status);

  /** Plays an item of a guild's library: the transcode's master playlist comes back from Plex. */
  const play = async (guildId: string, fake: FakePlex) => {
    const source = await app.library.sourceFor(guildId);
    const movie = fake.catalog.movies[0]!;
    const stream = await source.resolveStream(movie.ratingKey, '480p');
    if (stream.kind !== 'hls') throw new Error(`expected a transcode, got ${stream.kind}`);
    const master = await fetch(stream.url, { headers: stream.headers });
    expect(master.status).toBe(200);
    expect(await master.text()).toContain('#EXTM3U');
    return stream;
  };

  beforeAll(async () => {
    owner = await startFakePlex({ friendlyName: 'Basement Plex' });
    friend = await startFakePlex({ friendlyName: 'Friend Plex' });
    share = owner.share(friend, 'shared-token-1');
    const database = await postgresDatabase();
    drop = database.drop;
    app = await buildTestApp({
      DATABASE_URL: database.url,
      PLEX_TV_URL: owner.plexTvUrl,
      SECRET_KEY: randomBytes(32).toString('base64'),
    });
    admin = await signIn(app, 'Admin');
  });
  afterAll(async () => {
    await app?.close();
    await owner?.close();
    await friend?.close();
    await drop();
  });

  it('signs in with a PIN made with the device key and collected with a signed device JWT', async () => {
    const pin = await call<{ id: string }>('POST', '/api/plex/pins');
    const made = owner.pins.find(Number(pin.id))!;
    const jwk = made.jwk as { kid: string; x: string };
    owner.approvePin(pin.id);
    expect((await call<{ status: string }>('GET', `/api/plex/pins/${pin.id}`)).status).toBe('linked');

    const collected = owner.counters.requests('pinGet').at(-1)!;
    const deviceJwt = collected.query.deviceJWT!;
    expect(decodeProtectedHeader(deviceJwt)).toMatchObject({ alg: 'EdDSA', kid: jwk.kid, typ: 'JWT' });
    expect(decodeJwt(deviceJwt)).toMatchObject({ aud: 'plex.tv', iss: made.clientIdentifier });
    // plex.tv now knows the device key for this installation.
    expect(owner.plexTvAuth.devices.get(jwk.kid)?.clientIdentifier).toBe(made.clientIdentifier);
    // The key is kept once, its private half sealed.
    const keys = await query<{ kid: string; encrypted_private_key: string }>(sql`select * from plex_device_keys`);
    expect(keys.map((k) => k.kid)).toEqual([jwk.kid]);
    expect(keys[0]!.encrypted_private_key).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(keys[0]!.encrypted_private_key).not.toContain(jwk.x);
    expect(JSON.parse(app.plex.cipher.decrypt(keys[0]!.encrypted_private_key))).toMatchObject({ x: jwk.x });
  });

  it('lists owned and shared servers, links both, and plays from both with the right token', async () => {
    const pin = await call<{ id: string }>('POST', '/api/plex/pins');
    owner.approvePin(pin.id);
    const { discovered } = await call<{ discovered: { name: string; owned: boolean; machineIdentifier: string }[] }>(
      'GET',
      `/api/plex/servers?pinId=${pin.id}`,
    );
    expect(discovered.map(({ name, owned }) => ({ name, owned }))).toEqual([
      { name: 'Basement Plex', owned: true },
      { name: 'Friend Plex', owned: false },
    ]);
    await call(
      'POST',
      '/api/plex/servers',
      { pinId: pin.id, machineIdentifier: owner.machineIdentifier, guildId: GUILD_A },
      201,
    );
    await call(
      'POST',
      '/api/plex/servers',
      { pinId: pin.id, machineIdentifier: friend.machineIdentifier, guildId: GUILD_B },
      201,
    );

    const accounts = await query<{
      username: string;
      token_kind: string;
      encrypted_token: string;
      token_expires_at: Date;
    }>(sql`select * from plex_accounts`);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ username: 'fake-owner', token_kind: 'jwt' });
    expect(new Date(accounts[0]!.token_expires_at).getTime()).toBeGreaterThan(Date.now() + 6 * DAY_MS);
    const servers = await query<{ id: string; machine_id: string; owned: boolean; account_id: string | null }>(
      sql`select id, machine_id, owned, account_id from plex_servers order by created_at`,
    );
    expect(servers.map((s) => s.owned)).toEqual([true, false]);
    expect(servers.every((s) => s.account_id !== null)).toBe(true);
    expect(await app.plex.servers.token(servers[1]!.id)).toBe('shared-token-1');

    await play(GUILD_A, owner);
    await play(GUILD_B, friend);
    // The friend's server only ever saw its own shared token, never the account's JWT.
    const friendTokens = new Set(friend.counters.requests().map((r) => r.headers['x-plex-token']));
    expect(friendTokens).toEqual(new Set(['shared-token-1']));
  });

  it('asks plex.tv for the shared server’s new token when it rotates, and retries once', async () => {
    share.rotate('shared-token-2');
    friend.counters.reset();
    const before = owner.counters.calls('resources');
    await play(GUILD_B, friend);
    // One refusal of the old token, then everything on the new one.
    const answers = friend.counters.requests().map((r) => [r.status, r.headers['x-plex-token']]);
    expect(answers[0]).toEqual([401, 'shared-token-1']);
    expect(answers.slice(1).every(([status, token]) => status === 200 && token === 'shared-token-2')).toBe(true);
    expect(owner.counters.calls('resources')).toBe(before + 1);
    const [row] = await query<{ id: string }>(sql`select id from plex_servers where owned = false`);
    expect(await app.plex.servers.token(row!.id)).toBe('shared-token-2');
  });

  it('refreshes the Plex JWT a day before it expires, through a nonce and a signed device JWT', async () => {
    const [before] = await query<{ encrypted_token: string }>(sql`select encrypted_token from plex_accounts`);
    expect(await app.plex.credentials.refreshExpiring()).toBe(0);
    // Six and a half days on, for the server, the JWT has half a day left: it is refreshed.
    const credentials = app.plex.credentials as unknown as { now: () => number };
    const realNow = credentials.now;
    credentials.now = () => realNow() + 6.5 * DAY_MS;
    owner.plexTvAuth.advance(6.5 * DAY_MS);
    try {
      expect(await app.plex.credentials.refreshExpiring()).toBe(1);
    } finally {
      credentials.now = realNow;
      owner.plexTvAuth.advance(-6.5 * DAY_MS);
    }
    const exchanged = owner.counters.requests('authToken').at(-1)!;
    expect(exchanged.status).toBe(200);
    const [after] = await query<{ encrypted_token: string; token_expires_at: Date }>(
      sql`select encrypted_token, token_expires_at from plex_accounts`,
    );
    expect(after!.encrypted_token).not.toBe(before!.encrypted_token);
    expect(new Date(after!.token_expires_at).getTime()).toBeGreaterThan(Date.now() + 12 * DAY_MS);
  });

  it('answers a 498 with one refresh and a retry, and waits out a 429 as plex.tv asks', async () => {
    // plex.tv ends the JWT before the expiry we know of (clocks apart, a shortened lifetime): 498.
    owner.plexTvAuth.expireIssuedTokens();
    owner.inject({
      route: 'authNonce',
      times: 1,
      action: {
        kind: 'status',
        status: 429,
        headers: { 'retry-after': '0', 'content-type': 'application/json' },
        body: JSON.stringify({ errors: [{ code: 1003, message: 'Rate limit exceeded', status: 429 }] }),
      },
    });
    share.rotate('shared-token-3');
    owner.counters.reset();
    friend.counters.reset();
    await play(GUILD_B, friend);
    expect(statuses(owner, 'resources')).toEqual([498, 200]);
    expect(statuses(owner, 'authNonce')).toEqual([429, 200]);
    expect(statuses(owner, 'authToken')).toEqual([200]);
  });

  it('upgrades a legacy link: registers the key with the legacy token, then uses a Plex JWT', async () => {
    const legacy = await startFakePlex({ friendlyName: 'Old Plex' });
    const upgraded = await buildUpgradeTarget(legacy);
    try {
      const actor = await signIn(upgraded, 'Old admin');
      // A link made before JWTs: the owner's long-lived token, no account kept.
      const row = await upgraded.plex.servers.save({
        guildId: GUILD_C,
        name: 'Old Plex',
        baseUrl: legacy.url,
        machineId: legacy.machineIdentifier,
        token: legacy.userToken,
        actorId: actor.userId,
      });
      expect((await (await upgraded.library.sourceFor(GUILD_C)).sections()).length).toBeGreaterThan(0);

      expect(await upgraded.plex.credentials.upgradeLegacyLinks()).toBe(1);
      const register = legacy.counters.requests('authJwk').at(-1)!;
      expect(register.status).toBe(204);
      expect(register.headers['x-plex-token']).toBe(legacy.userToken);
      expect(statuses(legacy, 'authToken')).toEqual([200]);
      // plex.tv retired the legacy token; the server's token was asked for again with the JWT.
      expect(legacy.plexTvAuth.account.legacyToken).toBeNull();
      expect(await upgraded.plex.servers.token(row.id)).toBe(legacy.token);
      const accounts = await (upgraded.database.db.execute(
        sql`select token_kind from plex_accounts`,
      ) as unknown as Promise<{
        rows: { token_kind: string }[];
      }>);
      expect(accounts.rows).toEqual([{ token_kind: 'jwt' }]);
      // Nothing is left to upgrade, and the library keeps working on the renewed token.
      expect(await upgraded.plex.credentials.upgradeLegacyLinks()).toBe(0);
      expect((await (await upgraded.library.sourceFor(GUILD_C)).item(legacy.catalog.movies[1]!.ratingKey)).title).toBe(
        legacy.catalog.movies[1]!.title,
      );
    } finally {
      await upgraded.close();
      await legacy.close();
    }
  });

  /** An app whose plex.tv is the legacy server's fake (its own database). */
  async function buildUpgradeTarget(legacy: FakePlex): Promise<App> {
    return buildTestApp({
      DATABASE_URL: 'memory://',
      PLEX_TV_URL: legacy.plexTvUrl,
      SECRET_KEY: randomBytes(32).toString('base64'),
    });
  }
});
