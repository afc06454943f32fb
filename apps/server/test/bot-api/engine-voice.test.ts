import { CLOSE_CODES } from '@dpp/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchLog } from '../../src/rooms/ports.ts';
import type { RoomEngine } from '../../src/rooms/room-engine.ts';
import { ManualClock, startEngine, TestClient } from '../rooms/support/harness.ts';

/** What the bot API asks of the room engine: voice presence, per-call privileges, ending a room. */
const ROOM = '100000000000000001:200000000000000001';
const user = (userId: string) => ({ userId, name: userId, avatar: null });

describe('room engine, bot side', () => {
  let clock: ManualClock;
  let engine: RoomEngine;
  const watch: string[] = [];
  const events: string[] = [];
  const watchLog: WatchLog = {
    started: (s) => watch.push(`started ${s.roomId}`),
    item: (_id, _room, item) => watch.push(`item ${item.itemId}`),
    ended: (_id, roomId) => watch.push(`ended ${roomId}`),
  };

  beforeEach(async () => {
    clock = new ManualClock();
    engine = await startEngine({ clock, watchLog });
    engine.events.on('empty', (roomId) => events.push(`empty ${roomId}`));
  });
  afterEach(async () => {
    watch.length = 0;
    events.length = 0;
    await engine.close();
  });

  it('voice presence: present without holding playback, away on leave, removed after the grace', async () => {
    await engine.voice(ROOM, user('ada'), true);
    expect(await engine.snapshot(ROOM)).toBeUndefined();

    expect(await engine.command(ROOM, user('ada'), { op: 'load', itemId: 'm1' })).toMatchObject({ ok: true });
    await engine.voice(ROOM, user('ada'), true);
    await engine.voice(ROOM, user('bob'), true);
    let snapshot = (await engine.snapshot(ROOM))!;
    expect(snapshot.members.map((m) => [m.userId, m.role, m.state])).toEqual([
      ['ada', 'host', 'ready'],
      ['bob', 'member', 'ready'],
    ]);
    expect(await engine.voiceMembers(ROOM)).toEqual(['ada', 'bob']);
    // A new item does not wait for people who are only in voice.
    expect(await engine.command(ROOM, user('bob'), { op: 'load', itemId: 'm2' })).toMatchObject({ ok: true });
    expect((await engine.snapshot(ROOM))!.playback.status).toBe('playing');

    await engine.voice(ROOM, user('bob'), false);
    snapshot = (await engine.snapshot(ROOM))!;
    expect(snapshot.members.find((m) => m.userId === 'bob')?.state).toBe('away');
    expect(await engine.voiceMembers(ROOM)).toEqual(['ada']);
    await engine.voice(ROOM, user('ada'), false);
    await clock.advance(engine.tuning.awayGraceMs, () => engine.idle());
    expect(await engine.snapshot(ROOM)).toBeUndefined();
    expect(events).toEqual([`empty ${ROOM}`]);
    expect(watch.at(-1)).toBe(`ended ${ROOM}`);
  });

  it('a voice member who opens the activity keeps one membership; closing it leaves them present', async () => {
    await engine.command(ROOM, user('ada'), { op: 'load', itemId: 'm1' });
    await engine.voice(ROOM, user('ada'), true);
    const client = new TestClient(engine, 'ada');
    client.hello(ROOM, 'ada');
    await client.flush();
    expect((await engine.snapshot(ROOM))!.members).toHaveLength(1);
    await client.close(1000);
    const members = (await engine.snapshot(ROOM))!.members;
    expect(members).toHaveLength(1);
    expect(members[0]!.state).not.toBe('away');
  });

  it('a per-call privilege check grants host powers in hosts mode', async () => {
    await engine.command(ROOM, user('ada'), { op: 'load', itemId: 'm1' });
    await engine.command(ROOM, user('ada'), { op: 'settings', control: 'hosts' });
    expect(await engine.command(ROOM, user('bob'), { op: 'pause' })).toMatchObject({ ok: false, code: 'not_allowed' });
    const privileged = async () => true;
    expect(await engine.command(ROOM, user('bob'), { op: 'pause' }, { privileged })).toMatchObject({ ok: true });
  });

  it('end deletes the room, emits empty, records the end and closes its connections', async () => {
    expect(await engine.end(ROOM)).toEqual({ ok: true, ended: false });
    await engine.command(ROOM, user('ada'), { op: 'load', itemId: 'm1' });
    const client = new TestClient(engine, 'bob');
    client.hello(ROOM, 'bob');
    await client.flush();
    expect(await engine.end(ROOM)).toEqual({ ok: true, ended: true });
    await engine.idle();
    expect(await engine.snapshot(ROOM)).toBeUndefined();
    expect(events).toEqual([`empty ${ROOM}`]);
    expect(watch.filter((w) => w.startsWith('ended'))).toEqual([`ended ${ROOM}`]);
    expect(client.closeCode).toBe(CLOSE_CODES.roomEnded.code);
    expect(await engine.end(ROOM)).toEqual({ ok: true, ended: false });
  });

  it('a command that may not open the room answers not_joined; one that opens it for voice counts its actor present', async () => {
    expect(await engine.command(ROOM, user('ada'), { op: 'pause' }, { opens: false })).toMatchObject({
      ok: false,
      code: 'not_joined',
    });
    expect(await engine.command(ROOM, user('ada'), { op: 'load', itemId: 'm1' }, { opens: 'voice' })).toMatchObject({
      ok: true,
      snapshot: { members: [{ userId: 'ada', role: 'host', state: 'ready' }], playback: { itemId: 'm1' } },
    });
    expect(await engine.voiceMembers(ROOM)).toEqual(['ada']);
  });

  it('ends a room only for someone who may control it: in hosts mode a host, or whoever the guild empowers', async () => {
    await engine.command(ROOM, user('ada'), { op: 'load', itemId: 'm1' });
    await engine.command(ROOM, user('ada'), { op: 'settings', control: 'hosts' });
    expect(await engine.end(ROOM, { actor: user('bob') })).toEqual({
      ok: false,
      code: 'not_allowed',
      message: expect.any(String),
    });
    expect(await engine.end(ROOM, { actor: user('bob'), privileged: async () => false })).toMatchObject({ ok: false });
    expect(await engine.snapshot(ROOM)).toBeDefined();
    expect(await engine.end(ROOM, { actor: user('bob'), privileged: async () => true })).toEqual({
      ok: true,
      ended: true,
    });

    await engine.command(ROOM, user('ada'), { op: 'load', itemId: 'm1' });
    await engine.command(ROOM, user('ada'), { op: 'settings', control: 'hosts' });
    expect(await engine.end(ROOM, { actor: user('ada') })).toEqual({ ok: true, ended: true });
  });

  it("reconciles a guild's voice presence: listed people present, everyone else in voice away", async () => {
    const other = '100000000000000001:200000000000000002';
    await engine.command(ROOM, user('ada'), { op: 'load', itemId: 'm1' }, { opens: 'voice' });
    await engine.command(other, user('cy'), { op: 'load', itemId: 'm1' }, { opens: 'voice' });
    const resolved: string[] = [];
    const channels = new Map([['200000000000000001', ['bob']]]);
    await engine.reconcileVoice('100000000000000001', channels, async (id) => {
      resolved.push(id);
      return user(id);
    });
    expect(resolved).toEqual(['bob']);
    expect(await engine.voiceMembers(ROOM)).toEqual(['bob']);
    expect((await engine.snapshot(ROOM))!.members.find((m) => m.userId === 'ada')?.state).toBe('away');
    expect(await engine.voiceMembers(other)).toEqual([]);
  });
});

