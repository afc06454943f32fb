import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import { type Db, isDatabaseUnavailable } from '../db/database.ts';
import { guildProgress, playProgress } from '../db/schema.ts';
import { MIN_RESUME_MS, type ProgressSink, type ProgressWrite } from './play-progress.ts';
import type { RoomLogger } from './ports.ts';

/** A row of "Continue watching" or a "Resume from" offer. */
export interface SavedProgress {
  itemId: string;
  title: string;
  positionMs: number;
  durationMs: number | null;
  watched: boolean;
  updatedAt: Date;
}

type GuildRow = Omit<ProgressWrite, 'userIds'>;
type UserRow = { userId: string; itemId: string; positionMs: number; durationMs: number | null; watched: boolean };

/**
 * play_progress and guild_progress in PostgreSQL. Writes are coalesced per row (the latest position
 * wins) and written off the room's path; a write the database did not answer stays queued and is
 * tried again every `retryMs` until it is written, so an outage loses nothing. Other failures are
 * logged and dropped.
 */
export class DatabaseProgressStore implements ProgressSink {
  private readonly guildRows = new Map<string, GuildRow>();
  private readonly userRows = new Map<string, UserRow>();
  private flushing: Promise<void> | undefined;
  private closing = false;

  constructor(
    private readonly db: Db,
    private readonly log: RoomLogger,
    private readonly retryMs = 2000,
  ) {}

  write(entry: ProgressWrite) {
    const { userIds, ...row } = entry;
    this.guildRows.set(`${row.scope}\n${row.itemId}`, row);
    for (const userId of userIds) {
      this.userRows.set(`${userId}\n${row.itemId}`, {
        userId,
        itemId: row.itemId,
        positionMs: row.positionMs,
        durationMs: row.durationMs,
        watched: row.watched,
      });
    }
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
  }

  /** Resolves when everything queued so far is written (or given up). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Shutdown: one more try for what is queued, then what the database still refuses is given up (logged). */
  close(): Promise<void> {
    this.closing = true;
    return this.flush();
  }

  /** The guild's "Continue watching": items left part-way, newest first. */
  async continueWatching(scope: string, limit = 20): Promise<SavedProgress[]> {
    return this.db
      .select({
        itemId: guildProgress.itemId,
        title: guildProgress.title,
        positionMs: guildProgress.positionMs,
        durationMs: guildProgress.durationMs,
        watched: guildProgress.watched,
        updatedAt: guildProgress.updatedAt,
      })
      .from(guildProgress)
      .where(
        and(
          eq(guildProgress.scope, scope),
          eq(guildProgress.watched, false),
          gte(guildProgress.positionMs, MIN_RESUME_MS),
        ),
      )
      .orderBy(desc(guildProgress.updatedAt))
      .limit(limit);
  }

  /** Where the guild left an item (undefined when never, or watched). */
  async resumePoint(scope: string, itemId: string): Promise<SavedProgress | undefined> {
    const [row] = await this.db
      .select()
      .from(guildProgress)
      .where(and(eq(guildProgress.scope, scope), eq(guildProgress.itemId, itemId)));
    if (!row || row.watched || row.positionMs < MIN_RESUME_MS) return undefined;
    return row;
  }

  /** A user's own positions in these items. */
  async userProgress(userId: string, itemIds: string[]) {
    if (itemIds.length === 0) return [];
    return this.db
      .select()
      .from(playProgress)
      .where(and(eq(playProgress.userId, userId), inArray(playProgress.itemId, itemIds)));
  }

  private async drain() {
    for (let attempt = 1; this.guildRows.size + this.userRows.size > 0; attempt++) {
      const guildRows = [...this.guildRows.entries()];
      const userRows = [...this.userRows.entries()];
      this.guildRows.clear();
      this.userRows.clear();
      try {
        while (guildRows.length > 0) {
          const [, row] = guildRows[0]!;
          await this.db
            .insert(guildProgress)
            .values(row)
            .onConflictDoUpdate({
              target: [guildProgress.scope, guildProgress.itemId],
              set: { ...row, updatedAt: sql`now()` },
            });
          guildRows.shift();
        }
        while (userRows.length > 0) {
          const [, row] = userRows[0]!;
          try {
            await this.db
              .insert(playProgress)
              .values(row)
              .onConflictDoUpdate({
                target: [playProgress.userId, playProgress.itemId],
                set: { ...row, updatedAt: sql`now()` },
              });
          } catch (error) {
            if (isDatabaseUnavailable(error)) throw error;
            // One user's row (say, someone not stored as a user) never holds the others.
            this.log.warn({ err: error }, "could not record a user's play progress");
          }
          userRows.shift();
        }
        attempt = 0;
      } catch (error) {
        // Put back what no newer write replaced meanwhile.
        for (const [key, row] of guildRows) if (!this.guildRows.has(key)) this.guildRows.set(key, row);
        for (const [key, row] of userRows) if (!this.userRows.has(key)) this.userRows.set(key, row);
        if (!isDatabaseUnavailable(error) || this.closing) {
          this.log.warn({ err: error, attempt }, 'could not record play progress');
          this.guildRows.clear();
          this.userRows.clear();
          return;
        }
        if (attempt === 1)
          this.log.warn({ rows: guildRows.length + userRows.length }, 'play progress waits for the database');
        await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
      }
    }
  }
}
