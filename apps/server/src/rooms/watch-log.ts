import { eq, sql } from 'drizzle-orm';
import { type Db, isDatabaseUnavailable } from '../db/database.ts';
import { watchSessions } from '../db/schema.ts';
import type { RoomLogger, WatchLog } from './ports.ts';

/**
 * Watch history in `watch_sessions`, one row per room lifetime. Every write is an upsert keyed by
 * the session id, so the rows come out right whichever instance writes first. A write the database
 * did not answer is tried again (in order, every `retryMs`) until it is written, so an outage loses
 * no history; other failures are logged and dropped. Nothing here ever holds up a room.
 */
export class DatabaseWatchLog implements WatchLog {
  private readonly inflight = new Set<Promise<void>>();
  /** Writes of one session run in order (items keep the order they were played in). */
  private readonly tails = new Map<string, Promise<void>>();
  private closing = false;

  constructor(
    private readonly db: Db,
    private readonly log: RoomLogger,
    private readonly retryMs = 2000,
  ) {}

  started(session: { sessionId: string; roomId: string; instanceId: string | null; at: number }) {
    this.run(session.sessionId, 'started', () =>
      this.db
        .insert(watchSessions)
        .values({
          id: session.sessionId,
          roomId: session.roomId,
          instanceId: session.instanceId,
          startedAt: new Date(session.at),
        })
        .onConflictDoUpdate({ target: watchSessions.id, set: { instanceId: session.instanceId } }),
    );
  }

  item(sessionId: string, roomId: string, item: { itemId: string; title: string; startedAt: number }) {
    const entry = { itemId: item.itemId, title: item.title, startedAt: new Date(item.startedAt).toISOString() };
    this.run(sessionId, 'item', () =>
      this.db
        .insert(watchSessions)
        .values({ id: sessionId, roomId, startedAt: new Date(item.startedAt), items: [entry] })
        .onConflictDoUpdate({
          target: watchSessions.id,
          set: { items: sql`${watchSessions.items} || ${JSON.stringify([entry])}::jsonb` },
        }),
    );
  }

  ended(sessionId: string, roomId: string, at: number) {
    this.run(sessionId, 'ended', () =>
      this.db
        .insert(watchSessions)
        .values({ id: sessionId, roomId, startedAt: new Date(at), endedAt: new Date(at) })
        .onConflictDoUpdate({ target: watchSessions.id, set: { endedAt: new Date(at) } }),
    );
  }

  /** Resolves when every write started so far has finished (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Shutdown: one more try for each waiting write, then what the database still refuses is given up (logged). */
  close(): Promise<void> {
    this.closing = true;
    return this.flush();
  }

  async history(roomId: string) {
    return this.db.select().from(watchSessions).where(eq(watchSessions.roomId, roomId));
  }

  private run(sessionId: string, what: string, write: () => PromiseLike<unknown>) {
    const previous = this.tails.get(sessionId) ?? Promise.resolve();
    const promise = previous.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await write();
          return;
        } catch (error) {
          if (!isDatabaseUnavailable(error) || this.closing) {
            this.log.warn({ err: error, what, sessionId, attempt }, 'could not record watch history');
            return;
          }
          if (attempt === 1) this.log.warn({ what, sessionId }, 'watch history waits for the database');
          await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
        }
      }
    });
    this.tails.set(sessionId, promise);
    this.inflight.add(promise);
    void promise.finally(() => {
      this.inflight.delete(promise);
      if (this.tails.get(sessionId) === promise) this.tails.delete(sessionId);
    });
  }
}
