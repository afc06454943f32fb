import type { CommandIntent } from '@dpp/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addConnection,
  applyCommand,
  applyReport,
  blockingMembers,
  type Context,
  canControl,
  DEFAULT_TUNING,
  dropConnection,
  itemEnded,
  itemEndsAt,
  leadFor,
  settle,
  sweepAway,
  waitTimedOut,
} from '../../src/rooms/room-logic.ts';
import { diffSnapshots, newRoom, type RoomRecord, toSnapshot } from '../../src/rooms/room-record.ts';
import { ITEMS } from './support/harness.ts';

/** The room's rules on plain records: no engine, no store, no clock. */
const T0 = 1_000_000;
const ctx = (now = T0): Context => ({ now, tuning: DEFAULT_TUNING });
const ada = { userId: 'ada', name: 'Ada' };
const bob = { userId: 'bob', name: 'Bob' };

function room(...users: string[]): RoomRecord {
  const r = newRoom({
    roomId: 'dev:t',
    epoch: 'e',
    sessionId: 's',
    creatorId: users[0] ?? null,
    instanceId: null,
    now: T0,
  });
  for (const u of users) addConnection(r, { userId: u, name: u, avatar: null }, `${u}-c1`, ctx());
  return r;
}

const run = (r: RoomRecord, intent: CommandIntent, now = T0, actor = ada) =>
  applyCommand(r, actor, false, intent, 'itemId' in intent ? ITEMS[intent.itemId] : undefined, ctx(now));

function playing(r: RoomRecord, itemId = 'm1') {
  run(r, { op: 'load', itemId });
  for (const m of r.members) applyReport(r, m.userId, { state: 'ready', positionMs: 0, rev: r.playback.rev }, ctx());
  settle(r, ctx());
  return r;
}

