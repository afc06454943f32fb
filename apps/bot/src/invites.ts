/**
 * One-click ways into the activity: an invite to a voice channel that launches the embedded
 * application (target_type 2). Invites are reused per channel until shortly before they expire,
 * so /play and /watch do not mint a new one each time.
 */

import { type Clock, systemClock } from '@dpp/shared';
import { DiscordAPIError, InviteTargetType, RESTJSONErrorCodes, type VoiceBasedChannel } from 'discord.js';
import type { Logger } from 'pino';

export interface ActivityInvitesOptions {
  applicationId: string;
  log: Logger;
  /** Invite lifetime (Discord allows up to 7 days). */
  maxAgeSeconds?: number;
  clock?: Clock;
}

export class ActivityInvites {
  private readonly byChannel = new Map<string, { url: string; expiresAt: number }>();
  private readonly maxAgeSeconds: number;
  private readonly clock: Clock;

  constructor(private readonly options: ActivityInvitesOptions) {
    this.maxAgeSeconds = options.maxAgeSeconds ?? 24 * 3600;
    this.clock = options.clock ?? systemClock;
  }

  /** The invite URL, or null when the bot may not create invites there (it says so in the reply). */
  async forChannel(channel: VoiceBasedChannel): Promise<string | null> {
    const cached = this.byChannel.get(channel.id);
    if (cached && cached.expiresAt - this.clock.now() > 5 * 60_000) return cached.url;
    try {
      const invite = await channel.createInvite({
        maxAge: this.maxAgeSeconds,
        maxUses: 0,
        unique: false,
        targetType: InviteTargetType.EmbeddedApplication,
        targetApplication: this.options.applicationId,
        reason: 'Watch party: join the Plex Player activity',
      });
      const expiresAt = invite.expiresTimestamp ?? this.clock.now() + this.maxAgeSeconds * 1000;
      this.byChannel.set(channel.id, { url: invite.url, expiresAt });
      return invite.url;
    } catch (error) {
      if (
        error instanceof DiscordAPIError &&
        (error.code === RESTJSONErrorCodes.MissingPermissions || error.code === RESTJSONErrorCodes.MissingAccess)
      ) {
        this.options.log.warn({ channelId: channel.id, guildId: channel.guildId }, 'no permission to create invites');
        return null;
      }
      throw error;
    }
  }
}
