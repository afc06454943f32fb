import { guildOfRoom } from '@dpp/shared';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { auditLog, guilds } from '../db/schema.ts';
import type { RoomAudit, RoomLogger } from './ports.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Room actions in `audit_log` (who passed the remote, who removed whom): one row each, with the
 * guild's row when the room is a guild's. Written off the command path; a failure is logged.
 */
export class DatabaseRoomAudit implements RoomAudit {
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly log: RoomLogger,
  ) {}

  record(entry: { roomId: string; actorId: string; action: string; details: Record<string, unknown> }): void {
    const write = this.write(entry).catch((error: unknown) =>
      this.log.warn({ err: error, action: entry.action, roomId: entry.roomId }, 'could not write an audit row'),
    );
    this.inflight.add(write);
    void write.finally(() => this.inflight.delete(write));
  }

  /** Resolves once every row started so far is written (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private async write(entry: { roomId: string; actorId: string; action: string; details: Record<string, unknown> }) {
    const discordGuildId = guildOfRoom(entry.roomId);
    const [guild] = discordGuildId
      ? await this.db.select({ id: guilds.id }).from(guilds).where(eq(guilds.discordGuildId, discordGuildId)).limit(1)
      : [];
    await this.db.insert(auditLog).values({
      actorId: UUID.test(entry.actorId) ? entry.actorId : null,
      guildId: guild?.id ?? null,
      action: entry.action,
      details: entry.details,
    });
  }
}