describe('room rules', () => {
  it('a new room is paused with nothing loaded and control for everyone', () => {
    expect(toSnapshot(room())).toEqual({
      roomId: 'dev:t',
      seq: 0,
      playback: { rev: 0, itemId: null, status: 'paused', positionMs: 0, atServerMs: T0, rate: 1, waitUntil: null },
      queue: [],
      members: [],
      settings: { control: 'everyone' },
    });
  });

  it('the creator is host; later members are not; a room without a host gives it to the next joiner', () => {
    const r = room('ada', 'bob');
    expect(r.members.map((m) => m.role)).toEqual(['host', 'member']);
    const orphan = newRoom({
      roomId: 'dev:t',
      epoch: 'e',
      sessionId: 's',
      creatorId: 'bot',
      instanceId: null,
      now: T0,
    });
    addConnection(orphan, { userId: 'cy', name: 'Cy', avatar: null }, 'c', ctx());
    expect(orphan.members[0]?.role).toBe('host');
  });

  it('hands over to the longest-present member, preferring one who is connected', () => {
    const r = room('ada', 'bob', 'cy');
    dropConnection(r, 'bob', 'bob-c1', false, ctx());
    dropConnection(r, 'ada', 'ada-c1', true, ctx());
    expect(r.members.map((m) => [m.userId, m.role])).toEqual([
      ['bob', 'member'],
      ['cy', 'host'],
    ]);
  });

  it('sweeps members away past the grace period, and only them', () => {
    const r = room('ada', 'bob');
    dropConnection(r, 'bob', 'bob-c1', false, ctx());
    expect(sweepAway(r, ctx(T0 + 29_999))).toEqual([]);
    expect(sweepAway(r, ctx(T0 + 30_000))).toEqual(['bob']);
    expect(r.members.map((m) => m.userId)).toEqual(['ada']);
  });

  it('pausing freezes the expected position; playing schedules with the lead', () => {
    const r = playing(room('ada'));
    const start = r.playback.atServerMs;
    expect(start).toBe(T0 + 150);
    run(r, { op: 'pause' }, start + 1234);
    expect(r.playback).toMatchObject({ status: 'paused', positionMs: 1234, atServerMs: start + 1234 });
    run(r, { op: 'play' }, start + 5000);
    expect(r.playback).toMatchObject({ status: 'playing', positionMs: 1234, atServerMs: start + 5000 + 150 });
  });

  it('pausing before a scheduled start holds the position it was to start from', () => {
    const r = playing(room('ada'));
    run(r, { op: 'seek', positionMs: 9000 }, T0 + 1000);
    run(r, { op: 'pause' }, T0 + 1100);
    expect(r.playback).toMatchObject({ status: 'paused', positionMs: 9000 });
  });

  it('the lead follows the slowest present member, within bounds', () => {
    const r = room('ada', 'bob', 'cy');
    expect(leadFor(r)).toBe(150);
    Object.assign(r.members[0]!, { rttMs: 120 });
    Object.assign(r.members[1]!, { rttMs: 300 });
    expect(leadFor(r)).toBe(400);
    dropConnection(r, 'bob', 'bob-c1', false, ctx());
    expect(leadFor(r)).toBe(220);
    Object.assign(r.members[2]!, { rttMs: 5000 });
    expect(leadFor(r)).toBe(1500);
  });

  it('play waits first when a member in step is still buffering', () => {
    const r = playing(room('ada', 'bob'));
    run(r, { op: 'pause' }, T0 + 1000);
    run(r, { op: 'seek', positionMs: 30_000 }, T0 + 1000);
    applyReport(r, 'bob', { state: 'buffering', positionMs: 30_000, rev: r.playback.rev }, ctx(T0 + 1000));
    run(r, { op: 'play' }, T0 + 1100);
    expect(r.playback).toMatchObject({ status: 'waiting', waitUntil: T0 + 1100 + 8000 });
    applyReport(r, 'bob', { state: 'ready', positionMs: 30_000, rev: r.playback.rev }, ctx(T0 + 1500));
    settle(r, ctx(T0 + 1500));
    expect(r.playback).toMatchObject({ status: 'playing', positionMs: 30_000, atServerMs: T0 + 1500 + 150 });
  });

  it('a member buffering on their own account (a quality change) never holds the room', () => {
    const r = playing(room('ada', 'bob'));
    const rev = r.playback.rev;
    applyReport(r, 'bob', { state: 'buffering', positionMs: 5_000, rev, alone: true }, ctx(T0 + 1000));
    expect(r.playback).toMatchObject({ status: 'playing', rev });
    expect(r.members.find((m) => m.userId === 'bob')).toMatchObject({ state: 'buffering', catchingUp: true });
    // Ada presses play meanwhile: nobody in step is buffering, so nothing waits for Bob.
    run(r, { op: 'pause' }, T0 + 1100);
    run(r, { op: 'play' }, T0 + 1200);
    expect(r.playback.status).toBe('playing');
    applyReport(r, 'bob', { state: 'ready', positionMs: 5_000, rev: r.playback.rev }, ctx(T0 + 1500));
    expect(r.members.find((m) => m.userId === 'bob')).toMatchObject({ state: 'ready', catchingUp: false });
    // The same report without `alone` is a stall in step: the room holds for Bob.
    applyReport(r, 'bob', { state: 'buffering', positionMs: 5_000, rev: r.playback.rev }, ctx(T0 + 1600));
    expect(r.playback.status).toBe('waiting');
  });

  it('a wait timer that fires early, or for another rev, does nothing', () => {
    const r = playing(room('ada', 'bob'));
    applyReport(r, 'bob', { state: 'buffering', positionMs: 0, rev: r.playback.rev }, ctx(T0 + 1000));
    const { rev } = r.playback;
    expect(waitTimedOut(r, rev, ctx(T0 + 1000 + 7000))).toEqual({ kind: 'early', remainingMs: 1000 });
    expect(waitTimedOut(r, rev - 1, ctx(T0 + 1000 + 9000))).toEqual({ kind: 'unchanged' });
    expect(waitTimedOut(r, rev, ctx(T0 + 1000 + 8000)).kind).toBe('changed');
    expect(blockingMembers(r)).toEqual([]);
  });

  it('the end of an item depends on position, rate and the scheduled start; an item without duration never ends', () => {
    const r = playing(room('ada'));
    expect(itemEndsAt(r)).toBe(T0 + 150 + 60_000);
    run(r, { op: 'rate', rate: 2 }, T0 + 10_150);
    expect(itemEndsAt(r)).toBe(T0 + 10_150 + 25_000);
    expect(itemEnded(r, r.playback.rev, ctx(T0 + 10_150 + 24_000))).toEqual({ kind: 'early', remainingMs: 1000 });
    const live = playing(room('ada'), 'live');
    expect(itemEndsAt(live)).toBeUndefined();
    expect(itemEnded(live, live.playback.rev, ctx(T0 + 1e9))).toEqual({ kind: 'unchanged' });
  });

  it('control: everyone, or hosts and privileged users only', () => {
    const r = room('ada', 'bob');
    expect(canControl(r, bob, false)).toBe(true);
    r.settings.control = 'hosts';
    expect(canControl(r, bob, false)).toBe(false);
    expect(canControl(r, bob, true)).toBe(true);
    expect(canControl(r, ada, false)).toBe(true);
    expect(canControl(r, { userId: 'stranger', name: 'S' }, false)).toBe(false);
  });

  it('a diff names exactly the sections that changed', () => {
    const r = room('ada');
    const before = toSnapshot(r);
    run(r, { op: 'settings', control: 'hosts' });
    expect(diffSnapshots(before, toSnapshot(r))).toEqual({ settings: { control: 'hosts' } });
    expect(Object.keys(diffSnapshots(undefined, toSnapshot(r))).sort()).toEqual([
      'members',
      'playback',
      'queue',
      'settings',
    ]);
  });
});

