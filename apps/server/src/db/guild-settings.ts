import { eq } from 'drizzle-orm';
import { LastKnown } from '../lib/last-known.ts';
import type { Db } from './database.ts';
import { type GuildSettings, guilds } from './schema.ts';

/** A guild's settings as the rooms apply them: the DJ role (host powers) and the default control mode. */
export interface EffectiveGuildSettings {
  djRoleId: string | null;
  control: 'everyone' | 'hosts';
}

// Read on every privileged command: memoised per database (see LastKnown), cleared when saved here.
const memos = new WeakMap<Db, LastKnown<EffectiveGuildSettings>>();
const memoOf = (db: Db) => {
  let memo = memos.get(db);
  if (!memo) {
    memo = new LastKnown();
    memos.set(db, memo);
  }
  return memo;
};

/** The `guilds` row's settings with their defaults (a guild nobody configured has none). */
export function readGuildSettings(db: Db, guildId: string): Promise<EffectiveGuildSettings> {
  return memoOf(db).get(guildId, () => loadGuildSettings(db, guildId));
}

async function loadGuildSettings(db: Db, guildId: string): Promise<EffectiveGuildSettings> {
  const [row] = await db
    .select({ settings: guilds.settings })
    .from(guilds)
    .where(eq(guilds.discordGuildId, guildId))
    .limit(1);
  const settings = row?.settings ?? {};
  return { djRoleId: settings.djRoleId ?? null, control: settings.defaultControl ?? 'everyone' };
}

/** Stores a guild's settings (creating its row the first time). */
export async function saveGuildSettings(db: Db, guildId: string, next: EffectiveGuildSettings): Promise<void> {
  const settings: GuildSettings = { djRoleId: next.djRoleId, defaultControl: next.control };
  memoOf(db).clear();
  await db
    .insert(guilds)
    .values({ discordGuildId: guildId, settings })
    .onConflictDoUpdate({ target: guilds.discordGuildId, set: { settings, updatedAt: new Date() } });
  memoOf(db).clear();
}
