import { CLOSE_CODES } from '@dpp/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/infra/memory-cache.ts';
import { EVENTS_CHANNEL, roomChannel } from '../../src/rooms/bus-messages.ts';
import { cacheLeases, type WatchLog } from '../../src/rooms/ports.ts';
import type { RoomEngine } from '../../src/rooms/room-engine.ts';
import { ManualClock, memoryBackend, startEngine, TestClient } from './support/harness.ts';

/** The room engine through in-memory sockets: frames flushed by hand, time moved by hand. */
const ROOM = 'dev:lobby';

describe('room engine', () => {
  let clock: ManualClock;
  let engine: RoomEngine;
  const clients: TestClient[] = [];
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
    engine.events.on('item', (roomId, itemId) => events.push(`item ${roomId} ${itemId}`));
    engine.events.on('empty', (roomId) => events.push(`empty ${roomId}`));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) expect(client.problems).toEqual([]);
    watch.length = 0;
    events.length = 0;
    await engine.close();
  });

  const settle = () => engine.idle();
  const advance = (ms: number) => clock.advance(ms, settle);

  async function join(userId: string, roomId = ROOM, on = engine) {
    const client = new TestClient(on, userId);
    clients.push(client);
    client.hello(roomId, userId);
    await client.flush();
    return client;
  }

  /** Everyone present says they are ready for the current playback. */
  async function allReady(...members: TestClient[]) {
    for (const m of members) await m.report('ready', m.snapshot?.playback.positionMs ?? 0).flush();
  }

  describe('joining', () => {
    it('welcomes the first member as host with a snapshot at seq 1', async () => {
      const ada = await join('ada');
      const welcome = ada.last('welcome');
      expect(welcome).toMatchObject({
        protocolVersion: 1,
        you: { userId: 'ada', name: 'Ada', avatar: null },
        serverTime: clock.now(),
        resumed: false,
      });
      expect(welcome?.snapshot).toMatchObject({
        roomId: ROOM,
        seq: 1,
        playback: { itemId: null, status: 'paused', rev: 0 },
        queue: [],
        members: [{ userId: 'ada', role: 'host', state: 'buffering' }],
        settings: { control: 'everyone' },
      });
      expect(watch).toEqual([`started ${ROOM}`]);
    });

    it('tells everyone about a new member, with the next seq', async () => {
      const ada = await join('ada');
      const bob = await join('bob');
      expect(bob.last('welcome')?.snapshot.seq).toBe(2);
      expect(ada.last('state')).toMatchObject({ seq: 2, cause: { type: 'member', event: 'joined', userId: 'bob' } });
      expect(ada.snapshot).toEqual(bob.snapshot);
      expect(bob.snapshot?.members.map((m) => [m.userId, m.role])).toEqual([
        ['ada', 'host'],
        ['bob', 'member'],
      ]);
    });

    it('brings two members who create the room at the same moment to the same seq', async () => {
      const ada = new TestClient(engine, 'ada');
      const bob = new TestClient(engine, 'bob');
      clients.push(ada, bob);
      ada.hello(ROOM, 'ada');
      bob.hello(ROOM, 'bob');
      await Promise.all([ada.flush(), bob.flush()]);
      expect(ada.snapshot?.seq).toBe(2);
      expect(ada.snapshot).toEqual(bob.snapshot);
    });

    it('rejects a bad token, another protocol version, and a second hello', async () => {
      const eve = new TestClient(engine, 'eve');
      eve.send({ type: 'hello', protocolVersion: 1, token: 'forged', roomId: ROOM });
      await eve.flush();
      expect(eve.last('error')?.code).toBe('unauthorized');
      expect(eve.closeCode).toBe(CLOSE_CODES.unauthorized.code);

      const old = new TestClient(engine, 'old');
      old.hello(ROOM, 'old', { protocolVersion: 0 });
      await old.flush();
      expect(old.last('error')?.code).toBe('unsupported_version');
      expect(old.closeCode).toBe(CLOSE_CODES.unsupportedVersion.code);

      const ada = await join('ada');
      ada.hello(ROOM, 'ada');
      await ada.flush();
      expect(ada.last('error')?.code).toBe('already_joined');
      expect(await engine.snapshot(ROOM)).toMatchObject({ members: [{ userId: 'ada' }] });
    });

    it('closes a connection that says no hello within 5 s', async () => {
      const quiet = new TestClient(engine, 'quiet');
      await advance(4_999);
      expect(quiet.isOpen).toBe(true);
      await advance(1);
      expect(quiet.closeCode).toBe(CLOSE_CODES.helloTimeout.code);
    });

    it('answers commands and reports before hello with not_joined', async () => {
      const early = new TestClient(engine, 'early');
      const id = early.command({ op: 'play' });
      early.report('ready');
      await early.flush();
      expect(early.replyTo(id)).toMatchObject({ type: 'error', code: 'not_joined' });
      expect(early.last('error')).toMatchObject({ code: 'not_joined' });
      expect(early.isOpen).toBe(true);
    });

    it('answers pings at once with the server clock', async () => {
      const client = new TestClient(engine, 'c');
      client.send({ type: 'ping', id: 7, t0: 123.25 });
      await client.flush();
      expect(client.last('pong')).toEqual({ type: 'pong', id: 7, t0: 123.25, t1: clock.now(), t2: clock.now() });
    });
  });

  describe('playback', () => {
    it('starts an added item once everyone has loaded it, scheduled with the lead', async () => {
      const ada = await join('ada');
      const bob = await join('bob');
      const id = ada.command({ op: 'queue.add', itemId: 'm1' });
      await ada.flush();
      expect(ada.replyTo(id)).toEqual({ type: 'ack', id });
      expect(bob.snapshot?.playback).toMatchObject({ itemId: 'm1', status: 'waiting', positionMs: 0 });
      expect(bob.snapshot?.members.map((m) => m.state)).toEqual(['buffering', 'buffering']);
      expect(bob.snapshot?.queue).toEqual([
        { entryId: 'e1', itemId: 'm1', title: 'Big Buck Bunny', durationMs: 60_000, thumb: '/art/m1', addedBy: 'Ada' },
      ]);
      expect(events).toEqual([`item ${ROOM} m1`]);
      expect(watch).toContain('item m1');

      await ada.report('ready').flush();
      expect(ada.snapshot?.playback.status).toBe('waiting');
      await bob.report('ready').flush();
      expect(bob.snapshot?.playback).toMatchObject({ status: 'playing', positionMs: 0, atServerMs: clock.now() + 150 });
      expect(ada.snapshot).toEqual(bob.snapshot);
    });

    it('pauses where the group is, resumes, seeks and changes rate', async () => {
      const ada = await join('ada');
      ada.command({ op: 'load', itemId: 'm1' });
      await ada.flush();
      await allReady(ada);
      const startsAt = ada.snapshot?.playback.atServerMs ?? 0;
      await advance(startsAt - clock.now() + 10_000);

      ada.command({ op: 'pause' });
      await ada.flush();
      expect(ada.snapshot?.playback).toMatchObject({ status: 'paused', positionMs: 10_000, atServerMs: clock.now() });

      ada.command({ op: 'seek', positionMs: 20_000 });
      await ada.flush();
      expect(ada.snapshot?.playback).toMatchObject({ status: 'paused', positionMs: 20_000 });

      ada.command({ op: 'play' });
      await ada.flush();
      expect(ada.snapshot?.playback).toMatchObject({
        status: 'playing',
        positionMs: 20_000,
        atServerMs: clock.now() + 150,
      });

      await advance(150 + 2_000);
      ada.command({ op: 'rate', rate: 1.5 });
      await ada.flush();
      expect(ada.snapshot?.playback).toMatchObject({ status: 'playing', positionMs: 22_000, rate: 1.5 });

      ada.command({ op: 'seek', positionMs: 999_999 });
      await ada.flush();
      expect(ada.snapshot?.playback.positionMs).toBe(60_000);
    });

    it('acknowledges a command that changes nothing without a broadcast', async () => {
      const ada = await join('ada');
      ada.command({ op: 'load', itemId: 'm1' });
      await ada.flush();
      await allReady(ada);
      const seq = ada.seq;
      const id = ada.command({ op: 'play' });
      await ada.flush();
      expect(ada.replyTo(id)).toEqual({ type: 'ack', id });
      expect(ada.seq).toBe(seq);
    });

    it('answers with typed errors and changes nothing', async () => {
      const ada = await join('ada');
      const seq = ada.seq;
      const ids = {
        play: ada.command({ op: 'play' }),
        unknown: ada.command({ op: 'load', itemId: 'nope' }),
        entry: ada.command({ op: 'queue.remove', entryId: 'e9' }),
      };
      await ada.flush();
      expect(ada.replyTo(ids.play)).toMatchObject({ type: 'error', code: 'no_item' });
      expect(ada.replyTo(ids.unknown)).toMatchObject({ type: 'error', code: 'unknown_item' });
      expect(ada.replyTo(ids.entry)).toMatchObject({ type: 'error', code: 'unknown_entry' });
      expect(ada.seq).toBe(seq);
    });

    it('says unavailable when the library cannot answer', async () => {
      engine.setItemLookup(async () => {
        throw new Error('plex down');
      });
      const ada = await join('ada');
      const id = ada.command({ op: 'queue.add', itemId: 'm1' });
      await ada.flush();
      expect(ada.replyTo(id)).toMatchObject({ type: 'error', code: 'unavailable' });
    });
  });

  describe('the queue', () => {
    it('adds, moves, removes and skips', async () => {
      const ada = await join('ada');
      for (const itemId of ['m1', 'm2', 'm3', 'live']) ada.command({ op: 'queue.add', itemId });
      await ada.flush();
      const entries = () => ada.snapshot?.queue.map((e) => e.itemId);
      expect(entries()).toEqual(['m1', 'm2', 'm3', 'live']);

      ada.command({ op: 'queue.move', entryId: 'e4', index: 1 });
      await ada.flush();
      expect(entries()).toEqual(['m1', 'live', 'm2', 'm3']);

      const current = ada.command({ op: 'queue.move', entryId: 'e1', index: 2 });
      await ada.flush();
      expect(ada.replyTo(current)).toMatchObject({ type: 'error', code: 'invalid_move' });

      ada.command({ op: 'queue.move', entryId: 'e4', index: 99 });
      ada.command({ op: 'queue.remove', entryId: 'e2' });
      await ada.flush();
      expect(entries()).toEqual(['m1', 'm3', 'live']);

      ada.command({ op: 'next' });
      await ada.flush();
      expect(ada.snapshot?.playback).toMatchObject({ itemId: 'm3', status: 'waiting', positionMs: 0 });

      ada.command({ op: 'queue.remove', entryId: 'e3' });
      await ada.flush();
      expect(ada.snapshot?.playback.itemId).toBe('live');
      ada.command({ op: 'next' });
      await ada.flush();
      expect(ada.snapshot?.playback).toMatchObject({ itemId: null, status: 'paused' });
      expect(ada.snapshot?.queue).toEqual([]);
      expect(events).toEqual([`item ${ROOM} m1`, `item ${ROOM} m3`, `item ${ROOM} live`, `item ${ROOM} null`]);
    });

    it('replaces the current item on load and keeps what is up next', async () => {
      const ada = await join('ada');
      ada.command({ op: 'queue.add', itemId: 'm1' });
      ada.command({ op: 'queue.add', itemId: 'm2' });
      ada.command({ op: 'load', itemId: 'm3' });
      await ada.flush();
      expect(ada.snapshot?.queue.map((e) => e.itemId)).toEqual(['m3', 'm2']);
    });

    it('refuses a queue that is full', async () => {
      await engine.close();
      engine = await startEngine({ clock, tuning: { maxQueueLength: 2 } });
      const ada = await join('ada');
      ada.command({ op: 'queue.add', itemId: 'm1' });
      ada.command({ op: 'queue.add', itemId: 'm2' });
      const id = ada.command({ op: 'queue.add', itemId: 'm3' });
      await ada.flush();
      expect(ada.replyTo(id)).toMatchObject({ type: 'error', code: 'queue_full' });
    });

    it('moves on by itself when the item is over, once, and stops after the last', async () => {
      const ada = await join('ada');
      ada.command({ op: 'queue.add', itemId: 'm2' });
      ada.command({ op: 'queue.add', itemId: 'm1' });
      await ada.flush();
      await allReady(ada);
      const startsAt = ada.snapshot?.playback.atServerMs ?? 0;
      await advance(startsAt - clock.now() + 30_000 - 1);
      expect(ada.snapshot?.playback.itemId).toBe('m2');
      await advance(1);
      expect(ada.last('state')?.cause).toEqual({ type: 'system', event: 'item-ended' });
      expect(ada.snapshot?.playback).toMatchObject({ itemId: 'm1', status: 'waiting', positionMs: 0 });
      expect(ada.snapshot?.queue.map((e) => e.itemId)).toEqual(['m1']);

      await allReady(ada);
      await advance(150 + 60_000);
      expect(ada.snapshot?.playback).toMatchObject({ itemId: null, status: 'paused' });
      expect(events).toEqual([`item ${ROOM} m2`, `item ${ROOM} m1`, `item ${ROOM} null`]);
    });

    it('follows a seek and a rate change when working out the end', async () => {
      const ada = await join('ada');
      ada.command({ op: 'queue.add', itemId: 'm1' });
      await ada.flush();
      await allReady(ada);
      ada.command({ op: 'seek', positionMs: 50_000 });
      ada.command({ op: 'rate', rate: 2 });
      await ada.flush();
      await advance(150 + 4_999);
      expect(ada.snapshot?.playback.itemId).toBe('m1');
      await advance(10);
      expect(ada.snapshot?.playback.itemId).toBe(null);
    });
  });

  describe('buffering', () => {
    async function playingRoom() {
      const ada = await join('ada');
      const bob = await join('bob');
      ada.command({ op: 'queue.add', itemId: 'm1' });
      await ada.flush();
      await allReady(ada, bob);
      await advance(150 + 5_000);
      return { ada, bob };
    }

    it('makes everyone wait where the stalled member is, then plays on together', async () => {
      const { ada, bob } = await playingRoom();
      await bob.report('buffering', 4_900).flush();
      expect(ada.snapshot?.playback).toMatchObject({
        status: 'waiting',
        positionMs: 4_900,
        waitUntil: clock.now() + 8_000,
      });
      expect(ada.snapshot?.members.find((m) => m.userId === 'bob')?.state).toBe('buffering');
      await advance(2_000);
      await bob.report('ready', 4_900).flush();
      expect(ada.snapshot?.playback).toMatchObject({ status: 'playing', positionMs: 4_900, waitUntil: null });
    });

    it('never holds the room at a position older than a second', async () => {
      const { ada, bob } = await playingRoom();
      await bob.report('buffering', 0).flush();
      expect(ada.snapshot?.playback.positionMs).toBe(4_000);
    });

    it('stops waiting after 8 s: the laggard catches up alone and a new stall does not stop the room', async () => {
      const { ada, bob } = await playingRoom();
      await bob.report('buffering', 5_000).flush();
      await advance(7_999);
      expect(ada.snapshot?.playback.status).toBe('waiting');
      await advance(1);
      expect(ada.last('state')?.cause).toEqual({ type: 'system', event: 'wait-timeout' });
      expect(ada.snapshot?.playback.status).toBe('playing');
      expect(ada.snapshot?.members.find((m) => m.userId === 'bob')?.state).toBe('lagging');

      await bob.report('ready', 5_000).flush();
      expect(bob.snapshot?.members.find((m) => m.userId === 'bob')?.state).toBe('ready');
      await bob.report('buffering', 6_000).flush();
      expect(ada.snapshot?.playback.status).toBe('playing');
      expect(ada.snapshot?.members.find((m) => m.userId === 'bob')?.state).toBe('lagging');
    });

    it('never lets a late joiner pause the room', async () => {
      const { ada } = await playingRoom();
      const cy = await join('cy');
      expect(cy.snapshot?.members.find((m) => m.userId === 'cy')?.state).toBe('buffering');
      await cy.report('buffering', 0).flush();
      expect(ada.snapshot?.playback.status).toBe('playing');
      await cy.report('ready', 5_000).flush();
      expect(ada.snapshot?.members.find((m) => m.userId === 'cy')?.state).toBe('ready');
    });

    it('ignores reports about an earlier playback', async () => {
      const { ada, bob } = await playingRoom();
      const oldRev = (ada.snapshot?.playback.rev ?? 0) - 1;
      const seq = ada.seq;
      await bob.report('buffering', 5_000, oldRev).flush();
      expect(ada.seq).toBe(seq);
      expect(ada.snapshot?.playback.status).toBe('playing');
    });

    it('stops waiting when the member it waits for leaves', async () => {
      const { ada, bob } = await playingRoom();
      await bob.report('buffering', 5_000).flush();
      await bob.close(1006);
      expect(ada.snapshot?.playback.status).toBe('playing');
      expect(ada.snapshot?.members.find((m) => m.userId === 'bob')?.state).toBe('away');
    });
  });

  describe('permissions and hosts', () => {
    it('lets only hosts control a room set to hosts, and only hosts change settings', async () => {
      const ada = await join('ada');
      const bob = await join('bob');
      const denied = bob.command({ op: 'settings', control: 'hosts' });
      await bob.flush();
      expect(bob.replyTo(denied)).toMatchObject({ type: 'error', code: 'not_allowed' });

      ada.command({ op: 'settings', control: 'hosts' });
      ada.command({ op: 'queue.add', itemId: 'm1' });
      await ada.flush();
      expect(bob.snapshot?.settings).toEqual({ control: 'hosts' });
      const pause = bob.command({ op: 'pause' });
      await bob.flush();
      expect(bob.replyTo(pause)).toMatchObject({ type: 'error', code: 'not_allowed' });
      const hostPause = ada.command({ op: 'pause' });
      await ada.flush();
      expect(ada.replyTo(hostPause)).toMatchObject({ type: 'ack' });
    });

    it('asks the guild about users who are not hosts (DJ role, Manage Server)', async () => {
      await engine.close();
      const asked: string[] = [];
      engine = await startEngine({
        clock,
        privileges: async (_roomId, userId) => {
          asked.push(userId);
          return userId === 'dj';
        },
      });
      const ada = await join('ada');
      const dj = await join('dj');
      const bob = await join('bob');
      ada.command({ op: 'settings', control: 'hosts' });
      await ada.flush();
      const allowed = dj.command({ op: 'queue.add', itemId: 'm1' });
      await dj.flush();
      const denied = bob.command({ op: 'queue.add', itemId: 'm2' });
      await bob.flush();
      expect(dj.replyTo(allowed)).toMatchObject({ type: 'ack' });
      expect(bob.replyTo(denied)).toMatchObject({ type: 'error', code: 'not_allowed' });
      expect(asked).toEqual(['dj', 'bob']);
    });

    it('hands the host role on when the host leaves', async () => {
      const ada = await join('ada');
      const bob = await join('bob');
      const cy = await join('cy');
      await ada.close(1000);
      expect(bob.last('state')?.cause).toEqual({ type: 'member', event: 'left', userId: 'ada' });
      expect(cy.snapshot?.members.map((m) => [m.userId, m.role])).toEqual([
        ['bob', 'host'],
        ['cy', 'member'],
      ]);
    });

    it('keeps a dropped host for the grace period, then hands over', async () => {
      const ada = await join('ada');
      const bob = await join('bob');
      await ada.close(1006);
      expect(bob.snapshot?.members.map((m) => [m.userId, m.role, m.state])).toEqual([
        ['ada', 'host', 'away'],
        ['bob', 'member', 'buffering'],
      ]);
      await advance(29_999);
      expect(bob.snapshot?.members).toHaveLength(2);
      await advance(1);
      expect(bob.snapshot?.members.map((m) => [m.userId, m.role])).toEqual([['bob', 'host']]);
    });

    it('gives the creator back the host role when they return', async () => {
      const ada = await join('ada');
      await join('bob');
      await ada.close(1000);
      const back = await join('ada');
      expect(back.snapshot?.members.map((m) => [m.userId, m.role])).toEqual([
        ['bob', 'host'],
        ['ada', 'host'],
      ]);
    });
  });

  describe('connections', () => {
    it('resumes a dropped member that reconnects with lastSeq, with a fresh snapshot', async () => {
      const ada = await join('ada');
      const bob = await join('bob');
      const lastSeq = bob.seq ?? 0;
      await bob.close(1006);
      ada.command({ op: 'queue.add', itemId: 'm1' });
      await ada.flush();

      const again = new TestClient(engine, 'bob2');
      clients.push(again);
      again.hello(ROOM, 'bob', { lastSeq });
      await again.flush();
      const welcome = again.last('welcome');
      expect(welcome?.resumed).toBe(true);
      expect(welcome?.snapshot.seq).toBeGreaterThan(lastSeq + 1);
      expect(welcome?.snapshot.playback.itemId).toBe('m1');
      expect(ada.last('state')?.cause).toEqual({ type: 'member', event: 'returned', userId: 'bob' });
      expect(again.snapshot).toEqual(ada.snapshot);
    });

    it('keeps a member with two tabs until both are gone, without telling anyone about the second', async () => {
      const ada = await join('ada');
      const tab1 = await join('bob');
      const seq = ada.seq;
      const tab2 = await join('bob');
      expect(ada.seq).toBe(seq);
      expect(tab2.snapshot).toEqual(ada.snapshot);
      await tab1.close(1000);
      expect(ada.seq).toBe(seq);
      await tab2.close(1000);
      expect(ada.snapshot?.members.map((m) => m.userId)).toEqual(['ada']);
    });

    it('closes the room when the last member leaves', async () => {
      const ada = await join('ada');
      ada.command({ op: 'queue.add', itemId: 'm1' });
      await ada.flush();
      await ada.close(1000);
      expect(await engine.snapshot(ROOM)).toBeUndefined();
      expect(events).toEqual([`item ${ROOM} m1`, `empty ${ROOM}`]);
      expect(watch).toEqual([`started ${ROOM}`, 'item m1', `ended ${ROOM}`]);
      const fresh = await join('bob');
      expect(fresh.snapshot).toMatchObject({ seq: 1, queue: [], members: [{ userId: 'bob', role: 'host' }] });
    });

    it('closes a room whose members all dropped once their grace is over', async () => {
      const ada = await join('ada');
      await ada.close(1006);
      expect(await engine.isMember(ROOM, 'ada')).toBe(true);
      await advance(30_000);
      expect(await engine.snapshot(ROOM)).toBeUndefined();
      expect(events).toEqual([`empty ${ROOM}`]);
    });
  });

  it("writes one room's heartbeat round trips in one transaction", async () => {
    const backend = memoryBackend();
    const on = await startEngine({ clock }, backend);
    const members = await Promise.all(['ada', 'bob', 'cy', 'di'].map((id) => join(id, ROOM, on)));
    let writes = 0;
    const compareAndSet = backend.store.compareAndSet.bind(backend.store);
    backend.store.compareAndSet = (...args) => {
      writes += 1;
      return compareAndSet(...args);
    };
    // One heartbeat tick: every socket's pong arrives at once.
    for (const [i, member] of members.entries()) member.connection.observeRtt(40 + i * 20);
    await on.idle();
    expect(writes).toBe(1);
    const record = (await backend.store.get(ROOM))?.value as { members: { userId: string; rttMs: number }[] };
    expect(record.members.map((m) => [m.userId, m.rttMs])).toEqual([
      ['ada', 40],
      ['bob', 60],
      ['cy', 80],
      ['di', 100],
    ]);
    await on.close();
  });

  describe('abuse', () => {
    it('answers an invalid frame with a typed error and leaves the room as it was', async () => {
      const ada = await join('ada');
      const before = await engine.snapshot(ROOM);
      ada.sendRaw('{not json');
      ada.send({ type: 'command', id: 'x', op: 'seek', positionMs: -5 });
      ada.send({ type: 'teleport' });
      await ada.flush();
      const errors = ada.received.filter((m) => m.type === 'error');
      expect(errors.map((e) => e.type === 'error' && e.code)).toEqual(['bad_frame', 'bad_frame', 'bad_frame']);
      expect(errors[1]).toMatchObject({ message: expect.stringContaining('positionMs') });
      expect(await engine.snapshot(ROOM)).toEqual(before);
      expect(ada.isOpen).toBe(true);
    });

    it('closes a socket that keeps sending invalid frames', async () => {
      const ada = await join('ada');
      for (let i = 0; i < 11; i++) ada.sendRaw('nope');
      await ada.flush();
      expect(ada.closeCode).toBe(CLOSE_CODES.badFrames.code);
      expect(ada.received.filter((m) => m.type === 'error')).toHaveLength(10);
    });

    it('rate-limits a flood: one error, then the socket is closed', async () => {
      const ada = await join('ada');
      for (let i = 0; i < 40; i++) ada.send({ type: 'ping', id: i, t0: 0 });
      await ada.flush();
      expect(ada.received.filter((m) => m.type === 'pong')).toHaveLength(39);
      expect(ada.last('error')?.code).toBe('rate_limited');
      for (let i = 0; i < 150; i++) ada.send({ type: 'ping', id: i, t0: 0 });
      await ada.flush();
      expect(ada.received.filter((m) => m.type === 'error')).toHaveLength(1);
      expect(ada.closeCode).toBe(CLOSE_CODES.rateLimited.code);
      expect(await engine.snapshot(ROOM)).toMatchObject({ members: [{ userId: 'ada', state: 'away' }] });
    });

    it('lets a steady client go on indefinitely', async () => {
      const ada = await join('ada');
      for (let second = 0; second < 30; second++) {
        for (let i = 0; i < 15; i++) ada.send({ type: 'ping', id: i, t0: 0 });
        await ada.flush();
        await advance(1_000);
      }
      expect(ada.isOpen).toBe(true);
      expect(ada.received.some((m) => m.type === 'error')).toBe(false);
    });

    it('closes a socket that sends a frame over 64 KiB', async () => {
      const ada = await join('ada');
      ada.sendRaw(JSON.stringify({ type: 'ping', id: 1, t0: 0, pad: 'x'.repeat(70_000) }));
      await ada.flush();
      expect(ada.closeCode).toBe(1009);
    });
  });

  describe('two instances on one backend', () => {
    it('delivers a command made on one to the clients of the other, with one seq', async () => {
      const backend = memoryBackend();
      const a = await startEngine({ clock }, backend);
      const b = await startEngine({ clock }, backend);
      try {
        const ada = await join('ada', ROOM, a);
        const bob = await join('bob', ROOM, b);
        ada.command({ op: 'queue.add', itemId: 'm1' });
        await ada.flush();
        expect(bob.snapshot).toEqual(ada.snapshot);
        expect(bob.last('state')).toEqual(ada.last('state'));
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("takes a crashed instance's connections out of its rooms, and lets it back in if it was alive after all", async () => {
      const backend = memoryBackend();
      const cache = new MemoryCache();
      const leases = cacheLeases(cache);
      // Each sweeps before it renews, so a lapsed lease is seen by the other instance first.
      const leasing = { ttlMs: 60_000, renewMs: 20_000, sweepMs: 5_000 };
      const a = await startEngine({ clock, leases, leasing }, backend);
      const b = await startEngine({ clock, leases, leasing }, backend);
      const settleBoth = async () => {
        await a.idle();
        await b.idle();
      };
      try {
        const ada = await join('ada', ROOM, a);
        const bob = await join('bob', ROOM, b);
        await settleBoth();
        const state = (name: string) => bob.snapshot?.members.find((m) => m.userId === name)?.state;
        expect([state('ada'), state('bob')]).toEqual(['buffering', 'buffering']);

        // Instance a's lease lapses (as when it dies without a clean shutdown): b's next sweep takes Ada out.
        await cache.delete(`roomlease:${a.instanceId}`);
        await clock.advance(5_000, settleBoth);
        expect([state('ada'), state('bob')]).toEqual(['away', 'buffering']);

        // Instance a was alive after all: at its next renewal it finds its lease lapsed and rejoins Ada.
        await clock.advance(15_000, settleBoth);
        expect(state('ada')).not.toBe('away');
        expect(ada.snapshot?.members.find((m) => m.userId === 'ada')?.state).not.toBe('away');

        // Sweeps now find every lease alive and change nothing.
        const seq = bob.snapshot?.seq;
        await clock.advance(10_000, settleBoth);
        expect(bob.snapshot?.seq).toBe(seq);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('drops malformed bus messages: a room and its members go on as before', async () => {
      const backend = memoryBackend();
      const warnings: string[] = [];
      const log = { warn: (_: object, message: string) => warnings.push(message), error() {} };
      const a = await startEngine({ clock, log }, backend);
      try {
        const ada = await join('ada', ROOM, a);
        await backend.bus.publish(roomChannel(ROOM), { epoch: 'x', frame: { type: 'state', seq: 'two' } });
        await backend.bus.publish(EVENTS_CHANNEL, { kind: 'removed', roomId: ROOM });
        await a.idle();
        expect(warnings).toEqual(['dropped a malformed room broadcast', 'dropped a malformed room event']);
        expect(ada.closeCode).toBeUndefined();
        ada.command({ op: 'queue.add', itemId: 'm1' });
        await ada.flush();
        expect(ada.snapshot?.queue.map((e) => e.itemId)).toEqual(['m1']);
      } finally {
        await a.close();
      }
    });

    it('advances the queue once when both instances time the end of the item', async () => {
      const backend = memoryBackend();
      const a = await startEngine({ clock }, backend);
      const b = await startEngine({ clock }, backend);
      try {
        const ada = await join('ada', ROOM, a);
        const bob = await join('bob', ROOM, b);
        for (const itemId of ['m2', 'm1', 'm3']) ada.command({ op: 'queue.add', itemId });
        await ada.flush();
        await allReady(ada, bob);
        const both = async () => {
          await a.idle();
          await b.idle();
        };
        await clock.advance(150 + 30_000, both);
        expect(bob.snapshot?.queue.map((e) => e.itemId)).toEqual(['m1', 'm3']);
        expect(ada.snapshot).toEqual(bob.snapshot);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  it('closes every socket with 1012 on shutdown and keeps their members as away', async () => {
    const ada = await join('ada');
    const bob = await join('bob');
    await engine.shutdown();
    expect([ada.closeCode, bob.closeCode]).toEqual([1012, 1012]);
    expect((await engine.snapshot(ROOM))?.members.map((m) => m.state)).toEqual(['away', 'away']);
  });
});
