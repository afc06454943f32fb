/**
 * The voice channel is the room. This reports who joins and leaves voice channels to the server
 * (members present or away) and ends a channel's room once the channel has stayed empty for a grace
 * period. Reports that fail are not queued one by one: the guild is marked out of sync and its whole
 * voice state is sent again with backoff, which also repairs anything missed while the server was down.
 */
import {
  BOT_GUILD_EVENTS,
  BOT_GUILD_EVENTS_PATH,
  type BotVoiceSync,
  botApiPath,
  botRoomCreatedSchema,
  type Clock,
  roomIdFor,
  systemClock,
  type TimerHandle,
} from '@dpp/shared';
import type { Guild, VoiceState } from 'discord.js';
import type { Logger } from 'pino';
import { EventFeed } from './event-feed.ts';
import type { Actor, ServerApi } from './server-api.ts';

export interface VoicePresenceOptions {
  api: ServerApi;
  log: Logger;
  /** The bot itself, for system calls. */
  self: () => Actor;
  emptyGraceMs: number;
  resync?: { initialDelayMs: number; maxDelayMs: number };
  /** Reconnecting a guild's feed of new rooms. */
  feedBackoff?: { initialDelayMs: number; maxDelayMs: number };
  clock?: Clock;
}

const isHuman = (state: VoiceState) =>
  !(state.member?.user.bot ?? state.client.users.cache.get(state.id)?.bot ?? false);

function voiceUser(state: VoiceState) {
  const member = state.member;
  return {
    userId: state.id,
    name: member?.displayName ?? null,
    avatar: member?.displayAvatarURL({ size: 128 }) ?? null,
  };
}

export class VoicePresence {
  private readonly emptyTimers = new Map<string, TimerHandle>();
  /** Guilds out of sync with the server: the backoff delay, and the pending retry. */
  private readonly outOfSync = new Map<string, { delay: number; timer: TimerHandle | undefined }>();
  /** Per guild: the server's feed of the guild's new rooms. */
  private readonly guildFeeds = new Map<string, EventFeed>();
  private closed = false;
  private readonly clock: Clock;

