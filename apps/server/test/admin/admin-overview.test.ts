import { randomBytes, randomUUID } from 'node:crypto';
import { type BotSearchResponse, discordAuthResponseSchema } from '@dpp/shared';
import { type AdminOverview, adminOverviewSchema } from '@dpp/shared/admin';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../../../../tests/fakes/discord/index.ts';
import { seedGuild } from '../../../../tests/fakes/discord/state.ts';
import { TEST_REDIS_URL } from '../../../../tests/support/services.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { type App, buildTestApp } from '../rooms/support/test-app.ts';
import { WsClient } from '../rooms/support/ws-client.ts';

const services = inject('services');
if (!services.redis) console.warn(`Redis at ${TEST_REDIS_URL} unreachable: the two-instance dashboard test is skipped`);

const ADMIN_TOKEN = randomBytes(32).toString('base64url');
const BOT_TOKEN = randomBytes(24).toString('base64url');
const ACTING_USER = '300000000000000011';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function overview(app: App, headers: Record<string, string> = {}) {
  const response = await app.inject({ url: '/api/admin/overview', headers });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

const parsed = (body: unknown): AdminOverview => adminOverviewSchema.parse(body);

/** A room started the way the bot's /play starts one, on a demo item. */
async function playRoom(app: App, roomId: string) {
  const guildId = roomId.split(':')[0] ?? '';
  const search = await app.inject({
    url: `/api/bot/search?guildId=${guildId}&q=e`,
    headers: { ...bearer(BOT_TOKEN), 'x-acting-user': ACTING_USER },
  });
  const item = search.json<BotSearchResponse>().items.find((i) => i.playable);
  if (!item) throw new Error('the demo library has no playable item');
  const played = await app.inject({
    method: 'POST',
    url: `/api/bot/rooms/${roomId}/play`,
    headers: { ...bearer(BOT_TOKEN), 'x-acting-user': ACTING_USER },
    payload: { itemId: item.id },
  });
  expect(played.statusCode).toBe(200);
  return item;
}

async function listen(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  return `ws://127.0.0.1:${address.port}/ws`;
}

/** A member on a room socket who reports a drift, answered (so recorded) before this resolves. */
async function driftingMember(app: App, url: string, roomId: string, name: string, driftMs: number) {
  const { token } = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name } })).json();
  const client = await WsClient.connect(url);
  await client.hello(token, roomId);
  const pong = client.next('pong');
  client.send({ type: 'ping', id: 1, t0: Date.now(), driftMs });
  await pong;
  return client;
}

describe('ADMIN_TOKEN in the config', () => {
  it('is optional, and refused when shorter than 32 characters, without showing it', () => {
    expect(
      loadConfig({ DATA_DIR: '/tmp/dpp-admin-config', SECRET_KEY: randomBytes(32).toString('base64') }).adminToken,
    ).toBe(undefined);
    const short = 'x'.repeat(31);
    let error: unknown;
    try {
      loadConfig({ ADMIN_TOKEN: short, DATA_DIR: '/tmp/dpp-admin-config' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/^ConfigError: ADMIN_TOKEN must be at least 32 characters/);
    expect(String(error)).not.toContain(short);
  });
});

describe('the admin overview in dev mode (no Discord, no Redis)', () => {
  let app: App;
  let url: string;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    app = await buildTestApp({ DATABASE_URL: 'memory://', BOT_API_TOKEN: BOT_TOKEN });
    url = await listen(app);
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await app?.close();
  });

  it('shows everyone every room, with its item, members and their measured drift, and this instance', async () => {
    const roomId = `dev:admin-${randomUUID().slice(0, 8)}`;
    clients.push(await driftingMember(app, url, roomId, 'Ada', -42));
    const played = await playRoom(app, '100000000000000001:200000000000000001');
    await app.admin.publish();

    const { status, body } = await overview(app);
    expect(status).toBe(200);
    const view = parsed(body);
    expect(view.scope).toEqual({ kind: 'dev' });
    expect(view.source).toBe('local');
    const room = view.rooms.find((r) => r.roomId === roomId);
    expect(room?.members).toEqual([expect.objectContaining({ name: 'Ada', state: expect.any(String), driftMs: -42 })]);
    const bot = view.rooms.find((r) => r.roomId === '100000000000000001:200000000000000001');
    expect(bot).toMatchObject({ status: 'playing', item: { itemId: played.id, title: played.title } });
    expect(view.instances?.map((i) => i.id)).toEqual([app.rooms.instanceId]);
    expect(view.instances?.[0]).toMatchObject({ version: '0.1.0', sockets: 1 });
    expect(view.history.at(-1)?.rooms).toBe(2);
  });

  it('is in the OpenAPI description', async () => {
    const spec = (await app.inject({ url: '/docs/json' })).json();
    expect(spec.paths['/api/admin/overview']?.get?.security).toEqual([{ admin: [] }, { session: [] }]);
  });
});

