import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { CLOSE_CODES, discordAuthResponseSchema } from '@dpp/shared';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../../../../tests/fakes/discord/index.ts';
import { waitFor } from '../../../../tests/support/wait.ts';
import { SessionTokens } from '../../src/auth/session-tokens.ts';
import { upsertUser } from '../../src/auth/users.ts';
import { users } from '../../src/db/schema.ts';
import { DiscordApiError, DiscordClient, DiscordUnreachableError } from '../../src/discord/discord-client.ts';
import { INSTANCE_TTL_MS } from '../../src/discord/instance-check.ts';
import { type App, buildTestApp, testDatabase } from '../rooms/support/test-app.ts';
import { WsClient } from '../rooms/support/ws-client.ts';

const services = inject('services');

const discordEnv = (fake: Pick<FakeDiscord, 'applicationId' | 'clientSecret' | 'botToken'>, apiUrl: string) => ({
  DISCORD_CLIENT_ID: fake.applicationId,
  DISCORD_CLIENT_SECRET: fake.clientSecret,
  DISCORD_BOT_TOKEN: fake.botToken,
  DISCORD_API_URL: apiUrl,
});

/** A URL nothing listens on: a port that was free a moment ago. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return `http://127.0.0.1:${address.port}/api`;
}

async function wsUrl(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  return `ws://127.0.0.1:${address.port}/ws`;
}

describe(`Discord sign-in and the activity-instance check (${services.postgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let fake: FakeDiscord;
  let app: App;
  let url: string;
  let database: Awaited<ReturnType<typeof testDatabase>>;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    fake = await startFakeDiscord();
    database = await testDatabase(services.postgres);
    app = await buildTestApp({ DATABASE_URL: database.url, ...discordEnv(fake, fake.apiUrl) });
    url = await wsUrl(app);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) {
      expect(client.problems).toEqual([]);
      if (client.socket.readyState === client.socket.OPEN) await client.close();
    }
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await fake?.close();
  });

  const signIn = async (target: App, code: string) =>
    target.inject({ method: 'POST', url: '/api/auth/discord', payload: { code } });

  async function session(userId: string) {
    const response = await signIn(app, fake.authorize(userId));
    expect(response.statusCode).toBe(200);
    return discordAuthResponseSchema.parse(response.json());
  }

  async function connect() {
    const client = await WsClient.connect(url);
    clients.push(client);
    return client;
  }

  it('exchanges a good code for our session and the Discord access token, and upserts the user', async () => {
    const alice = fake.guild.users.alice;
    const response = await signIn(app, fake.authorize(alice));
    expect(response.statusCode).toBe(200);
    const body = discordAuthResponseSchema.parse(response.json());
    expect(body.user).toMatchObject({ discordId: alice, name: 'Alice', avatar: null });
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    // The access token is Discord's own: it reads /users/@me on the fake.
    const me = await fetch(`${fake.apiUrl}/v10/users/@me`, {
      headers: { authorization: `Bearer ${body.accessToken}` },
    });
    expect(((await me.json()) as { id: string }).id).toBe(alice);
    // Our session token works on our API.
    const ours = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${body.token}` } });
    expect(ours.json()).toEqual({ user: body.user, via: 'session' });
    const [row] = await app.database.db.select().from(users).where(eq(users.discordId, alice));
    expect(row).toMatchObject({ id: body.user.id, name: 'Alice' });

    // The exchange went to Discord with the secret, as a form, without a redirect_uri; never back to the caller.
    const exchange = fake.requests.find((r) => r.route.includes('oauth2/token') && r.status === 200);
    expect(exchange?.body).toMatchObject({ grant_type: 'authorization_code', client_id: fake.applicationId });
    expect(exchange?.body).not.toHaveProperty('redirect_uri');
    expect(response.body).not.toContain(fake.clientSecret);
    expect(response.body).not.toContain(fake.botToken);

    // Signing in again keeps the same user.
    const again = await session(alice);
    expect(again.user.id).toBe(body.user.id);
  });

  it('answers 401 discord_code_rejected for a bad or reused code, without leaking the secret', async () => {
    const code = fake.authorize(fake.guild.users.bob);
    expect((await signIn(app, code)).statusCode).toBe(200);
    for (const bad of [code, 'not-a-code']) {
      const response = await signIn(app, bad);
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('discord_code_rejected');
      expect(response.body).not.toContain(fake.clientSecret);
    }
    const empty = await signIn(app, '');
    expect(empty.statusCode).toBe(400);
  });

  it('admits a hello whose activity instance holds the user in the room channel', async () => {
    const { guild } = fake;
    const { token, user } = await session(guild.users.dana);
    const instance = fake.createActivityInstance({ channelId: guild.channels.movieNight, users: [guild.users.dana] });
    const client = await connect();
    const welcome = await client.hello(token, `${guild.id}:${guild.channels.movieNight}`, {
      instanceId: instance.instance_id,
    });
    expect(welcome.you.userId).toBe(user.id);
    const lookup = fake.requests.find((r) => r.path.endsWith(`/activity-instances/${instance.instance_id}`));
    expect(lookup?.headers.authorization).toBe(`Bot ${fake.botToken}`);
  });

  it('refuses with forbidden (4003) an instance the user is not in, in another channel, or unknown', async () => {
    const { guild } = fake;
    const { token } = await session(guild.users.owner);
    const movieNight = `${guild.id}:${guild.channels.movieNight}`;
    const notIn = fake.createActivityInstance({ channelId: guild.channels.movieNight, users: [guild.users.alice] });
    const elsewhere = fake.createActivityInstance({ channelId: guild.channels.lounge, users: [guild.users.owner] });
    const cases: [string, string][] = [
      [notIn.instance_id, movieNight],
      [elsewhere.instance_id, movieNight],
      ['i-0-gc-0-0', movieNight],
      [elsewhere.instance_id, 'dev:lounge'],
    ];
    for (const [instanceId, roomId] of cases) {
      const client = await connect();
      client.send({ type: 'hello', protocolVersion: 1, token, roomId, instanceId });
      expect((await client.next('error')).code).toBe('forbidden');
      expect((await client.closed).code).toBe(CLOSE_CODES.forbidden.code);
    }
  });

  it('refuses under attack: another guild’s room id, a stale instance after leaving voice, a foreign session', async () => {
    const { guild } = fake;
    const bob = await session(guild.users.bob);
    const lounge = `${guild.id}:${guild.channels.lounge}`;
    const instance = fake.createActivityInstance({ channelId: guild.channels.lounge, users: [guild.users.bob] });
    const refused = async (token: string, roomId: string, reason: keyof typeof CLOSE_CODES, code: string) => {
      const client = await connect();
      client.send({ type: 'hello', protocolVersion: 1, token, roomId, instanceId: instance.instance_id });
      expect((await client.next('error')).code).toBe(code);
      expect((await client.closed).code).toBe(CLOSE_CODES[reason].code);
    };

    // The same channel id under another guild: the instance is not that guild's.
    await refused(bob.token, `999999999999999999:${guild.channels.lounge}`, 'forbidden', 'forbidden');

    // A session sealed by another deployment (another application's server, another SECRET_KEY).
    const foreign = new SessionTokens(randomBytes(32)).sign({
      userId: bob.user.id,
      discordId: guild.users.bob,
      name: 'Bob',
      avatar: null,
    });
    await refused(foreign.token, lounge, 'unauthorized', 'unauthorized');

    // In the instance, he gets in; once he has left voice (the instance no longer holds him), a new
    // hello is refused as soon as the cached lookup (INSTANCE_TTL_MS) has expired.
    const inside = await connect();
    await inside.hello(bob.token, lounge, { instanceId: instance.instance_id });
    await inside.close();
    instance.users.splice(instance.users.indexOf(guild.users.bob), 1);
    await waitFor(
      async () => {
        const client = await connect();
        client.send({
          type: 'hello',
          protocolVersion: 1,
          token: bob.token,
          roomId: lounge,
          instanceId: instance.instance_id,
        });
        const answer = await client.frame((m) => m.type === 'welcome' || m.type === 'error', 'the answer to hello');
        if (answer.type !== 'error') {
          await client.close();
          return false;
        }
        expect(answer.code).toBe('forbidden');
        expect((await client.closed).code).toBe(CLOSE_CODES.forbidden.code);
        return true;
      },
      { timeoutMs: INSTANCE_TTL_MS + 15_000, intervalMs: 1000, what: 'the stale instance refused' },
    );
  }, 60_000);

  it('asks Discord again when a cached instance does not hold a user who just joined it', async () => {
    const { guild } = fake;
    const alice = await session(guild.users.alice);
    const bob = await session(guild.users.bob);
    const roomId = `${guild.id}:${guild.channels.lounge}`;
    const instance = fake.createActivityInstance({ channelId: guild.channels.lounge, users: [guild.users.alice] });
    const first = await connect();
    await first.hello(alice.token, roomId, { instanceId: instance.instance_id });
    instance.users.push(guild.users.bob);
    const second = await connect();
    await second.hello(bob.token, roomId, { instanceId: instance.instance_id });
    expect(second.snapshot?.members).toHaveLength(2);
  });

  it('leaves a hello without an instance id to the other checks', async () => {
    const { token } = await session(fake.guild.users.alice);
    const client = await connect();
    const welcome = await client.hello(token, `${fake.guild.id}:${fake.guild.channels.general}`);
    expect(welcome.type).toBe('welcome');
  });
});

describe('Discord sign-in when Discord is down or not configured', () => {
  let fake: FakeDiscord;
  let down: App;
  let devMode: App;

  beforeAll(async () => {
    fake = await startFakeDiscord();
    down = await buildTestApp({ DATABASE_URL: 'memory://', ...discordEnv(fake, await deadUrl()) });
    devMode = await buildTestApp({ DATABASE_URL: 'memory://' });
  });
  afterAll(async () => {
    await down?.close();
    await devMode?.close();
    await fake?.close();
  });

  it('answers 502 discord_unreachable when Discord cannot be reached', async () => {
    const response = await down.inject({
      method: 'POST',
      url: '/api/auth/discord',
      payload: { code: fake.authorize(fake.guild.users.alice) },
    });
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('discord_unreachable');
    expect(response.body).not.toContain(fake.clientSecret);
  });

  it('closes a hello with unavailable (4006, may reconnect) when the instance cannot be checked', async () => {
    // A session signed by this server for a Discord user (sign-in itself needs Discord).
    const record = await upsertUser(down.database.db, { discordId: fake.guild.users.alice, name: 'Alice' });
    const { token } = down.sessions.sign({
      userId: record.id,
      discordId: record.discordId,
      name: record.name,
      avatar: record.avatar,
    });
    const client = await WsClient.connect(await wsUrl(down));
    client.send({
      type: 'hello',
      protocolVersion: 1,
      token,
      roomId: `${fake.guild.id}:${fake.guild.channels.movieNight}`,
      instanceId: 'i-1-gc-1-1',
    });
    expect((await client.next('error')).code).toBe('unavailable');
    expect((await client.closed).code).toBe(CLOSE_CODES.unavailable.code);
  });

  it('refuses Discord sign-in with 501 in dev auth mode', async () => {
    const response = await devMode.inject({ method: 'POST', url: '/api/auth/discord', payload: { code: 'x' } });
    expect(response.statusCode).toBe(501);
    expect(response.json().error.code).toBe('discord_auth_disabled');
  });
});

describe('DiscordClient', () => {
  it('takes the API root with or without a version, as discord.js does', async () => {
    const fake = await startFakeDiscord();
    try {
      for (const apiUrl of [fake.apiUrl, `${fake.apiUrl}/`, `${fake.apiUrl}/v10`]) {
        const client = new DiscordClient({ ...credentials(fake), apiUrl });
        const grant = await client.exchangeCode(fake.authorize(fake.guild.users.bob));
        expect(await client.currentUser(grant.accessToken)).toEqual({
          id: fake.guild.users.bob,
          name: 'Bob',
          avatar: null,
        });
      }
    } finally {
      await fake.close();
    }
  });

  it('waits as a 429 says and then gets its answer (per-route limits, Retry-After in seconds)', async () => {
    const fake = await startFakeDiscord();
    try {
      const client = new DiscordClient({ ...credentials(fake), apiUrl: fake.apiUrl });
      const grant = await client.exchangeCode(fake.authorize(fake.guild.users.bob));
      fake.rateLimit('GET /users/@me', 1, 1);
      expect(await client.currentUser(grant.accessToken)).toMatchObject({ id: fake.guild.users.bob });
      const calls = fake.requests.filter((r) => r.route === 'GET /users/@me');
      expect(calls.map((r) => r.status)).toEqual([429, 200]);
      // Retried only after the second Discord asked for (its own clock: no threshold on our speed).
      expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    } finally {
      await fake.close();
    }
  });

  it('answers a long rate limit at once with a typed error instead of holding the caller', async () => {
    const fake = await startFakeDiscord();
    try {
      const client = new DiscordClient({ ...credentials(fake), apiUrl: fake.apiUrl });
      fake.rateLimit(`GET /guilds/:guild`, 1, 60);
      const refused = client.guild(fake.guild.id);
      await expect(refused).rejects.toBeInstanceOf(DiscordApiError);
      await expect(refused).rejects.toMatchObject({ status: 429 });
      expect(fake.requests.filter((r) => r.route === 'GET /guilds/:guild')).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('gives up on a Discord that never answers, as unreachable', async () => {
    const hanging = createHttpServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const address = hanging.address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    try {
      const client = new DiscordClient({
        clientId: '1',
        clientSecret: 's',
        botToken: 'b',
        apiUrl: `http://127.0.0.1:${address.port}/api`,
        timeoutMs: 50,
      });
      await expect(client.exchangeCode('code')).rejects.toBeInstanceOf(DiscordUnreachableError);
      await expect(client.activityInstance('i-1')).rejects.toBeInstanceOf(DiscordUnreachableError);
    } finally {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });
});

const credentials = (fake: FakeDiscord) => ({
  clientId: fake.applicationId,
  clientSecret: fake.clientSecret,
  botToken: fake.botToken,
});
