import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../tests/fakes/plex/index.ts';
import { type BotApiTap, tapBotApi } from '../../../tests/support/bot-api-tap.ts';
import { PlexUnavailableError, ServerApiError, ServerUnreachableError } from '../src/errors.ts';
import { ServerApi, type ServerApiOptions } from '../src/server-api.ts';
import { serverForThisFile } from './support/harness.ts';

/** The client against the real server's bot API (its plex.tv a fake), through a tap that records each call. */
const log = pino({ level: 'silent' });
const ALICE = { id: '111111111111111111', name: 'Zoë ☕', roles: ['222222222222222222'], permissions: 32n };
const GUILD = '333333333333333333';
let rooms = 0;
/** A voice channel of the guild no test used before (the server is shared by the file). */
const newRoom = () => {
  rooms += 1;
  return `${GUILD}:4444444444444${String(rooms).padStart(5, '0')}`;
};

let plex: FakePlex | undefined;
const server = serverForThisFile(async () => {
  plex = await startFakePlex();
  return { PLEX_TV_URL: plex.plexTvUrl, SECRET_KEY: randomBytes(32).toString('base64') };
});
afterAll(() => plex?.close());
let tap: BotApiTap;
beforeEach(async () => {
  tap = await tapBotApi(server().serverUrl);
});
afterEach(() => tap.close());

const client = (options: Partial<ServerApiOptions> = {}) =>
  new ServerApi({
    baseUrl: tap.url,
    token: server().token,
    log,
    retry: { retries: 2, initialDelayMs: 1, maxDelayMs: 5 },
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    ...options,
  });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the server API client', () => {
  test('acts for the user: bot token, acting user, URI-encoded name, roles, permissions and an idempotency key', async () => {
    const api = client();
    const ROOM = newRoom();
    const room = await api.command(ALICE, ROOM, { op: 'load', itemId: 'demo-sunrise-sync' }, 'interaction-1:load');
    expect(room.snapshot.playback.itemId).toBe('demo-sunrise-sync');
    const [call] = tap.calls;
    expect(call).toMatchObject({ route: 'roomCommand', params: { roomId: ROOM }, status: 200 });
    expect(call?.headers).toMatchObject({
      authorization: `Bearer ${server().token}`,
      'x-acting-user': ALICE.id,
      'x-acting-user-name': encodeURIComponent('Zoë ☕'),
      'x-acting-user-roles': '222222222222222222',
      'x-acting-user-permissions': '32',
      'idempotency-key': 'interaction-1:load',
    });
    expect(call?.actingUserName).toBe('Zoë ☕');
  });

  test('a room that does not exist is null; a refusal is a typed error carrying the message for the user', async () => {
    const api = client();
    const ROOM = newRoom();
    expect(await api.room(ALICE, ROOM)).toBeNull();
    tap.on('roomCommand', () => ({
      status: 403,
      body: { error: { code: 'not_allowed', message: 'Only hosts may do that in this room.' } },
    }));
    const failure = await api.command(ALICE, ROOM, { op: 'pause' }, 'k').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServerApiError);
    expect(failure).toMatchObject({
      status: 403,
      code: 'not_allowed',
      message: 'Only hosts may do that in this room.',
    });
    expect(tap.callsTo('roomCommand')).toHaveLength(1); // refusals are not retried
  });

  test('retries a briefly unavailable server with backoff, then succeeds', async () => {
    let failures = 2;
    tap.on('search', () =>
      failures-- > 0 ? { status: 503, body: { error: { code: 'unavailable', message: 'Starting.' } } } : undefined,
    );
    const result = await client().search(ALICE, GUILD, 'deep blue', 25);
    expect(result.items.map((i) => i.title)).toEqual(['Deep Blue Timecode']);
    expect(tap.callsTo('search').map((c) => c.status)).toEqual([503, 503, 200]);
  });

  test('Plex unreachable is its own error, and is not retried (the server already tried Plex)', async () => {
    tap.on('search', () => ({
      status: 503,
      body: { error: { code: 'plex_unavailable', message: 'Plex did not answer.' } },
    }));
    await expect(client().search(ALICE, GUILD, 'x', 5)).rejects.toBeInstanceOf(PlexUnavailableError);
    expect(tap.callsTo('search')).toHaveLength(1);
  });

  test('an unreachable server: retried, then ServerUnreachableError; the breaker opens and later calls fail at once', async () => {
    const api = client({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const downs: string[] = [];
    api.events.on('down', () => downs.push('down'));
    const ROOM = newRoom();
    const first = await api.room(ALICE, ROOM).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(ServerUnreachableError);
    expect(api.reachable).toBe(false); // three consecutive failures opened the breaker
    expect(downs).toEqual(['down']);
    const second = await api.room(ALICE, ROOM).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(ServerUnreachableError);
    expect((second as Error).message).toContain('circuit open');
  });

  test('an answer that breaks the contract is an error, not data', async () => {
    tap.on('guildSettings', () => ({ status: 200, body: { djRoleId: 42, control: 'anyone' } }));
    const failure = await client()
      .guildSettings(ALICE, GUILD)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'bad_response', status: 502 });
  });

  test("every request the client builds satisfies the contract the server's routes check", async () => {
    const api = client();
    const guildId = GUILD;
    const ROOM = newRoom();
    const channelId = ROOM.split(':')[1]!;
    await api.search(ALICE, guildId, 'sunrise', 25);
    await api.command(ALICE, ROOM, { op: 'load', itemId: 'demo-sunrise-sync' }, 'a');
    await api.command(ALICE, ROOM, { op: 'seek', positionMs: 1000 }, 'b');
    await api.command(ALICE, ROOM, { op: 'settings', control: 'hosts' }, 'c');
    await api.room(ALICE, ROOM);
    await api.endRoom(ALICE, ROOM, 'stop', 'd');
    await api.voiceEvent({
      kind: 'join',
      guildId,
      channelId,
      userId: ALICE.id,
      name: 'Zoë',
      avatar: null,
    });
    await api.voiceSync(ALICE, guildId, {
      channels: [{ channelId, users: [{ userId: ALICE.id, name: null, avatar: null }] }],
    });
    await api.plexStatus(ALICE, guildId);
    const pin = await api.plexLink(ALICE, guildId);
    await api.plexPin(ALICE, guildId, pin.id);
    await api.plexUnlink(ALICE, guildId);
    await api.guildSettings(ALICE, guildId);
    await api.updateGuildSettings(ALICE, guildId, { djRoleId: '555555555555555555' });
    expect(tap.calls.filter((c) => c.status >= 400)).toEqual([]);
    expect(new Set(tap.calls.map((c) => c.route)).size).toBe(12);
  });
});