  constructor(private readonly options: VoicePresenceOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Rooms whose channel is empty and that end when their grace period runs out. */
  get pendingEnds(): string[] {
    return [...this.emptyTimers.keys()];
  }

  /** People in a voice channel, bots excluded. */
  humansIn(guild: Guild, channelId: string): number {
    return guild.voiceStates.cache.filter((s) => s.channelId === channelId && isHuman(s)).size;
  }

  /** `voiceStateUpdate`: a join, a leave, a move (leave + join), or a mute change (ignored). */
  async onVoiceStateUpdate(before: VoiceState, after: VoiceState): Promise<void> {
    // `after` is the live cached state, which the next event mutates: read everything first.
    const from = before.channelId;
    const to = after.channelId;
    if (from === to) return;
    const guild = after.guild;
    const human = isHuman(after);
    const user = voiceUser(after);
    if (from) {
      if (human) await this.report(guild, { kind: 'leave', guildId: guild.id, channelId: from, ...user });
      this.checkEmpty(guild, from);
    }
    if (to && human) {
      this.cancelEmpty(roomIdFor(guild.id, to));
      await this.report(guild, { kind: 'join', guildId: guild.id, channelId: to, ...user });
    }
  }

  /** Sends the guild's whole voice state (on READY, on joining a guild, and after failures). */
  async syncGuild(guild: Guild): Promise<boolean> {
    const channels = new Map<string, BotVoiceSync['channels'][number]>();
    for (const state of guild.voiceStates.cache.values()) {
      if (!state.channelId || !isHuman(state)) continue;
      let channel = channels.get(state.channelId);
      if (!channel) {
        channel = { channelId: state.channelId, users: [] };
        channels.set(state.channelId, channel);
      }
      channel.users.push(voiceUser(state));
    }
    try {
      await this.options.api.voiceSync(this.options.self(), guild.id, { channels: [...channels.values()] });
      this.outOfSync.delete(guild.id);
      this.options.log.debug({ guildId: guild.id, channels: channels.size }, 'voice state synced');
      return true;
    } catch (error) {
      this.options.log.warn({ guildId: guild.id, err: error }, 'voice sync failed; will retry');
      this.scheduleResync(guild);
      return false;
    }
  }

  /**
   * Follows the guild's new rooms (once per guild): a room created by anyone (the activity, a
   * command) learns at once who is already in its voice channel, as does every room after the feed
   * (re)connects, since rooms may have appeared while it was away.
   */
  watchGuild(guild: Guild): void {
    if (this.closed || this.guildFeeds.has(guild.id)) return;
    const feed = new EventFeed({
      api: this.options.api,
      path: botApiPath(BOT_GUILD_EVENTS_PATH, { guildId: guild.id }),
      actor: this.options.self,
      log: this.options.log,
      backoff: this.options.feedBackoff,
      clock: this.clock,
      onEvent: (event, data) => {
        const created = event === BOT_GUILD_EVENTS.created && botRoomCreatedSchema.safeParse(data).success;
        if (created || event === BOT_GUILD_EVENTS.ready) void this.syncGuild(guild);
        return false;
      },
      onEnded: () => this.guildFeeds.delete(guild.id),
    });
    this.guildFeeds.set(guild.id, feed);
  }

  /** The bot left the guild: stop following it. */
  async unwatchGuild(guildId: string): Promise<void> {
    const feed = this.guildFeeds.get(guildId);
    this.guildFeeds.delete(guildId);
    await feed?.stop();
  }

  /** Whether the guild's feed of new rooms has been live (tests wait on it). */
  watching(guildId: string): boolean {
    return (this.guildFeeds.get(guildId)?.connections ?? 0) > 0;
  }

  private async report(guild: Guild, event: Parameters<ServerApi['voiceEvent']>[0]): Promise<void> {
    if (this.outOfSync.has(guild.id)) return; // a full sync is due anyway
    try {
      await this.options.api.voiceEvent(event);
    } catch (error) {
      this.options.log.warn(
        { guildId: guild.id, kind: event.kind, err: error },
        'voice event not delivered; resyncing later',
      );
      this.scheduleResync(guild);
    }
  }

  private scheduleResync(guild: Guild): void {
    if (this.closed) return;
    const { initialDelayMs, maxDelayMs } = this.options.resync ?? { initialDelayMs: 1000, maxDelayMs: 60_000 };
    let entry = this.outOfSync.get(guild.id);
    if (!entry) {
      entry = { delay: 0, timer: undefined };
      this.outOfSync.set(guild.id, entry);
    }
    if (entry.timer) return;
    entry.delay = entry.delay === 0 ? initialDelayMs : Math.min(entry.delay * 2, maxDelayMs);
    const pending = entry;
    pending.timer = this.clock.setTimeout(
      () => {
        pending.timer = undefined;
        void this.syncGuild(guild);
      },
      pending.delay * (0.8 + Math.random() * 0.4),
    );
  }

  private checkEmpty(guild: Guild, channelId: string): void {
    if (this.humansIn(guild, channelId) > 0 || this.closed) return;
    const roomId = roomIdFor(guild.id, channelId);
    if (this.emptyTimers.has(roomId)) return;
    const timer = this.clock.setTimeout(() => {
      this.emptyTimers.delete(roomId);
      if (this.humansIn(guild, channelId) > 0) return;
      void this.endEmptyRoom(roomId);
    }, this.options.emptyGraceMs);
    this.emptyTimers.set(roomId, timer);
  }

  private cancelEmpty(roomId: string): void {
    const timer = this.emptyTimers.get(roomId);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.emptyTimers.delete(roomId);
  }

  private async endEmptyRoom(roomId: string): Promise<void> {
    try {
      const { ended } = await this.options.api.endRoom(
        this.options.self(),
        roomId,
        'empty',
        `empty:${roomId}:${this.clock.now()}`,
      );
      if (ended) this.options.log.info({ roomId }, 'voice channel stayed empty; room ended');
    } catch (error) {
      this.options.log.warn({ roomId, err: error }, 'could not end the empty room');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.emptyTimers.values()) this.clock.clearTimeout(timer);
    for (const { timer } of this.outOfSync.values()) this.clock.clearTimeout(timer);
    this.emptyTimers.clear();
    this.outOfSync.clear();
    const feeds = [...this.guildFeeds.values()];
    this.guildFeeds.clear();
    await Promise.all(feeds.map((feed) => feed.stop()));
  }
}
