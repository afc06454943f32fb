import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { rooms } from '../db/schema.ts';
import { type Clock, type RoomArchive, type RoomLogger, systemClock, type TimerHandle } from './ports.ts';
import type { RoomRecord } from './room-record.ts';

type Pending = { kind: 'save'; record: RoomRecord; savedAt: number } | { kind: 'remove'; epoch: string };

export interface DatabaseRoomArchiveOptions {
  /** How long a change may wait to be written with the ones after it (coalescing); well under a second. */
  delayMs?: number;
  /** Back-off after a failed write (the database is away); the writes are kept and tried again. */
  retryMs?: number;
  clock?: Clock;
}

/**
 * Rooms' durable copies in the `rooms` table. Changes are coalesced per room (only the latest state
 * of each is written) and written in one statement a short delay after the first, off the command
 * path; a failed write keeps them for the next try, so a database outage loses nothing the instance
 * still holds. A copy is only replaced by a newer one of the same incarnation (seq), so instances
 * writing the same room in any order keep the newest.
 */
export class DatabaseRoomArchive implements RoomArchive {
  private readonly pending = new Map<string, Pending>();
  private readonly vouched = new Map<string, number>();
  private timer: TimerHandle | undefined;
  private writing: Promise<void> | undefined;
  private failing = false;
  private readonly delayMs: number;
  private readonly retryMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly db: Db,
    private readonly log: RoomLogger,
    options: DatabaseRoomArchiveOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 500;
    this.retryMs = options.retryMs ?? 1000;
    this.clock = options.clock ?? systemClock;
  }

  async load(roomId: string): Promise<{ record: RoomRecord; savedAt: number } | undefined> {
    // Not written yet (Redis lost the room a moment after it changed): this instance knows best.
    const waiting = this.pending.get(roomId);
    if (waiting?.kind === 'save') return { record: structuredClone(waiting.record), savedAt: this.clock.now() };
    if (waiting?.kind === 'remove') return undefined;
    const [row] = await this.db.select().from(rooms).where(eq(rooms.roomId, roomId));
    if (!row || (row.state as { schema?: unknown }).schema !== 1) return undefined;
    const savedAt = Math.max(row.savedAt.getTime(), this.vouched.get(roomId) ?? 0);
    return { record: row.state as unknown as RoomRecord, savedAt };
  }

  save(record: RoomRecord): void {
    this.pending.set(record.roomId, { kind: 'save', record, savedAt: this.clock.now() });
    this.arm(this.delayMs);
  }

  remove(roomId: string, epoch: string): void {
    this.pending.set(roomId, { kind: 'remove', epoch });
    this.vouched.delete(roomId);
    this.arm(this.delayMs);
  }

  vouch(roomIds: string[]): void {
    const at = this.clock.now();
    for (const roomId of roomIds) this.vouched.set(roomId, at);
    // Written at once: the restart instant of a playing room is the last vouch that reached the database.
    if (roomIds.length > 0) this.arm(0);
  }

  async flush(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (this.pending.size > 0 || this.vouched.size > 0) await this.write();
  }

  /**
   * Reclaims the space of replaced copies. PostgreSQL's autovacuum does it there; embedded PGlite
   * runs none, and a table rewritten several times a second would otherwise grow without end.
   */
  async vacuum(): Promise<void> {
    await this.db.execute(sql`vacuum rooms`);
  }

  /** Deletes copies no instance vouched for within `retentionMs` (rooms abandoned long ago). */
  async prune(retentionMs: number): Promise<number> {
    const deleted = await this.db
      .delete(rooms)
      .where(lt(rooms.savedAt, new Date(this.clock.now() - retentionMs)))
      .returning({ roomId: rooms.roomId });
    return deleted.length;
  }

  /** Copies waiting to be written (tests, metrics). */
  get backlog(): number {
    return this.pending.size;
  }

  private arm(delayMs: number) {
    if (this.timer !== undefined || this.writing) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, delayMs);
  }

  private write(): Promise<void> {
    const batch = new Map(this.pending);
    const touches = new Map(this.vouched);
    this.pending.clear();
    this.vouched.clear();
    const writing = this.writeBatch(batch, touches).then(
      () => {
        if (this.failing) this.log.warn({}, 'room copies are being written again');
        this.failing = false;
        return this.delayMs;
      },
      (error: unknown) => {
        if (!this.failing) this.log.warn({ err: error, rooms: batch.size }, 'could not write room copies; will retry');
        this.failing = true;
        // Newer changes that came in meanwhile win over the ones given back.
        for (const [roomId, entry] of batch) if (!this.pending.has(roomId)) this.pending.set(roomId, entry);
        for (const [roomId, at] of touches) if (!this.vouched.has(roomId)) this.vouched.set(roomId, at);
        return this.retryMs;
      },
    );
    this.writing = writing.then((next) => {
      this.writing = undefined;
      if (this.pending.size > 0 || this.vouched.size > 0) this.arm(next);
    });
    return this.writing;
  }

  private async writeBatch(batch: Map<string, Pending>, touches: Map<string, number>) {
    const saves: (typeof rooms.$inferInsert)[] = [];
    for (const [roomId, entry] of batch) {
      if (entry.kind === 'remove') {
        await this.db.delete(rooms).where(and(eq(rooms.roomId, roomId), eq(rooms.epoch, entry.epoch)));
        continue;
      }
      const savedAt = Math.max(entry.savedAt, touches.get(roomId) ?? 0);
      touches.delete(roomId);
      saves.push({
        roomId,
        epoch: entry.record.epoch,
        seq: entry.record.seq,
        state: entry.record as unknown as Record<string, unknown>,
        savedAt: new Date(savedAt),
      });
    }
    if (saves.length > 0) {
      await this.db
        .insert(rooms)
        .values(saves)
        .onConflictDoUpdate({
          target: rooms.roomId,
          set: {
            epoch: sql`excluded.epoch`,
            seq: sql`excluded.seq`,
            state: sql`excluded.state`,
            savedAt: sql`excluded.saved_at`,
          },
          // Same incarnation: the higher seq wins. Another incarnation: the later write wins.
          setWhere: sql`(${rooms.epoch} = excluded.epoch and ${rooms.seq} <= excluded.seq) or (${rooms.epoch} <> excluded.epoch and ${rooms.savedAt} <= excluded.saved_at)`,
        });
    }
    // Vouching: one statement for every room whose copy did not change, at the latest instant seen.
    if (touches.size > 0) {
      const at = new Date(Math.max(...touches.values()));
      await this.db
        .update(rooms)
        .set({ savedAt: at })
        .where(and(inArray(rooms.roomId, [...touches.keys()]), lt(rooms.savedAt, at)));
    }
  }
}
