/** `POST /api/bot/rooms/:roomId/play`: /play as one room update, so simultaneous ones never collide. */
import { randomBytes } from 'node:crypto';
import type { BotPlayResponse, BotSearchResponse } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildTestApp } from '../library/support/test-app.ts';
import { raceRetries } from './support/race-retries.ts';

const BOT_TOKEN = randomBytes(24).toString('base64url');
const GUILD = '100000000000000003';
const USERS = ['300000000000000011', '300000000000000012', '300000000000000013', '300000000000000014'];
const bot = (user: string) => ({ authorization: `Bearer ${BOT_TOKEN}`, 'x-acting-user': user });

describe('/play on the server', () => {
  let app: App;
  let items: string[];

  beforeAll(async () => {
    app = await buildTestApp({ BOT_API_TOKEN: BOT_TOKEN });
    const search = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=e`, headers: bot(USERS[0]!) });
    items = search
      .json<BotSearchResponse>()
      .items.filter((i) => i.playable)
      .map((i) => i.id);
  });
  afterAll(async () => {
    await app?.close();
  });

  const play = (roomId: string, user: string, itemId: string, key?: string) =>
    app.inject({
      method: 'POST',
      url: `/api/bot/rooms/${roomId}/play`,
      headers: { ...bot(user), ...(key ? { 'idempotency-key': key } : {}) },
      payload: { itemId },
    });

  it('starts the first of several simultaneous /play and queues the others: none replaces another', async () => {
    const roomId = `${GUILD}:200000000000000031`;
    const picks = USERS.map((_, i) => items[i % items.length]!);
    const answers = await Promise.all(USERS.map((user, i) => play(roomId, user, picks[i]!)));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200]);
    const bodies = answers.map((a) => a.json<BotPlayResponse>());
    expect(bodies.filter((b) => b.outcome === 'started')).toHaveLength(1);
    expect(bodies.filter((b) => b.outcome === 'queued')).toHaveLength(3);

    const snapshot = await app.rooms.snapshot(roomId);
    expect(snapshot?.queue).toHaveLength(4);
    expect(new Set(snapshot?.queue.map((e) => e.entryId))).toEqual(new Set(bodies.map((b) => b.entryId)));
    const starter = bodies.find((b) => b.outcome === 'started')!;
    expect(snapshot?.queue[0]?.entryId).toBe(starter.entryId);
    expect(snapshot?.playback.itemId).toBe(snapshot?.queue[0]?.itemId);
    expect(snapshot?.playback.status).toBe('playing');
  });

  it('applies a retried /play once (same Idempotency-Key), answering as the first time', async () => {
    const roomId = `${GUILD}:200000000000000032`;
    const first = await play(roomId, USERS[0]!, items[0]!, 'interaction-1:play');
    const retry = await play(roomId, USERS[0]!, items[0]!, 'interaction-1:play');
    expect(retry.json<BotPlayResponse>().entryId).toBe(first.json<BotPlayResponse>().entryId);
    expect((await app.rooms.snapshot(roomId))?.queue).toHaveLength(1);
  });

  it('applies two concurrent retries of one /play once, answering both alike', async () => {
    const roomId = `${GUILD}:200000000000000034`;
    const { answers, lookups } = await raceRetries(app, () => play(roomId, USERS[0]!, items[0]!, 'interaction-2:play'));
    const [first, retry] = answers;
    expect(lookups).toBe(1);
    expect(retry!.json()).toEqual(first!.json());
    expect(first!.json<BotPlayResponse>().outcome).toBe('started');
    expect((await app.rooms.snapshot(roomId))?.queue).toHaveLength(1);
  });

  it('refuses an item the library does not have', async () => {
    const answer = await play(`${GUILD}:200000000000000033`, USERS[0]!, 'no-such-item');
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toMatchObject({ error: { code: 'unknown_item' } });
  });
});
