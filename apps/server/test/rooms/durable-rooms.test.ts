import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../../tests/support/wait.ts';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { rooms } from '../../src/db/schema.ts';
import { DatabaseRoomArchive } from '../../src/rooms/room-archive.ts';
import type { RoomEngine } from '../../src/rooms/room-engine.ts';
import { RESTORE_SEQ_GAP } from '../../src/rooms/room-record.ts';
import { ManualClock, memoryBackend, startEngine, TestClient } from './support/harness.ts';

/**
 * Rooms written behind the live store into the database (PGlite here), and restored from it when
 * the store has no record of them: a restart of the only instance, or a Redis that lost its data.
 */
const ROOM = 'dev:film-night';

describe('durable rooms', () => {
  let database: Database;
  let clock: ManualClock;
  const engines: RoomEngine[] = [];
  const clients: TestClient[] = [];

  beforeEach(async () => {
    database = await openDatabase({ kind: 'pglite', dataDir: undefined });
    clock = new ManualClock();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) expect(client.problems).toEqual([]);
    for (const engine of engines.splice(0)) await engine.close();
    await database.close();
  });

  /** One instance with its own live store (a process, or one whose Redis was flushed) on the shared database. */
  async function instance() {
    const archive = new DatabaseRoomArchive(database.db, { warn() {}, error() {} }, { clock });
    // Vouching is done by hand here (the instance's interval would use real time).
    const engine = await startEngine({ clock, archive, vouchMs: 3_600_000 }, memoryBackend());
    engines.push(engine);
    return { engine, archive };
  }

  async function join(engine: RoomEngine, userId: string) {
    const client = new TestClient(engine, userId);
    clients.push(client);
    client.hello(ROOM, userId);
    await client.flush();
    return client;
  }

  const row = async () => (await database.db.select().from(rooms).where(eq(rooms.roomId, ROOM)))[0];

  /** A party 10 s into a film with two more queued, written to the database. */
  async function partyPlaying() {
    const first = await instance();
    const ada = await join(first.engine, 'ada');
    const bob = await join(first.engine, 'bob');
    for (const itemId of ['m1', 'm2', 'm3']) ada.command({ op: 'queue.add', itemId });
    await ada.flush();
    ada.command({ op: 'settings', control: 'hosts' });
    await ada.flush();
    await ada.report('ready').flush();
    await bob.report('ready').flush();
    const startsAt = ada.snapshot?.playback.atServerMs ?? 0;
    await clock.advance(startsAt - clock.now() + 10_000, () => first.engine.idle());
    first.archive.vouch([ROOM]);
    await first.archive.flush();
    return { ...first, ada, bob };
  }

  it('writes the room behind the store, coalesced: only its latest state', async () => {
    const { engine, archive } = await instance();
    const ada = await join(engine, 'ada');
    for (const itemId of ['m1', 'm2', 'm3']) ada.command({ op: 'queue.add', itemId });
    await ada.flush();
    // The commands were answered before anything reached the database.
    expect(await row()).toBeUndefined();
    expect(archive.backlog).toBe(1);
    // Within a second of the change, by the archive's own timer.
    await clock.advance(1000);
    const saved = await waitFor(async () => {
      const found = await row();
      return found?.seq === ada.snapshot?.seq && found;
    });
    expect((saved.state as { queue: { itemId: string }[] }).queue.map((e) => e.itemId)).toEqual(['m1', 'm2', 'm3']);
    expect(archive.backlog).toBe(0);
  });

  it('restores a playing party paused at the restart instant, with its queue, settings, hosts and a higher seq', async () => {
    const { ada } = await partyPlaying();
    const before = ada.snapshot!;
    const position = before.playback.positionMs + (clock.now() - before.playback.atServerMs);
    expect(position).toBe(10_000);
    // The instance vouched for the room just now, and dies (no clean shutdown); it restarts 5 s later.
    engines.splice(0);
    await clock.advance(5_000);

    const second = await instance();
    const carol = await join(second.engine, 'carol');
    const restored = carol.last('welcome')!.snapshot;
    expect(restored.queue).toEqual(before.queue);
    expect(restored.settings).toEqual({ control: 'hosts' });
    expect(restored.playback).toMatchObject({ itemId: 'm1', status: 'paused', restored: true });
    // Advanced to the last instant the dead instance vouched for it, not to the restart 5 s later.
    expect(restored.playback.positionMs).toBe(position);
    expect(restored.seq).toBeGreaterThan(before.seq + RESTORE_SEQ_GAP);
    // Ada (host) and Bob are away until they come back; Carol joins as a member.
    expect(restored.members.map((m) => [m.userId, m.role, m.state])).toEqual([
      ['ada', 'host', 'away'],
      ['bob', 'member', 'away'],
      ['carol', 'member', 'buffering'],
    ]);

    // Ada comes back with her lastSeq: the room is newer than anything she saw.
    const back = new TestClient(second.engine, 'ada');
    clients.push(back);
    back.hello(ROOM, 'ada', { lastSeq: before.seq });
    await back.flush();
    expect(back.last('welcome')!.snapshot.seq).toBeGreaterThan(before.seq);
    expect(back.snapshot?.members.find((m) => m.userId === 'ada')?.role).toBe('host');

    // Play goes on from the restored position and the restored mark goes.
    back.command({ op: 'play' });
    await back.flush();
    expect(carol.snapshot?.playback).toMatchObject({ status: 'playing', positionMs: restored.playback.positionMs });
    expect(carol.snapshot?.playback.restored).toBeUndefined();
  });

  it('restores from the last vouch when the instance kept playing without changes', async () => {
    const { engine, archive, ada } = await partyPlaying();
    const atStart = ada.snapshot!.playback;
    await clock.advance(30_000, () => engine.idle());
    archive.vouch([ROOM]);
    await archive.flush();
    engines.splice(0);
    const second = await instance();
    const bob = await join(second.engine, 'bob');
    const position = atStart.positionMs + (clock.now() - atStart.atServerMs);
    expect(bob.snapshot?.playback.positionMs).toBe(position);
    expect(position).toBe(40_000);
  });

  it('a clean shutdown writes everything before it closes', async () => {
    const { engine, archive } = await instance();
    const ada = await join(engine, 'ada');
    ada.command({ op: 'queue.add', itemId: 'm2' });
    await ada.flush();
    expect(archive.backlog).toBe(1);
    await engine.shutdown();
    await engine.close();
    engines.splice(0);
    expect((await row())?.seq).toBeGreaterThanOrEqual(ada.snapshot!.seq);
    expect(archive.backlog).toBe(0);
  });

  it('ended rooms are deleted from the database', async () => {
    const { engine, archive } = await instance();
    const ada = await join(engine, 'ada');
    ada.command({ op: 'queue.add', itemId: 'm1' });
    await ada.flush();
    await archive.flush();
    expect(await row()).toBeDefined();
    expect(await engine.end(ROOM)).toEqual({ ok: true, ended: true });
    await archive.flush();
    expect(await row()).toBeUndefined();

    // And a room whose last member left goes too.
    const bob = await join(engine, 'bob');
    await archive.flush();
    expect(await row()).toBeDefined();
    await bob.close(1000);
    await archive.flush();
    expect(await row()).toBeUndefined();
  });

  it('a room with no copy starts fresh, and copies nobody vouched for within the retention are pruned', async () => {
    const { engine, archive } = await instance();
    const ada = await join(engine, 'ada');
    expect(ada.snapshot).toMatchObject({ seq: 1, playback: { itemId: null } });
    expect(ada.snapshot?.playback.restored).toBeUndefined();
    await archive.flush();
    await database.db.update(rooms).set({ savedAt: new Date(clock.now() - 2 * 24 * 60 * 60_000) });
    expect(await archive.prune(24 * 60 * 60_000)).toBe(1);
    expect(await row()).toBeUndefined();
  });

  it('vacuums the table (PGlite runs no autovacuum) and keeps the copies', async () => {
    const { engine, archive } = await instance();
    const ada = await join(engine, 'ada');
    for (let i = 0; i < 5; i++) {
      ada.command({ op: 'settings', control: i % 2 ? 'everyone' : 'hosts' });
      await ada.flush();
      await archive.flush();
    }
    await archive.vacuum();
    expect((await row())?.seq).toBe(ada.snapshot?.seq);
  });

  it('keeps the copies it could not write and writes them once the database answers', async () => {
    const { engine, archive } = await instance();
    const ada = await join(engine, 'ada');
    await database.db.execute(sql`alter table rooms rename to rooms_away`);
    ada.command({ op: 'queue.add', itemId: 'm3' });
    await ada.flush();
    await archive.flush();
    expect(archive.backlog).toBe(1);
    await database.db.execute(sql`alter table rooms_away rename to rooms`);
    await archive.flush();
    expect(archive.backlog).toBe(0);
    expect((await row())?.seq).toBe(ada.snapshot?.seq);
  });
});