describe('the admin overview with Discord: the operator and guild admins', () => {
  let fake: FakeDiscord;
  let app: App;
  let other: ReturnType<typeof seedGuild>;
  let mine: string;
  let theirs: string;

  beforeAll(async () => {
    fake = await startFakeDiscord();
    other = seedGuild(fake.state, 'Other Club');
    fake.grantRole(fake.guild.users.alice, fake.guild.roles.admin);
    app = await buildTestApp({
      DATABASE_URL: 'memory://',
      BOT_API_TOKEN: BOT_TOKEN,
      ADMIN_TOKEN,
      DISCORD_CLIENT_ID: fake.applicationId,
      DISCORD_CLIENT_SECRET: fake.clientSecret,
      DISCORD_BOT_TOKEN: fake.botToken,
      DISCORD_API_URL: fake.apiUrl,
    });
    mine = `${fake.guild.id}:${fake.guild.channels.movieNight}`;
    theirs = `${other.id}:${other.channels.movieNight}`;
    await playRoom(app, mine);
    await playRoom(app, theirs);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  async function sessionOf(userId: string) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/discord',
      payload: { code: fake.authorize(userId) },
    });
    expect(response.statusCode).toBe(200);
    return discordAuthResponseSchema.parse(response.json()).token;
  }

  it('shows the operator (ADMIN_TOKEN) every guild and the instances', async () => {
    const { status, body } = await overview(app, bearer(ADMIN_TOKEN));
    expect(status).toBe(200);
    const view = parsed(body);
    expect(view.scope).toEqual({ kind: 'operator' });
    expect(view.rooms.map((r) => r.roomId).sort()).toEqual([mine, theirs].sort());
    expect(view.instances).not.toBeNull();
  });

  it('refuses a wrong token, no token and the bot token with the typed error body', async () => {
    const wrong = await overview(app, bearer(randomBytes(32).toString('base64url')));
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const none = await overview(app);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="admin"');
    expect(none.body.error.code).toBe('unauthorized');
    const bot = await overview(app, bearer(BOT_TOKEN));
    expect(bot.status).toBe(403);
    expect(bot.body.error.code).toBe('forbidden');
  });

  it('shows a guild admin the rooms of their guild only, without the instance list', async () => {
    const { status, body } = await overview(app, bearer(await sessionOf(fake.guild.users.alice)));
    expect(status).toBe(200);
    const view = parsed(body);
    expect(view.scope).toEqual({ kind: 'guilds', guildIds: [fake.guild.id] });
    expect(view.rooms.map((r) => r.roomId)).toEqual([mine]);
    expect(JSON.stringify(view)).not.toContain(other.id);
    expect(view.instances).toBeNull();
  });

  it('refuses a signed-in member who manages no guild (403)', async () => {
    const { status, body } = await overview(app, bearer(await sessionOf(fake.guild.users.bob)));
    expect(status).toBe(403);
    expect(body.error.code).toBe('forbidden');
  });
});

describe.skipIf(!services.redis)('the admin overview across two instances on one Redis', () => {
  let a: App;
  let b: App;
  let urlA: string;
  let urlB: string;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    const env = {
      DATABASE_URL: 'memory://',
      REDIS_URL: TEST_REDIS_URL,
      SECRET_KEY: randomBytes(32).toString('base64'),
      BOT_API_TOKEN: BOT_TOKEN,
      ADMIN_TOKEN,
    };
    a = await buildTestApp(env);
    b = await buildTestApp(env);
    urlA = await listen(a);
    urlB = await listen(b);
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await a?.close();
    await b?.close();
  });

  it("reads every instance's snapshot from either: rooms, drift measured on the other, rates and history", async () => {
    const onA = `dev:admin-a-${randomUUID().slice(0, 8)}`;
    const onB = `dev:admin-b-${randomUUID().slice(0, 8)}`;
    clients.push(await driftingMember(a, urlA, onA, 'Ann', 15));
    clients.push(await driftingMember(b, urlB, onB, 'Bea', 250));
    await a.admin.publish();
    await b.admin.publish();

    const { status, body } = await overview(a, bearer(ADMIN_TOKEN));
    expect(status).toBe(200);
    const view = parsed(body);
    expect(view.source).toBe('redis');
    const ids = view.instances?.map((i) => i.id) ?? [];
    expect(ids).toEqual(expect.arrayContaining([a.rooms.instanceId, b.rooms.instanceId]));
    // The member on b, read through a: b measured the drift and published it.
    expect(view.rooms.find((r) => r.roomId === onB)?.members).toEqual([
      expect.objectContaining({ name: 'Bea', driftMs: 250 }),
    ]);
    expect(view.rooms.find((r) => r.roomId === onA)?.members).toEqual([
      expect.objectContaining({ name: 'Ann', driftMs: 15 }),
    ]);
    const instanceB = view.instances?.find((i) => i.id === b.rooms.instanceId);
    expect(instanceB).toMatchObject({ sockets: 1, rooms: 1 });
    const mineOnly = view.instances?.filter((i) => i.id === a.rooms.instanceId || i.id === b.rooms.instanceId) ?? [];
    const summed = mineOnly.reduce((n, i) => n + i.rates.httpPerSecond, 0);
    expect(summed).toBeGreaterThan(0);
    expect(view.totals.httpPerSecond).toBeGreaterThanOrEqual(summed - 1e-9);
    expect(view.history.at(-1)?.rooms).toBeGreaterThanOrEqual(2);
  });
});