describe('room engine, a room opened in a guild', () => {
  const defaults = new Map<string, 'everyone' | 'hosts'>([['100000000000000001', 'hosts']]);
  const roomDefaults = async (roomId: string) => {
    if (roomId.startsWith('broken:')) throw new Error('database down');
    return { control: defaults.get(roomId.split(':')[0]!) ?? 'everyone' };
  };
  let engine: RoomEngine;
  beforeEach(async () => {
    engine = await startEngine({ clock: new ManualClock(), roomDefaults });
  });
  afterEach(() => engine.close());

  it("starts with the guild's control mode whoever opens it: a member of the activity, or a command", async () => {
    const client = new TestClient(engine, 'ada');
    client.hello(ROOM, 'ada');
    await client.flush();
    expect((await engine.snapshot(ROOM))!.settings.control).toBe('hosts');
    expect(await engine.command(ROOM, user('bob'), { op: 'load', itemId: 'm1' })).toMatchObject({
      ok: false,
      code: 'not_allowed',
    });

    const elsewhere = '100000000000000009:200000000000000001';
    await engine.command(elsewhere, user('bob'), { op: 'load', itemId: 'm1' });
    expect((await engine.snapshot(elsewhere))!.settings.control).toBe('everyone');
  });

  it('starts as everyone when the defaults cannot be read', async () => {
    await engine.command('broken:room', user('ada'), { op: 'load', itemId: 'm1' });
    expect((await engine.snapshot('broken:room'))!.settings.control).toBe('everyone');
  });
});

describe('room engine, /play', () => {
  let clock: ManualClock;
  let engine: RoomEngine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it('starts an item the guild left part-way from where it was left, and queues behind what plays', async () => {
    clock = new ManualClock();
    const asked: string[] = [];
    engine = await startEngine({
      clock,
      resumePoint: async (roomId, itemId) => {
        asked.push(`${roomId} ${itemId}`);
        return itemId === 'm1' ? { positionMs: 6_000 } : undefined;
      },
    });
    const started = await engine.play(ROOM, user('ada'), 'm1');
    expect(started).toMatchObject({ ok: true, outcome: 'started', resumedFromMs: 6_000 });
    if (!started.ok) throw new Error('play refused');
    expect(started.snapshot.playback).toMatchObject({ itemId: 'm1', positionMs: 6_000 });
    expect(started.snapshot.queue.map((e) => e.entryId)).toEqual([started.entryId]);
    // The actor is counted present in the room's voice channel (the bot acts for someone in it).
    expect(started.snapshot.members.map((m) => m.userId)).toEqual(['ada']);

    const queued = await engine.play(ROOM, user('ada'), 'm2');
    expect(queued).toMatchObject({ ok: true, outcome: 'queued', resumedFromMs: undefined });
    if (!queued.ok) throw new Error('play refused');
    expect(queued.snapshot.playback).toMatchObject({ itemId: 'm1', positionMs: 6_000 });
    expect(queued.snapshot.queue.at(-1)).toMatchObject({ itemId: 'm2', entryId: queued.entryId });
    // Only an item the room starts asks where it was left.
    expect(asked).toEqual([`${ROOM} m1`]);
  });

  it('starts from the top when the progress store cannot answer, and refuses an unknown item', async () => {
    clock = new ManualClock();
    engine = await startEngine({
      clock,
      resumePoint: async () => {
        throw new Error('database unreachable');
      },
    });
    const started = await engine.play(ROOM, user('ada'), 'm1');
    expect(started).toMatchObject({ ok: true, outcome: 'started', resumedFromMs: undefined });
    if (!started.ok) throw new Error('play refused');
    expect(started.snapshot.playback).toMatchObject({ itemId: 'm1', positionMs: 0 });
    expect(await engine.play(ROOM, user('ada'), 'nope')).toMatchObject({ ok: false, code: 'unknown_item' });
  });
});
