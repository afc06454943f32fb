import { randomBytes } from 'node:crypto';
import type { BotSearchResponse, RoomResponse } from '@dpp/shared';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../tests/support/wait.ts';
import { watchSessions } from '../../src/db/schema.ts';
import { type App, buildTestApp, signIn } from '../library/support/test-app.ts';
import { raceRetries } from './support/race-retries.ts';

const BOT_TOKEN = randomBytes(24).toString('base64url');
const GUILD = '100000000000000001';
let nextChannel = 200000000000000001n;
const newRoom = () => `${GUILD}:${(nextChannel++).toString()}`;

const ALICE = '300000000000000001';
const BOB = '300000000000000002';
const DJ_ROLE = '400000000000000001';

function bot(user: string, extra: Record<string, string> = {}) {
  return { authorization: `Bearer ${BOT_TOKEN}`, 'x-acting-user': user, ...extra };
}

/** The bot API on the real app with the demo library (DESIGN 4a). */
describe('/api/bot/*', () => {
  let app: App;
  let itemId: string;

  beforeAll(async () => {
    app = await buildTestApp({ BOT_API_TOKEN: BOT_TOKEN });
    const search = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=e`, headers: bot(ALICE) });
    itemId = search.json<BotSearchResponse>().items.find((i) => i.playable)!.id;
  });
  afterAll(async () => {
    await app?.close();
  });

  const command = (roomId: string, user: string, body: object, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/api/bot/rooms/${encodeURIComponent(roomId)}/commands`,
      headers: bot(user, headers),
      payload: body,
    });
  const voice = (roomId: string, user: string, kind: 'join' | 'leave', name = 'Someone') => {
    const [guildId, channelId] = roomId.split(':');
    return app.inject({
      method: 'POST',
      url: '/api/bot/voice/events',
      headers: bot(user),
      payload: { kind, guildId, channelId, userId: user, name, avatar: null },
    });
  };
  const snapshot = async (roomId: string) =>
    (
      await app.inject({ url: `/api/bot/rooms/${encodeURIComponent(roomId)}`, headers: bot(ALICE) })
    ).json<RoomResponse>().snapshot;

  it('needs the bot token with an acting user, and refuses user sessions', async () => {
    const anonymous = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=a` });
    expect(anonymous.statusCode).toBe(401);
    const noActor = await app.inject({
      url: `/api/bot/search?guildId=${GUILD}&q=a`,
      headers: { authorization: `Bearer ${BOT_TOKEN}` },
    });
    expect(noActor.statusCode).toBe(400);
    expect(noActor.json().error.code).toBe('acting_user_required');
    const { authorization } = await signIn(app);
    const user = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=a`, headers: { authorization } });
    expect(user.statusCode).toBe(403);
    expect(user.json().error.code).toBe('not_allowed');
  });

  it('searches the guild’s library (the demo library here), within the limit', async () => {
    const response = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=e&limit=2`, headers: bot(ALICE) });
    expect(response.statusCode).toBe(200);
    const body = response.json<BotSearchResponse>();
    expect(body.source).toEqual({ kind: 'demo', name: 'Demo library' });
    expect(body.items.length).toBeGreaterThan(0);
    expect(body.items.length).toBeLessThanOrEqual(2);
    for (const item of body.items) expect(item.title.toLowerCase()).toContain('e');
    const bad = await app.inject({ url: `/api/bot/search?guildId=nope&q=e`, headers: bot(ALICE) });
    expect(bad.statusCode).toBe(400);
  });

  it('answers no_room for a room that does not exist, except to load and queue.add', async () => {
    const roomId = newRoom();
    const get = await app.inject({ url: `/api/bot/rooms/${encodeURIComponent(roomId)}`, headers: bot(ALICE) });
    expect(get.statusCode).toBe(404);
    expect(get.json().error.code).toBe('no_room');
    const pause = await command(roomId, ALICE, { op: 'pause' });
    expect(pause.statusCode).toBe(404);
    expect(pause.json().error.code).toBe('no_room');
    const unknown = await command(roomId, ALICE, { op: 'load', itemId: 'demo-nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('unknown_item');
  });

  it('creates the room with load and plays it', async () => {
    const roomId = newRoom();
    const load = await command(roomId, ALICE, { op: 'load', itemId }, { 'x-acting-user-name': 'Alice' });
    expect(load.statusCode).toBe(200);
    expect(load.json<RoomResponse>().snapshot.playback.itemId).toBe(itemId);
    const play = await command(roomId, ALICE, { op: 'play' });
    expect(play.statusCode).toBe(200);
    const { snapshot: after } = play.json<RoomResponse>();
    expect(after.roomId).toBe(roomId);
    expect(after.playback).toMatchObject({ itemId, status: 'playing' });
    expect(after.queue[0]).toMatchObject({ itemId, addedBy: 'Alice' });

    const pause = await command(roomId, BOB, { op: 'pause' });
    expect(pause.statusCode).toBe(200);
    expect(pause.json<RoomResponse>().snapshot.playback.status).toBe('paused');
  });

  it('applies a retried command (same Idempotency-Key) once', async () => {
    const roomId = newRoom();
    const key = { 'idempotency-key': '900000000000000001:queue.add' };
    expect((await command(roomId, ALICE, { op: 'load', itemId })).statusCode).toBe(200);
    const first = await command(roomId, ALICE, { op: 'queue.add', itemId }, key);
    const retry = await command(roomId, ALICE, { op: 'queue.add', itemId }, key);
    expect(first.statusCode).toBe(200);
    expect(retry.statusCode).toBe(200);
    expect(retry.json<RoomResponse>().snapshot.queue).toHaveLength(2);
    const other = await command(roomId, ALICE, { op: 'queue.add', itemId }, { 'idempotency-key': 'another' });
    expect(other.json<RoomResponse>().snapshot.queue).toHaveLength(3);
  });

  it('applies two concurrent retries of one command (same Idempotency-Key) once, with one answer for both', async () => {
    const roomId = newRoom();
    const key = { 'idempotency-key': '900000000000000002:queue.add' };
    expect((await command(roomId, ALICE, { op: 'load', itemId })).statusCode).toBe(200);
    const { answers, lookups } = await raceRetries(app, () => command(roomId, ALICE, { op: 'queue.add', itemId }, key));
    const [first, retry] = answers;
    expect(lookups).toBe(1);
    expect([first!.statusCode, retry!.statusCode]).toEqual([200, 200]);
    expect(retry!.json()).toEqual(first!.json());
    expect(first!.json<RoomResponse>().snapshot.queue).toHaveLength(2);
    expect((await snapshot(roomId)).queue).toHaveLength(2);
  });

  it('applies a retry afresh when the first try failed', async () => {
    const roomId = newRoom();
    const key = { 'idempotency-key': '900000000000000003:play' };
    const refused = await command(roomId, ALICE, { op: 'play' }, key);
    expect(refused.json().error.code).toBe('no_room');
    expect((await command(roomId, ALICE, { op: 'load', itemId })).statusCode).toBe(200);
    const retry = await command(roomId, ALICE, { op: 'play' }, key);
    expect(retry.statusCode).toBe(200);
    expect(retry.json<RoomResponse>().snapshot.playback.status).toBe('playing');
  });

  it('in hosts mode refuses a non-host without the DJ role, and lets DJ-role and Manage Server members control', async () => {
    const manage = { 'x-acting-user-permissions': String(1 << 5) };
    const settings = await app.inject({
      method: 'PATCH',
      url: `/api/bot/guilds/${GUILD}/settings`,
      headers: bot(ALICE, manage),
      payload: { djRoleId: DJ_ROLE, control: 'hosts' },
    });
    expect(settings.statusCode).toBe(200);
    expect(settings.json()).toEqual({ djRoleId: DJ_ROLE, control: 'hosts' });
    const notAdmin = await app.inject({
      method: 'PATCH',
      url: `/api/bot/guilds/${GUILD}/settings`,
      headers: bot(BOB, { 'x-acting-user-permissions': '0' }),
      payload: { control: 'everyone' },
    });
    expect(notAdmin.statusCode).toBe(403);
    expect(notAdmin.json().error.code).toBe('not_allowed');

    try {
      const roomId = newRoom();
      const load = await command(roomId, ALICE, { op: 'load', itemId });
      expect(load.statusCode).toBe(200);
      // New rooms take the guild's default control mode.
      expect(load.json<RoomResponse>().snapshot.settings.control).toBe('hosts');

      const refused = await command(roomId, BOB, { op: 'pause' }, { 'x-acting-user-roles': '999999999999' });
      expect(refused.statusCode).toBe(403);
      expect(refused.json().error).toEqual({ code: 'not_allowed', message: expect.stringMatching(/hosts/i) });
      const refusedStop = await app.inject({
        method: 'POST',
        url: `/api/bot/rooms/${encodeURIComponent(roomId)}/end`,
        headers: bot(BOB),
        payload: { reason: 'stop' },
      });
      expect(refusedStop.statusCode).toBe(403);

      const dj = await command(roomId, BOB, { op: 'pause' }, { 'x-acting-user-roles': `123456789,${DJ_ROLE}` });
      expect(dj.statusCode).toBe(200);
      const admin = await command(roomId, BOB, { op: 'play' }, { 'x-acting-user-permissions': String(1 << 5) });
      expect(admin.statusCode).toBe(200);
      // The creator is a host of their room.
      const creator = await command(roomId, ALICE, { op: 'pause' });
      expect(creator.statusCode).toBe(200);
    } finally {
      await app.inject({
        method: 'PATCH',
        url: `/api/bot/guilds/${GUILD}/settings`,
        headers: bot(ALICE, manage),
        payload: { djRoleId: null, control: 'everyone' },
      });
    }
    const reset = await app.inject({ url: `/api/bot/guilds/${GUILD}/settings`, headers: bot(BOB) });
    expect(reset.json()).toEqual({ djRoleId: null, control: 'everyone' });
  });

  it('marks voice joins present and leaves away, without making the room wait for them', async () => {
    const roomId = newRoom();
    // No room yet: presence is ignored.
    expect((await voice(roomId, BOB, 'join')).statusCode).toBe(204);
    expect((await command(roomId, ALICE, { op: 'load', itemId }, { 'x-acting-user-name': 'Alice' })).statusCode).toBe(
      200,
    );
    // The caller of /play is in the channel: present in the room it creates, and its host.
    expect((await snapshot(roomId)).members.map((m) => [m.name, m.role, m.state])).toEqual([
      ['Alice', 'host', 'ready'],
    ]);

    expect((await voice(roomId, BOB, 'join', 'Bob')).statusCode).toBe(204);
    expect((await voice(roomId, ALICE, 'join', 'Alice')).statusCode).toBe(204);
    let members = (await snapshot(roomId)).members;
    expect(members).toHaveLength(2);
    expect(members.find((m) => m.name === 'Bob')).toMatchObject({ state: 'ready' });
    // Alice created the room: a host as soon as she is present.
    expect(members.find((m) => m.name === 'Alice')).toMatchObject({ role: 'host', state: 'ready' });

    // Voice-only members have no player: a new item plays without waiting for them.
    const next = await command(roomId, ALICE, { op: 'load', itemId });
    expect(next.json<RoomResponse>().snapshot.playback.status).toBe('playing');

    expect((await voice(roomId, BOB, 'leave')).statusCode).toBe(204);
    members = (await snapshot(roomId)).members;
    expect(members.find((m) => m.name === 'Bob')).toMatchObject({ state: 'away' });
    expect(members.find((m) => m.name === 'Alice')).toMatchObject({ state: 'ready' });

    // A resync: whoever is not listed is away; whoever is listed is present.
    const sync = await app.inject({
      method: 'PUT',
      url: `/api/bot/voice/guilds/${GUILD}`,
      headers: bot(ALICE),
      payload: {
        channels: [{ channelId: roomId.split(':')[1], users: [{ userId: BOB, name: 'Bob', avatar: null }] }],
      },
    });
    expect(sync.statusCode).toBe(204);
    members = (await snapshot(roomId)).members;
    expect(members.find((m) => m.name === 'Bob')).toMatchObject({ state: 'ready' });
    expect(members.find((m) => m.name === 'Alice')).toMatchObject({ state: 'away' });
  });

  it('ends a room and records its watch session', async () => {
    const roomId = newRoom();
    expect((await command(roomId, ALICE, { op: 'load', itemId })).statusCode).toBe(200);
    expect((await voice(roomId, ALICE, 'join', 'Alice')).statusCode).toBe(204);
    const emptied: string[] = [];
    app.rooms.events.on('empty', (id) => emptied.push(id));

    const end = (reason: 'stop' | 'empty') =>
      app.inject({
        method: 'POST',
        url: `/api/bot/rooms/${encodeURIComponent(roomId)}/end`,
        headers: bot(ALICE),
        payload: { reason },
      });
    const first = await end('empty');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ ended: true });
    expect((await end('stop')).json()).toEqual({ ended: false });
    const gone = await app.inject({ url: `/api/bot/rooms/${encodeURIComponent(roomId)}`, headers: bot(ALICE) });
    expect(gone.statusCode).toBe(404);
    await waitFor(() => emptied.includes(roomId), { what: 'the empty event' });

    const row = await waitFor(
      async () => {
        const [found] = await app.database.db.select().from(watchSessions).where(eq(watchSessions.roomId, roomId));
        return found?.endedAt ? found : undefined;
      },
      { what: 'the watch session to end' },
    );
    expect(row.items.map((i) => i.itemId)).toEqual([itemId]);
    expect(row.endedAt!.getTime()).toBeGreaterThanOrEqual(row.startedAt.getTime());
  });
});
