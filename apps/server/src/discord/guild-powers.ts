import { MANAGE_GUILD_PERMISSION } from '@dpp/shared';
import type { Cache } from '../infra/cache.ts';
import type { DiscordClient, DiscordGuild } from './discord-client.ts';

const ADMINISTRATOR = 1n << 3n;

/** A guild's roles change rarely; a member's roles are re-read after a minute. */
export const GUILD_TTL_MS = 5 * 60_000;
export const MEMBER_TTL_MS = 60_000;

/** What the guild lets a member do, as far as the rooms and Plex linking care. */
export interface MemberPowers {
  /** Manage Server (or Administrator, or owning the guild). */
  manageGuild: boolean;
  roles: string[];
}

/**
 * Guild-level powers of an activity user, read with the bot token (the activity's users have no
 * interaction to carry their permissions, as bot commands do): the guild's owner and roles, and the
 * member's roles, each cached briefly and shared by everyone asking at once. Null for someone who
 * is not a member (or a guild the bot is not in). Channel overwrites do not matter here: Manage
 * Server and the DJ role are guild-wide.
 */
export class GuildPowers {
  constructor(
    private readonly client: Pick<DiscordClient, 'guild' | 'guildMember'>,
    private readonly cache: Cache,
  ) {}

  async of(guildId: string, discordUserId: string): Promise<MemberPowers | null> {
    const [guild, member] = await Promise.all([
      this.cache.wrap<DiscordGuild | null>(`discord:guild:${guildId}`, GUILD_TTL_MS, () => this.client.guild(guildId)),
      this.cache.wrap<{ roles: string[] } | null>(`discord:member:${guildId}:${discordUserId}`, MEMBER_TTL_MS, () =>
        this.client.guildMember(guildId, discordUserId),
      ),
    ]);
    if (guild === null || member === null) return null;
    if (guild.ownerId === discordUserId) return { manageGuild: true, roles: member.roles };
    // @everyone has the guild's id; every member has it.
    let bits = 0n;
    for (const role of guild.roles) {
      if (role.id === guildId || member.roles.includes(role.id)) bits |= BigInt(role.permissions);
    }
    const manageGuild = (bits & ADMINISTRATOR) !== 0n || (bits & MANAGE_GUILD_PERMISSION) !== 0n;
    return { manageGuild, roles: member.roles };
  }
}