describe('room invariants under any sequence of inputs', () => {
  const users = ['ada', 'bob', 'cy'];
  const input = fc.oneof(
    fc.record({
      kind: fc.constant('join' as const),
      user: fc.constantFrom(...users),
      tab: fc.integer({ min: 1, max: 2 }),
    }),
    fc.record({
      kind: fc.constant('drop' as const),
      user: fc.constantFrom(...users),
      tab: fc.integer({ min: 1, max: 2 }),
      intentional: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('report' as const),
      user: fc.constantFrom(...users),
      state: fc.constantFrom('ready' as const, 'buffering' as const, 'away' as const),
      positionMs: fc.integer({ min: 0, max: 70_000 }),
      stale: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('command' as const),
      user: fc.constantFrom(...users),
      intent: fc.oneof(
        fc.constantFrom<CommandIntent>({ op: 'play' }, { op: 'pause' }, { op: 'next' }),
        fc.record({ op: fc.constant('seek' as const), positionMs: fc.integer({ min: 0, max: 90_000 }) }),
        fc.record({ op: fc.constant('load' as const), itemId: fc.constantFrom('m1', 'm2', 'live', 'nope') }),
        fc.record({ op: fc.constant('queue.add' as const), itemId: fc.constantFrom('m1', 'm2', 'm3') }),
        fc.record({ op: fc.constant('queue.remove' as const), entryId: fc.constantFrom('e1', 'e2', 'e3', 'e4') }),
        fc.record({
          op: fc.constant('queue.move' as const),
          entryId: fc.constantFrom('e1', 'e2', 'e3', 'e4'),
          index: fc.integer({ min: 1, max: 4 }),
        }),
        fc.record({ op: fc.constant('rate' as const), rate: fc.constantFrom(0.5, 1, 1.5, 2) }),
        fc.record({
          op: fc.constant('settings' as const),
          control: fc.constantFrom('everyone' as const, 'hosts' as const),
        }),
      ),
    }),
    fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  );

  it('keep the queue, the hosts, the rev and the waiting state consistent', () => {
    fc.assert(
      fc.property(fc.array(input, { minLength: 20, maxLength: 80 }), (inputs) => {
        const r = room();
        let now = T0;
        let rev = r.playback.rev;
        for (const step of inputs) {
          const c = ctx(now);
          sweepAway(r, c);
          switch (step.kind) {
            case 'join':
              addConnection(r, { userId: step.user, name: step.user, avatar: null }, `${step.user}-c${step.tab}`, c);
              break;
            case 'drop':
              dropConnection(r, step.user, `${step.user}-c${step.tab}`, step.intentional, c);
              break;
            case 'report':
              applyReport(
                r,
                step.user,
                { state: step.state, positionMs: step.positionMs, rev: r.playback.rev - (step.stale ? 1 : 0) },
                c,
              );
              break;
            case 'command':
              applyCommand(
                r,
                { userId: step.user, name: step.user },
                false,
                step.intent,
                'itemId' in step.intent ? ITEMS[step.intent.itemId] : undefined,
                c,
              );
              break;
            case 'time':
              now += step.ms;
              waitTimedOut(r, r.playback.rev, ctx(now));
              itemEnded(r, r.playback.rev, ctx(now));
              break;
          }
          settle(r, ctx(now));

          // The current item is the head of the queue; nothing loaded means an empty queue.
          expect(r.playback.itemId).toBe(r.queue[0]?.itemId ?? null);
          // Someone is host whenever anyone is here.
          if (r.members.length > 0) expect(r.members.some((m) => m.role === 'host')).toBe(true);
          // Waiting always has a deadline and someone to wait for; other states have no deadline.
          if (r.playback.status === 'waiting') {
            expect(r.playback.waitUntil).not.toBeNull();
            expect(blockingMembers(r).length).toBeGreaterThan(0);
          } else {
            expect(r.playback.waitUntil).toBeNull();
          }
          // Nothing loaded is never playing; positions stay within the item.
          if (r.playback.itemId === null) expect(r.playback.status).toBe('paused');
          const duration = r.queue[0]?.durationMs;
          if (duration != null) expect(r.playback.positionMs).toBeLessThanOrEqual(duration);
          expect(r.playback.rev).toBeGreaterThanOrEqual(rev);
          rev = r.playback.rev;
          // Entry ids are unique; members are unique; a member without connections is away.
          expect(new Set(r.queue.map((e) => e.entryId)).size).toBe(r.queue.length);
          expect(new Set(r.members.map((m) => m.userId)).size).toBe(r.members.length);
          for (const m of r.members) if (m.connections.length === 0) expect(m.state).toBe('away');
        }
      }),
      { numRuns: 300, seed: 20251123 },
    );
  });
});
