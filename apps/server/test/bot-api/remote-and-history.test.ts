import { randomBytes } from 'node:crypto';
import type { BotHistoryResponse, BotSearchResponse, RoomResponse } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../tests/support/wait.ts';
import { auditLog, guilds } from '../../src/db/schema.ts';
import { type App, buildTestApp } from '../library/support/test-app.ts';

const BOT_TOKEN = randomBytes(24).toString('base64url');
const GUILD = '100000000000000077';
let nextChannel = 210000000000000001n;
const newRoom = () => `${GUILD}:${(nextChannel++).toString()}`;

const ALICE = '310000000000000001';
const BOB = '310000000000000002';
const CARA = '310000000000000003';
const MANAGE = { 'x-acting-user-permissions': String(1 << 5) };

const bot = (user: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${BOT_TOKEN}`,
  'x-acting-user': user,
  ...extra,
});

/** The remote and /history through the bot API, on the real app: the room engine's rules, audit rows, watch history. */
describe('/api/bot/*: the remote and the history', () => {
  let app: App;
  let items: string[];

  beforeAll(async () => {
    app = await buildTestApp({ BOT_API_TOKEN: BOT_TOKEN });
    const search = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=e`, headers: bot(ALICE) });
    items = search
      .json<BotSearchResponse>()
      .items.filter((i) => i.playable)
      .map((i) => i.id);
    // The guild has a row (it configured something once): audit rows name it.
    await app.inject({
      method: 'PATCH',
      url: `/api/bot/guilds/${GUILD}/settings`,
      headers: bot(ALICE, MANAGE),
      payload: { control: 'everyone' },
    });
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
  const join = (roomId: string, user: string, name: string) => {
    const [guildId, channelId] = roomId.split(':');
    return app.inject({
      method: 'POST',
      url: '/api/bot/voice/events',
      headers: bot(user),
      payload: { kind: 'join', guildId, channelId, userId: user, name, avatar: null },
    });
  };
  const members = async (roomId: string) =>
    (
      await app.inject({ url: `/api/bot/rooms/${encodeURIComponent(roomId)}`, headers: bot(ALICE) })
    ).json<RoomResponse>().snapshot.members;
  const idOf = async (roomId: string, name: string) => (await members(roomId)).find((m) => m.name === name)!.userId;

  async function hostsRoom() {
    const roomId = newRoom();
    expect(
      (await command(roomId, ALICE, { op: 'load', itemId: items[0] }, { 'x-acting-user-name': 'Alice' })).statusCode,
    ).toBe(200);
    await join(roomId, BOB, 'Bob');
    await join(roomId, CARA, 'Cara');
    expect((await command(roomId, ALICE, { op: 'settings', control: 'hosts' })).statusCode).toBe(200);
    return roomId;
  }

  it('asks, answers and passes the remote with the same rules as the activity, each in the audit log', async () => {
    const roomId = await hostsRoom();
    const bob = await idOf(roomId, 'Bob');
    const cara = await idOf(roomId, 'Cara');

    expect((await command(roomId, BOB, { op: 'pause' })).statusCode).toBe(403);
    expect((await command(roomId, BOB, { op: 'control.request' })).statusCode).toBe(200);
    const refused = await command(roomId, CARA, { op: 'control.answer', userId: bob, accept: true });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('not_allowed');
    expect((await command(roomId, ALICE, { op: 'control.answer', userId: bob, accept: true })).statusCode).toBe(200);
    expect((await members(roomId)).find((m) => m.userId === bob)?.role).toBe('host');
    expect((await command(roomId, BOB, { op: 'pause' })).statusCode).toBe(200);

    expect((await command(roomId, BOB, { op: 'remote.pass', userId: cara })).statusCode).toBe(200);
    expect((await members(roomId)).filter((m) => m.role === 'host').map((m) => m.name)).toEqual(['Cara']);
    expect((await command(roomId, ALICE, { op: 'play' })).statusCode).toBe(403);
    const unknown = await command(roomId, CARA, { op: 'host.grant', userId: 'nobody' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('unknown_member');

    const rows = await waitFor(
      async () => {
        const all = await app.database.db.select().from(auditLog);
        const ours = all.filter((r) => r.details.roomId === roomId && r.action !== 'room.settings');
        return ours.length >= 3 ? ours : false;
      },
      { what: 'three audit rows' },
    );
    const [guild] = await app.database.db.select().from(guilds);
    expect(rows.map((r) => [r.action, r.details.userId ?? null])).toEqual([
      ['room.control.request', null],
      ['room.control.answer', bob],
      ['room.remote.pass', cara],
    ]);
    for (const row of rows) expect(row.guildId).toBe(guild?.id);
    expect(rows[1]?.details.accept).toBe(true);
  });

  it('takes the member as discord:<id> from the bot, and refuses someone who is not there, changing nothing', async () => {
    const roomId = await hostsRoom();
    const before = await members(roomId);
    const stranger = await command(roomId, ALICE, { op: 'remote.pass', userId: 'discord:319999999999999999' });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json().error.code).toBe('unknown_member');
    expect(await members(roomId)).toEqual(before);
    expect((await command(roomId, ALICE, { op: 'remote.pass', userId: `discord:${BOB}` })).statusCode).toBe(200);
    expect((await members(roomId)).filter((m) => m.role === 'host').map((m) => m.name)).toEqual(['Bob']);
  });

  it('lets a guild admin remove a member for the room’s life; voice presence does not bring them back', async () => {
    const roomId = await hostsRoom();
    const bob = await idOf(roomId, 'Bob');
    expect((await command(roomId, CARA, { op: 'member.remove', userId: bob })).statusCode).toBe(403);
    expect((await command(roomId, CARA, { op: 'member.remove', userId: bob }, MANAGE)).statusCode).toBe(200);
    expect((await members(roomId)).map((m) => m.name)).toEqual(['Alice', 'Cara']);
    await join(roomId, BOB, 'Bob');
    expect((await members(roomId)).map((m) => m.name)).toEqual(['Alice', 'Cara']);
    // Even with everyone in control, the removed user's commands are refused.
    await command(roomId, ALICE, { op: 'settings', control: 'everyone' });
    expect((await command(roomId, BOB, { op: 'pause' })).statusCode).toBe(403);
  });

  it('lists what the guild watched, newest first, with the channel; other guilds’ rooms are not in it', async () => {
    const first = newRoom();
    const second = newRoom();
    await command(first, ALICE, { op: 'load', itemId: items[0] });
    await command(second, ALICE, { op: 'load', itemId: items[1] });
    await command(`100000000000000099:${(nextChannel++).toString()}`, ALICE, { op: 'load', itemId: items[2] });
    const history = await waitFor(
      async () => {
        const response = await app.inject({ url: `/api/bot/guilds/${GUILD}/history?limit=25`, headers: bot(BOB) });
        expect(response.statusCode).toBe(200);
        const body = response.json<BotHistoryResponse>();
        return body.items.some((i) => i.channelId === second.split(':')[1]) ? body : false;
      },
      { what: 'the history to hold the second room' },
    );
    const channels = history.items.map((i) => i.channelId);
    expect(channels).toContain(first.split(':')[1]);
    expect(history.items.every((i) => !i.channelId.includes(':'))).toBe(true);
    const starts = history.items.map((i) => i.startedAt);
    expect([...starts].sort().reverse()).toEqual(starts);
    expect(Object.keys(history.items[0]!).sort()).toEqual(['channelId', 'itemId', 'startedAt', 'title']);

    const limited = await app.inject({ url: `/api/bot/guilds/${GUILD}/history?limit=1`, headers: bot(BOB) });
    expect(limited.json<BotHistoryResponse>().items).toHaveLength(1);
    const bad = await app.inject({ url: `/api/bot/guilds/not-a-guild/history`, headers: bot(BOB) });
    expect(bad.statusCode).toBe(400);
  });
});
