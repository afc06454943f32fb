import { createServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { PlexUnavailableError, ServerApiError, ServerUnreachableError } from '../src/errors.ts';
import { ServerApi, type ServerApiOptions } from '../src/server-api.ts';
import { type StubServer, startStubServer } from './support/stub-server.ts';

const log = pino({ level: 'silent' });
const ALICE = { id: '111111111111111111', name: 'Zoë ☕', roles: ['222222222222222222'], permissions: 32n };
const ROOM = '333333333333333333:444444444444444444';

let stub: StubServer;
beforeEach(async () => {
  stub = await startStubServer();
});
afterEach(() => stub.close());

const client = (options: Partial<ServerApiOptions> = {}) =>
  new ServerApi({
    baseUrl: stub.url,
    token: stub.token,
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
    const room = await api.command(ALICE, ROOM, { op: 'load', itemId: 'demo-1' }, 'interaction-1:load');
    expect(room.snapshot.playback.itemId).toBe('demo-1');
    const [call] = stub.calls;
    expect(call).toMatchObject({ route: 'roomCommand', params: { roomId: ROOM }, invalid: undefined, status: 200 });
    expect(call?.headers).toMatchObject({
      authorization: `Bearer ${stub.token}`,
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
    expect(await api.room(ALICE, ROOM)).toBeNull();
    stub.on('roomCommand', () => ({
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
    expect(stub.callsTo('roomCommand')).toHaveLength(1); // refusals are not retried
  });

  test('retries a briefly unavailable server with backoff, then succeeds', async () => {
    let failures = 2;
    stub.on('search', () =>
      failures-- > 0 ? { status: 503, body: { error: { code: 'unavailable', message: 'Starting.' } } } : undefined,
    );
    const result = await client().search(ALICE, '333333333333333333', 'sintel', 25);
    expect(result.items.map((i) => i.title)).toEqual(['Sintel']);
    expect(stub.callsTo('search').map((c) => c.status)).toEqual([503, 503, 200]);
  });

  test('Plex unreachable is its own error, and is not retried (the server already tried Plex)', async () => {
    stub.on('search', () => ({
      status: 503,
      body: { error: { code: 'plex_unavailable', message: 'Plex did not answer.' } },
    }));
    await expect(client().search(ALICE, '333333333333333333', 'x', 5)).rejects.toBeInstanceOf(PlexUnavailableError);
    expect(stub.callsTo('search')).toHaveLength(1);
  });

  test('an unreachable server: retried, then ServerUnreachableError; the breaker opens and later calls fail at once', async () => {
    const api = client({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const downs: string[] = [];
    api.events.on('down', () => downs.push('down'));
    const first = await api.room(ALICE, ROOM).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(ServerUnreachableError);
    expect(api.reachable).toBe(false); // three consecutive failures opened the breaker
    expect(downs).toEqual(['down']);
    const second = await api.room(ALICE, ROOM).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(ServerUnreachableError);
    expect((second as Error).message).toContain('circuit open');
  });

  test('an answer that breaks the contract is an error, not data', async () => {
    stub.on('guildSettings', () => ({ status: 200, body: { djRoleId: 42, control: 'anyone' } }));
    const failure = await client()
      .guildSettings(ALICE, '333333333333333333')
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'bad_response', status: 502 });
  });

  test('every request the client builds satisfies the contract the stub checks', async () => {
    const api = client();
    const guildId = '333333333333333333';
    await api.search(ALICE, guildId, 'big', 25);
    await api.command(ALICE, ROOM, { op: 'load', itemId: 'demo-1' }, 'a');
    await api.command(ALICE, ROOM, { op: 'seek', positionMs: 1000 }, 'b');
    await api.command(ALICE, ROOM, { op: 'settings', control: 'hosts' }, 'c');
    await api.room(ALICE, ROOM);
    await api.endRoom(ALICE, ROOM, 'stop', 'd');
    await api.voiceEvent({
      kind: 'join',
      guildId,
      channelId: '444444444444444444',
      userId: ALICE.id,
      name: 'Zoë',
      avatar: null,
    });
    await api.voiceSync(ALICE, guildId, {
      channels: [{ channelId: '444444444444444444', users: [{ userId: ALICE.id, name: null, avatar: null }] }],
    });
    await api.plexStatus(ALICE, guildId);
    const pin = await api.plexLink(ALICE, guildId);
    await api.plexPin(ALICE, guildId, pin.id);
    await api.plexUnlink(ALICE, guildId);
    await api.guildSettings(ALICE, guildId);
    await api.updateGuildSettings(ALICE, guildId, { djRoleId: '555555555555555555' });
    expect(stub.calls.filter((c) => c.invalid !== undefined || c.status >= 400)).toEqual([]);
    expect(new Set(stub.calls.map((c) => c.route)).size).toBe(12);
  });
});
