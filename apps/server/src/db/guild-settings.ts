import { eq } from 'drizzle-orm';
import type { Db } from './database.ts';
import { guilds } from './schema.ts';

/** A guild's settings as the rooms apply them: the DJ role (host powers) and the default control mode. */
export interface EffectiveGuildSettings {
  djRoleId: string | null;
  control: 'everyone' | 'hosts';
}

/** The `guilds` row's settings with their defaults (a guild nobody configured has none). */
export async function readGuildSettings(db: Db, guildId: string): Promise<EffectiveGuildSettings> {
  const [row] = await db
    .select({ settings: guilds.settings })
    .from(guilds)
    .where(eq(guilds.discordGuildId, guildId))
    .limit(1);
  const settings = row?.settings ?? {};
  return { djRoleId: settings.djRoleId ?? null, control: settings.defaultControl ?? 'everyone' };
}
