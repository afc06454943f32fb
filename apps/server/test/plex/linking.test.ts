import { randomBytes, randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { PlexServerStore } from '../../src/plex/server-store.ts';
import { TokenDecryptionError } from '../../src/plex/token-crypto.ts';
import { type App, buildTestApp, postgresDatabase, signIn } from '../library/support/test-app.ts';

const services = inject('services');

interface Row extends Record<string, unknown> {
  id: string;
  guild_id: string | null;
  base_url: string;
  machine_id: string;
  name: string;
  encrypted_token: string;
}

/**
 * Plex sign-in for admins, end to end through the API: PIN, discovery, choose and store (token
 * encrypted at rest), use it for the library, forget it. Once on PGlite, once on real PostgreSQL.
 */
describe.each([
  { database: 'PGlite', enabled: true },
  { database: 'PostgreSQL', enabled: services.postgres },
])('Plex linking on $database', ({ database, enabled }) => {
  let fake: FakePlex;
  let app: App;
  let drop = async () => {};
  let admin: { authorization: string; userId: string };
  const seen: string[] = [];

  const call = async <T>(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object, status = 200) => {
    const response = await app.inject({ method, url, payload, headers: { authorization: admin.authorization } });
    seen.push(response.body, JSON.stringify(response.headers));
    expect(response.statusCode, response.body).toBe(status);
    return (response.body ? response.json() : undefined) as T;
  };
  /** Raw SQL on the app's database (PGlite and node-postgres both answer `{ rows }`). */
  const query = async <T>(statement: SQL) =>
    ((await app.database.db.execute(statement)) as unknown as { rows: T[] }).rows;
  const rows = () => query<Row>(sql`select * from plex_servers order by created_at`);

  /** A PIN approved on the fake plex.tv, as a user would. */
  const linkedPin = async () => {
    const pin = await call<{ id: string; code: string; linkUrl: string; expiresAt: string }>('POST', '/api/plex/pins');
    fake.approvePin(pin.id);
    expect((await call<{ status: string }>('GET', `/api/plex/pins/${pin.id}`)).status).toBe('linked');
    return pin.id;
  };

  beforeAll(async () => {
    if (!enabled) return;
    fake = await startFakePlex({ friendlyName: 'Basement Plex' });
    let url = 'memory://';
    if (database === 'PostgreSQL') ({ url, drop } = await postgresDatabase());
    app = await buildTestApp({
      DATABASE_URL: url,
      PLEX_TV_URL: fake.plexTvUrl,
      SECRET_KEY: randomBytes(32).toString('base64'),
    });
    admin = await signIn(app, 'Admin');
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await drop();
  });

  it.skipIf(!enabled)('creates a PIN, polls it pending, then linked once approved on plex.tv', async () => {
    const pin = await call<{ id: string; code: string; linkUrl: string; expiresAt: string }>('POST', '/api/plex/pins');
    expect(pin.id).toMatch(/^\d+$/);
    const link = new URL(pin.linkUrl);
    expect(link.origin + link.pathname).toBe(`${fake.plexTvUrl}/auth`);
    const params = new URLSearchParams(link.hash.slice(2));
    expect(params.get('code')).toBe(pin.code);
    expect(params.get('clientID')).toMatch(/^dpp-[0-9a-f]{32}$/);
    const created = fake.counters.requests().findLast((r) => r.route === 'pinCreate')!;
    // A strong PIN made for JWT sign-in: it carries this installation's public key.
    const made = fake.pins.find(Number(pin.id))!;
    expect(made.strong).toBe(true);
    expect(made.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: expect.any(String) });
    expect(created.headers['x-plex-client-identifier']).toBe(params.get('clientID'));

    expect(await call('GET', `/api/plex/pins/${pin.id}`)).toMatchObject({ id: pin.id, status: 'pending' });
    fake.approvePin(pin.id);
    const linked = await call<{ status: string; expiresAt: string }>('GET', `/api/plex/pins/${pin.id}`);
    expect(linked.status).toBe('linked');
    expect(Date.parse(linked.expiresAt)).toBeGreaterThan(Date.now());
  });

  it.skipIf(!enabled)('keeps a PIN to the user who created it, and reports expiry', async () => {
    const pin = await call<{ id: string }>('POST', '/api/plex/pins');
    const other = await signIn(app, 'Someone else');
    const theirs = await app.inject({
      url: `/api/plex/pins/${pin.id}`,
      headers: { authorization: other.authorization },
    });
    expect(theirs.statusCode).toBe(404);
    fake.expirePin(pin.id);
    expect((await call<{ status: string }>('GET', `/api/plex/pins/${pin.id}`)).status).toBe('expired');
    const servers = await app.inject({
      url: `/api/plex/servers?pinId=${pin.id}`,
      headers: { authorization: admin.authorization },
    });
    expect(servers.statusCode).toBe(409);
    expect(servers.json().error.code).toBe('pin_not_linked');
  });

  it.skipIf(!enabled)('discovers the account’s servers with a working connection, and only servers', async () => {
    const pinId = await linkedPin();
    const body = await call<{ stored: unknown[]; discovered: unknown[] }>('GET', `/api/plex/servers?pinId=${pinId}`);
    // The fake's local https certificate is private, so the best connection that works is the remote one.
    expect(body.discovered).toEqual([
      {
        machineIdentifier: fake.machineIdentifier,
        name: 'Basement Plex',
        owned: true,
        connection: 'remote',
        secure: false,
      },
    ]);
    const probes = fake.counters.requests().filter((r) => r.route === 'identity');
    expect(new Set(probes.map((r) => r.connection))).toEqual(new Set(['remote', 'relay']));
    await call('GET', `/api/plex/servers?pinId=${pinId}`);
    expect(fake.counters.requests().filter((r) => r.route === 'identity')).toHaveLength(probes.length);
  });

  it.skipIf(!enabled)('stores the chosen server with its token encrypted at rest, audited', async () => {
    const pinId = await linkedPin();
    const stored = await call<{ id: string; name: string; machineIdentifier: string; guildId: string | null }>(
      'POST',
      '/api/plex/servers',
      { pinId, machineIdentifier: fake.machineIdentifier },
      201,
    );
    expect(stored).toMatchObject({ name: 'Basement Plex', machineIdentifier: fake.machineIdentifier, guildId: null });

    const [row] = await rows();
    expect(row).toMatchObject({ id: stored.id, guild_id: null });
    // The address is sealed too, bound to its row.
    expect(row!.base_url).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(row!.base_url).not.toContain(new URL(fake.connections.remote.uri).host);
    expect(app.plex.cipher.openAddress(row!.base_url, row!.id)).toEqual({
      address: fake.connections.remote.uri,
      stale: false,
    });
    expect(() => app.plex.cipher.openAddress(row!.base_url, randomUUID())).toThrow(TokenDecryptionError);
    expect(row!.encrypted_token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(row!.encrypted_token).not.toContain(fake.token);
    expect(Buffer.from(row!.encrypted_token, 'base64url').includes(Buffer.from(fake.token))).toBe(false);
    expect(app.plex.cipher.decrypt(row!.encrypted_token)).toBe(fake.token);

    const audit = await query<{ action: string; actor_id: string; details: Record<string, unknown> }>(
      sql`select action, actor_id, details from audit_log order by id`,
    );
    expect(audit).toEqual([
      {
        action: 'plex.server.link',
        actor_id: admin.userId,
        details: expect.objectContaining({ serverId: stored.id, machineId: fake.machineIdentifier }),
      },
    ]);

    // The library now plays from it.
    const sections = await call<{ source: { kind: string; name: string } }>('GET', '/api/library/sections');
    expect(sections.source).toEqual({ kind: 'plex', name: 'Basement Plex' });
    const listed = await call<{ stored: Array<{ id: string }> }>('GET', '/api/plex/servers');
    expect(listed.stored.map((s) => s.id)).toEqual([stored.id]);
  });

  it.skipIf(!enabled)('reads a server address stored in the clear by the previous version, and seals it', async () => {
    const [row] = await rows();
    const clear = fake.connections.remote.uri;
    // As the code before sealed addresses wrote it.
    await query(sql`update plex_servers set base_url = ${clear} where id = ${row!.id}`);
    const [before] = await query<{ updated_at: Date }>(sql`select updated_at from plex_servers where id = ${row!.id}`);

    // Listing reads it (and seals it again)...
    const listed = await call<{ stored: Array<{ id: string }> }>('GET', '/api/plex/servers');
    expect(listed.stored.map((s) => s.id)).toContain(row!.id);
    const [after] = await query<Row & { updated_at: Date }>(sql`select * from plex_servers where id = ${row!.id}`);
    expect(after!.base_url).not.toBe(clear);
    expect(after!.base_url).not.toContain(new URL(clear).host);
    expect(app.plex.cipher.openAddress(after!.base_url, row!.id)).toEqual({ address: clear, stale: false });
    // ...without making it look relinked.
    expect(after!.updated_at).toEqual(before!.updated_at);

    // A lookup by id (a fresh store, nothing memoised) of a clear row gets the address and seals it.
    await query(sql`update plex_servers set base_url = ${clear} where id = ${row!.id}`);
    const store = new PlexServerStore(app.database.db, app.plex.cipher);
    expect((await store.get(row!.id))?.baseUrl).toBe(clear);
    const [resealed] = await query<Row>(sql`select * from plex_servers where id = ${row!.id}`);
    expect(app.plex.cipher.openAddress(resealed!.base_url, row!.id)).toEqual({ address: clear, stale: false });

    // And the library still plays from it.
    const sections = await call<{ source: { kind: string; name: string } }>('GET', '/api/library/sections');
    expect(sections.source).toEqual({ kind: 'plex', name: 'Basement Plex' });
  });

  it.skipIf(!enabled)('links a server for one guild; other guilds keep the global one', async () => {
    const pinId = await linkedPin();
    const guildId = '123456789012345678';
    const stored = await call<{ id: string; guildId: string }>(
      'POST',
      '/api/plex/servers',
      { pinId, machineIdentifier: fake.machineIdentifier, guildId },
      201,
    );
    expect(stored.guildId).toBe(guildId);
    expect((await app.library.sourceFor(guildId)).key).toBe(`srv-${stored.id}`);
    expect((await app.library.sourceFor('987654321098765432')).key).not.toBe(`srv-${stored.id}`);
    const forGuild = await call<{ stored: Array<{ guildId: string | null }> }>(
      'GET',
      `/api/plex/servers?guildId=${guildId}`,
    );
    expect(forGuild.stored.map((s) => s.guildId).sort()).toEqual([guildId, null].sort());
  });

  it.skipIf(!enabled)('rejects a tampered stored token with a clear relink message', async () => {
    const [row] = await rows();
    const raw = Buffer.from(row!.encrypted_token, 'base64url');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 0x01;
    const tampered = raw.toString('base64url');
    await query(sql`update plex_servers set encrypted_token = ${tampered}, updated_at = now() where id = ${row!.id}`);
    const body = await call<{ error: { code: string; message: string } }>(
      'GET',
      '/api/library/sections',
      undefined,
      502,
    );
    expect(body.error.code).toBe('plex_auth');
    expect(body.error.message).toMatch(/link the Plex server again/);
  });

  it.skipIf(!enabled)('forgets servers, audited, and falls back to the demo library', async () => {
    for (const row of await rows()) await call('DELETE', `/api/plex/servers/${row.id}`, undefined, 204);
    expect(await rows()).toEqual([]);
    const audit = await query<{ action: string }>(
      sql`select action from audit_log where action = 'plex.server.unlink'`,
    );
    expect(audit).toHaveLength(2);
    await call('DELETE', '/api/plex/servers/00000000-0000-4000-8000-000000000000', undefined, 404);
    const sections = await call<{ source: { kind: string } }>('GET', '/api/library/sections');
    expect(sections.source.kind).toBe('demo');
  });

  it.skipIf(!enabled)('never hands the Plex tokens or addresses to the client', () => {
    const everything = seen.join('\n');
    expect(everything).not.toContain(fake.token);
    expect(everything).not.toContain(fake.userToken);
    for (const connection of Object.values(fake.connections)) expect(everything).not.toContain(connection.uri);
  });
});

describe('Plex linking with Discord sign-in', () => {
  let app: App;
  const botToken = randomBytes(24).toString('base64url');

  beforeAll(async () => {
    app = await buildTestApp({
      DISCORD_CLIENT_ID: '1',
      DISCORD_CLIENT_SECRET: 'x',
      DISCORD_BOT_TOKEN: 'y',
      // Nothing listens here: Discord cannot be asked (guild powers are tested against the fake
      // Discord in apps/server/test/discord/guild-powers.test.ts).
      DISCORD_API_URL: 'http://127.0.0.1:9/api',
      BOT_API_TOKEN: botToken,
      PLEX_TV_URL: 'http://127.0.0.1:9',
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses the every-guild server to everyone, and says so when Discord cannot tell who manages a guild', async () => {
    const headers = { authorization: `Bearer ${botToken}`, 'x-acting-user': '81384788765712384' };
    // A server for every guild is the operator's (PLEX_URL), whoever asks.
    const servers = await app.inject({ url: '/api/plex/servers', headers });
    expect(servers.statusCode).toBe(403);
    expect(servers.json().error).toEqual({ code: 'forbidden', message: expect.stringMatching(/PLEX_URL/) });
    // Discord is unreachable here (nothing listens at its URL): no guess either way.
    const pin = await app.inject({
      method: 'POST',
      url: '/api/plex/pins',
      headers,
      payload: { guildId: '123456789012345678' },
    });
    expect(pin.statusCode).toBe(503);
    expect(pin.json().error).toEqual({ code: 'discord_unavailable', message: expect.stringMatching(/try again/) });
  });
});
