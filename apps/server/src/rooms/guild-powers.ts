import { guildOfRoom } from '@dpp/shared';
import type { Db } from '../db/database.ts';
import { readGuildSettings } from '../db/guild-settings.ts';
import type { RoomDefaults } from './room-engine.ts';

/** What Discord says of a member of a guild: the Manage Server permission and their roles. */
export interface GuildPowers {
  manageGuild: boolean;
  roles: readonly string[];
}

/**
 * The one rule for host powers a guild grants (DESIGN 3, Permissions): Manage Server, or the guild's
 * DJ role. Activity users' powers are read from Discord with the bot token; the bot reports its acting
 * user's from the interaction.
 */
export async function grantsHostPowers(db: Db, guildId: string, powers: GuildPowers): Promise<boolean> {
  if (powers.manageGuild) return true;
  const { djRoleId } = await readGuildSettings(db, guildId);
  return djRoleId !== null && powers.roles.includes(djRoleId);
}

/** A new room of a guild starts with the guild's default control mode, whoever opens it. */
export function guildRoomDefaults(db: Db): RoomDefaults {
  return async (roomId) => {
    const guildId = guildOfRoom(roomId);
    if (!guildId) return {};
    const { control } = await readGuildSettings(db, guildId);
    return { control };
  };
}
