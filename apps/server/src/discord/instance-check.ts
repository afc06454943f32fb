import type { Cache } from '../infra/cache.ts';
import type { DiscordActivityInstance, DiscordClient } from './discord-client.ts';

/** How long an activity instance's lookup is reused: reconnects and a crowd joining at once share one. */
export const INSTANCE_TTL_MS = 15_000;

export interface InstanceCheckOptions {
  client: Pick<DiscordClient, 'activityInstance'>;
  cache: Cache;
  /** The Discord id of a users.id (undefined: no such user). */
  discordIdOf: (userId: string) => Promise<string | undefined>;
  ttlMs?: number;
}

/** `<guildId>:<channelId>` → its parts; undefined for dev rooms. */
function roomChannel(roomId: string): { guildId: string; channelId: string } | undefined {
  const match = /^(\d+):(\d+)$/.exec(roomId);
  return match ? { guildId: match[1] as string, channelId: match[2] as string } : undefined;
}

/**
 * The hello check of Discord mode (DESIGN section 4): the activity instance the client says it runs
 * in must exist, hold the user, and sit in the room's channel. Without an instance id the join is
 * left to the other checks. Throws when Discord cannot answer (the socket is told to retry).
 */
export function instanceCheck(options: InstanceCheckOptions) {
  const ttlMs = options.ttlMs ?? INSTANCE_TTL_MS;
  const lookup = async (instanceId: string, fresh: boolean) => {
    const key = `discord:instance:${instanceId}`;
    if (fresh) {
      const instance = await options.client.activityInstance(instanceId);
      await options.cache.set(key, instance, ttlMs).catch(() => {});
      return { instance, loaded: true };
    }
    let loaded = false;
    const instance = await options.cache.wrap(key, ttlMs, () => {
      loaded = true;
      return options.client.activityInstance(instanceId);
    });
    return { instance, loaded };
  };

  return async (user: { userId: string }, roomId: string, instanceId: string | undefined): Promise<boolean> => {
    if (instanceId === undefined) return true;
    const room = roomChannel(roomId);
    if (!room) return false;
    const discordId = await options.discordIdOf(user.userId);
    if (!discordId) return false;
    const admits = (instance: DiscordActivityInstance | null) =>
      instance !== null &&
      instance.channelId === room.channelId &&
      (instance.guildId === null || instance.guildId === room.guildId) &&
      instance.users.includes(discordId);

    const first = await lookup(instanceId, false);
    if (admits(first.instance)) return true;
    // A cached answer may predate this user joining the instance: ask Discord once more.
    if (first.loaded) return false;
    return admits((await lookup(instanceId, true)).instance);
  };
}
