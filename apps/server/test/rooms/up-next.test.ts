import { UP_NEXT_COUNTDOWN_MS } from '@dpp/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlayProgressRecorder, PROGRESS_INTERVAL_MS, type ProgressWrite } from '../../src/rooms/play-progress.ts';
import type { ItemLookup, NextEpisodeLookup } from '../../src/rooms/ports.ts';
import type { RoomEngine } from '../../src/rooms/room-engine.ts';
import type { ItemInfo } from '../../src/rooms/room-logic.ts';
import { ManualClock, startEngine, TestClient } from './support/harness.ts';

/**
 * A series night through the room engine: "Up next" at an episode's credits or end, its countdown,
 * cancel and play now, the setting that turns it off; and where each item was left (play progress).
 */
const ROOM = '123456789012345678:223456789012345678';

const EPISODES: Record<string, ItemInfo & { next?: string }> = {
  e1: { title: 'Show — S1E1 · One', durationMs: 60_000, thumb: null, creditsAtMs: 50_000, next: 'e2' },
  e2: { title: 'Show — S1E2 · Two', durationMs: 60_000, thumb: null, creditsAtMs: 50_000, next: 'e3' },
  e3: { title: 'Show — S2E1 · Three', durationMs: 40_000, thumb: null },
  film: { title: 'A Film', durationMs: 30_000, thumb: null },
};
const lookup: ItemLookup = async (itemId) => EPISODES[itemId];
const nextEpisode: NextEpisodeLookup = async (itemId) => {
  const next = EPISODES[itemId]?.next;
  const info = next ? EPISODES[next] : undefined;
  return info && next ? { itemId: next, ...info } : undefined;
};

