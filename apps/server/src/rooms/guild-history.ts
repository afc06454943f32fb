import { desc, like } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { watchSessions } from '../db/schema.ts';

export interface WatchedInGuild {
  itemId: string;
  title: string;
  channelId: string;
  startedAt: string;
}

/**
 * What a guild's rooms played recently, newest first (the bot's /history), from `watch_sessions`:
 * the items of its latest sessions. Item ids and titles only; who watched is not kept there.
 */
export async function guildHistory(db: Db, guildId: string, limit: number): Promise<WatchedInGuild[]> {
  const prefix = `${guildId}:`;
  const sessions = await db
    .select({ roomId: watchSessions.roomId, items: watchSessions.items })
    .from(watchSessions)
    // Guild ids are digits (validated by the route), so nothing in the pattern is a wildcard.
    .where(like(watchSessions.roomId, `${prefix}%`))
    .orderBy(desc(watchSessions.startedAt))
    .limit(limit * 4);
  const items = sessions.flatMap((session) =>
    session.items.map((item) => ({
      itemId: item.itemId,
      title: item.title,
      channelId: session.roomId.slice(prefix.length),
      startedAt: item.startedAt,
    })),
  );
  return items.sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, limit);
}