describe('up next', () => {
  let clock: ManualClock;
  let engine: RoomEngine;
  let writes: ProgressWrite[];
  let recorder: PlayProgressRecorder;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    clock = new ManualClock();
    writes = [];
    recorder = new PlayProgressRecorder({ write: (entry) => writes.push(entry) }, clock);
    engine = await startEngine({ clock, lookup, nextEpisode, progress: recorder });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) expect(client.problems).toEqual([]);
    await engine.close();
    recorder.close();
  });

  const advance = (ms: number) => clock.advance(ms, () => engine.idle());

  async function join(userId: string) {
    const client = new TestClient(engine, userId);
    clients.push(client);
    client.hello(ROOM, userId);
    await client.flush();
    return client;
  }

  /** Loads an item and plays it from the start, everyone ready. */
  async function play(itemId: string, ...members: TestClient[]) {
    members[0]!.command({ op: 'load', itemId });
    await members[0]!.flush();
    for (const m of members) await m.report('ready', 0).flush();
    // The start is scheduled a little ahead (the lead): move to it.
    await advance(Math.max(0, (members[0]!.snapshot?.playback.atServerMs ?? 0) - clock.now()));
  }

  it('announces the next episode at the credits, counts down 10 s, then starts it for everyone', async () => {
    const ada = await join('ada');
    const bo = await join('bo');
    await play('e1', ada, bo);
    expect(ada.snapshot?.queue[0]?.creditsAtMs).toBe(50_000);

    await advance(50_000 - 1);
    expect(ada.snapshot?.upNext ?? null).toBeNull();
    await advance(1);
    for (const viewer of [ada, bo]) {
      expect(viewer.snapshot?.upNext).toMatchObject({
        itemId: 'e2',
        title: 'Show — S1E2 · Two',
        startsAt: clock.now() + UP_NEXT_COUNTDOWN_MS,
      });
      expect(viewer.snapshot?.playback).toMatchObject({ itemId: 'e1', status: 'playing' });
    }
    expect(ada.last('state')?.cause).toEqual({ type: 'system', event: 'up-next' });

    await advance(UP_NEXT_COUNTDOWN_MS);
    for (const viewer of [ada, bo]) {
      expect(viewer.snapshot?.upNext).toBeNull();
      expect(viewer.snapshot?.playback).toMatchObject({ itemId: 'e2', status: 'waiting', positionMs: 0 });
      expect(viewer.snapshot?.queue.map((e) => [e.itemId, e.addedBy])).toEqual([['e2', 'Up next']]);
    }
  });

  it('announces it when an episode without credits markers ends, the stage empty meanwhile', async () => {
    const ada = await join('ada');
    EPISODES.e3!.next = 'e1';
    try {
      await play('e3', ada);
      await advance(40_000);
    } finally {
      delete EPISODES.e3!.next;
    }
    expect(ada.snapshot?.playback.itemId).toBeNull();
    expect(ada.snapshot?.upNext).toMatchObject({ itemId: 'e1' });
    await advance(UP_NEXT_COUNTDOWN_MS);
    expect(ada.snapshot?.playback.itemId).toBe('e1');
  });

  it('lets anyone who may control cancel the countdown; the episode then plays out and nothing starts', async () => {
    const ada = await join('ada');
    await play('e1', ada);
    await advance(50_000);
    const cancel = ada.command({ op: 'upnext.cancel' });
    await ada.flush();
    expect(ada.replyTo(cancel)).toMatchObject({ type: 'ack' });
    expect(ada.snapshot?.upNext).toBeNull();
    await advance(10_000 + UP_NEXT_COUNTDOWN_MS);
    // Not offered again at the end of the episode it was cancelled for.
    expect(ada.snapshot?.playback.itemId).toBeNull();
    expect(ada.snapshot?.upNext ?? null).toBeNull();
    const again = ada.command({ op: 'upnext.cancel' });
    await ada.flush();
    expect(ada.replyTo(again)).toMatchObject({ type: 'error', code: 'no_up_next' });
  });

  it('stops the countdown when the room pauses, and offers it afresh when play goes on', async () => {
    const ada = await join('ada');
    await play('e1', ada);
    await advance(50_000);
    expect(ada.snapshot?.upNext).toMatchObject({ itemId: 'e2' });
    await advance(2_000);
    ada.command({ op: 'pause' });
    await ada.flush();
    expect(ada.snapshot?.upNext).toBeNull();
    // Paused well past the countdown: nothing starts behind the party's back.
    await advance(3 * UP_NEXT_COUNTDOWN_MS);
    expect(ada.snapshot?.playback).toMatchObject({ itemId: 'e1', status: 'paused', positionMs: 52_000 });

    ada.command({ op: 'play' });
    await ada.flush();
    await advance(Math.max(0, (ada.snapshot?.playback.atServerMs ?? 0) - clock.now()));
    expect(ada.snapshot?.upNext).toMatchObject({ itemId: 'e2', startsAt: clock.now() + UP_NEXT_COUNTDOWN_MS });
    await advance(UP_NEXT_COUNTDOWN_MS);
    expect(ada.snapshot?.playback.itemId).toBe('e2');
  });

  it('starts the next episode at once with play now', async () => {
    const ada = await join('ada');
    await play('e1', ada);
    await advance(50_000);
    ada.command({ op: 'upnext.play' });
    await ada.flush();
    expect(ada.snapshot?.playback).toMatchObject({ itemId: 'e2', status: 'waiting' });
    expect(ada.snapshot?.queue.map((e) => e.addedBy)).toEqual(['Ada']);
    expect(ada.snapshot?.upNext).toBeNull();
  });

  it('refuses cancel and play now to a member when only hosts control, and changes nothing', async () => {
    const ada = await join('ada');
    const bo = await join('bo');
    ada.command({ op: 'settings', control: 'hosts' });
    await ada.flush();
    await play('e1', ada, bo);
    await advance(50_000);
    const cancel = bo.command({ op: 'upnext.cancel' });
    const now = bo.command({ op: 'upnext.play' });
    await bo.flush();
    expect(bo.replyTo(cancel)).toMatchObject({ type: 'error', code: 'not_allowed' });
    expect(bo.replyTo(now)).toMatchObject({ type: 'error', code: 'not_allowed' });
    expect(bo.snapshot?.upNext).toMatchObject({ itemId: 'e2' });
    expect(bo.snapshot?.playback.itemId).toBe('e1');
  });

  it('offers nothing when something is queued, for a film, or with the room setting off', async () => {
    const ada = await join('ada');
    ada.command({ op: 'queue.add', itemId: 'e1' });
    ada.command({ op: 'queue.add', itemId: 'film' });
    await ada.flush();
    await ada.report('ready', 0).flush();
    await advance(1000 + 50_000);
    expect(ada.snapshot?.upNext ?? null).toBeNull();
    await advance(10_000);
    expect(ada.snapshot?.playback.itemId).toBe('film');

    ada.command({ op: 'settings', autoplayNext: false });
    await ada.flush();
    expect(ada.snapshot?.settings).toEqual({ control: 'everyone', autoplayNext: false });
    await play('e1', ada);
    await advance(60_000 + UP_NEXT_COUNTDOWN_MS);
    expect(ada.snapshot?.upNext ?? null).toBeNull();
    expect(ada.snapshot?.playback.itemId).toBeNull();
  });

  it('keeps where the room left each item: every 10 s while playing, on pause and on item change', async () => {
    const ada = await join('ada');
    await play('e1', ada);
    await advance(PROGRESS_INTERVAL_MS * 2);
    expect(writes.map((w) => w.positionMs)).toEqual([expect.closeTo(10_000, -3), expect.closeTo(20_000, -3)]);
    expect(writes[0]).toMatchObject({
      scope: '123456789012345678',
      userIds: ['ada'],
      itemId: 'e1',
      title: 'Show — S1E1 · One',
      durationMs: 60_000,
      watched: false,
    });

    ada.command({ op: 'pause' });
    await ada.flush();
    expect(writes).toHaveLength(3);
    // Paused: no more periodic writes.
    await advance(PROGRESS_INTERVAL_MS * 3);
    expect(writes).toHaveLength(3);

    ada.command({ op: 'seek', positionMs: 52_000 });
    await ada.flush();
    expect(writes.at(-1)).toMatchObject({ positionMs: 52_000, watched: true });

    ada.command({ op: 'load', itemId: 'film' });
    await ada.flush();
    // The item change writes where the old one was left.
    expect(writes.at(-1)).toMatchObject({ itemId: 'e1', positionMs: 52_000 });
  });

  it('writes where the room was when it stops: ended, or its last member gone', async () => {
    const ada = await join('ada');
    await play('e1', ada);
    await advance(7_000);
    await engine.end(ROOM);
    expect(writes.map((w) => [w.itemId, Math.round(w.positionMs / 1000)])).toEqual([['e1', 7]]);

    const bo = await join('bo');
    await play('e2', bo);
    await advance(6_000);
    await bo.close(1000);
    expect(writes.map((w) => [w.itemId, Math.round(w.positionMs / 1000)])).toEqual([
      ['e1', 7],
      ['e2', 6],
    ]);
    expect(writes.at(-1)?.userIds).toEqual(['bo']);
    // Nothing plays any more: no periodic writes.
    await advance(PROGRESS_INTERVAL_MS * 2);
    expect(writes).toHaveLength(2);
  });

  it('writes nothing for the first seconds of an item, so a quick change never hides a later position', async () => {
    const ada = await join('ada');
    await play('film', ada);
    await advance(3000);
    ada.command({ op: 'load', itemId: 'e1' });
    await ada.flush();
    expect(writes).toEqual([]);
  });
});
