/**
 * Live now-playing messages: each one is edited when its room changes (play, pause, seek, the item,
 * who is watching) and a last time when the room ends. The bot follows a room's event feed while
 * the room has at least one live message, and stops when the room ends or its messages are gone.
 *
 * Edits are rate-limited per message (lodash.throttle, leading and trailing): at most one per
 * `editIntervalMs`, and after a burst of changes always one more that shows the latest state.
 * An edit goes through the interaction's webhook while its token is valid (Discord: 15 minutes),
 * then through the channel message, which the bot may edit for as long as it can see the channel.
 */
import { type Clock, parseRoomId, type RoomResponse } from '@dpp/shared';
import { type Client, DiscordAPIError, EmbedBuilder, RESTJSONErrorCodes, Routes } from 'discord.js';
import throttle from 'lodash.throttle';
import type { Logger } from 'pino';
import type { EventFeed } from './event-feed.ts';
import { nowPlayingMessage } from './now-playing.ts';
import { followRoom } from './room-feed.ts';
import type { Actor, ServerApi } from './server-api.ts';

/** Discord's interaction tokens last 15 minutes; switch to the channel edit a little before. */
const INTERACTION_TOKEN_LIFETIME_MS = 14 * 60_000;
/** Older messages of the same room stop being edited beyond this many (the newest are kept). */
const MAX_MESSAGES_PER_ROOM = 3;

export interface NowPlayingMessagesOptions {
  client: Client;
  api: ServerApi;
  log: Logger;
  applicationId: string;
  publicUrl: string | undefined;
  /** The bot itself: feeds are read as it. */
  self: () => Actor;
  editIntervalMs: number;
  feedBackoff?: { initialDelayMs: number; maxDelayMs: number };
  /** Epoch time (interaction tokens and the progress shown are reckoned on it). */
  clock: Clock;
}

/** A message to keep up to date, as the command that sent it knows it. */
export interface TrackedMessage {
  roomId: string;
  messageId: string;
  channelId: string;
  /** The interaction that sent or last updated the message: its token edits `@original`. */
  interactionToken: string;
  interactionCreatedAt: number;
  /** The room as the message shows it now. */
  shown: RoomResponse;
}

/** What a message shows: a room (with when it was heard, for its progress), or the end. */
type View = { kind: 'room'; room: RoomResponse; heardAt: number } | { kind: 'ended' };

class LiveMessage {
  /** The room seq the message shows (an edit is skipped when nothing changed). */
  private shownSeq: number;
  private editing = false;
  private again = false;
  private viaChannel = false;
  private gone = false;
  readonly requestEdit: ReturnType<typeof throttle>;

  constructor(
    readonly message: TrackedMessage,
    private readonly entry: RoomEntry,
    private readonly owner: NowPlayingMessages,
    private readonly options: NowPlayingMessagesOptions,
  ) {
    this.shownSeq = message.shown.snapshot.seq;
    this.requestEdit = throttle(() => void this.flush(), options.editIntervalMs, { leading: true, trailing: true });
  }

  /** The room changed: edit, unless the message shows this already (a reconnected feed's first event). */
  changed(): void {
    const view = this.entry.view;
    if (view.kind === 'room' && view.room.snapshot.seq === this.shownSeq) return;
    this.requestEdit();
  }

  /** Edits to the room's latest view now; an edit already in flight is followed by one more. */
  private async flush(): Promise<void> {
    if (this.editing) {
      this.again = true;
      return;
    }
    this.editing = true;
    try {
      do {
        this.again = false;
        await this.editOnce();
      } while (this.again && !this.gone);
    } finally {
      this.editing = false;
    }
  }

  private async editOnce(): Promise<void> {
    const view = this.entry.view;
    if (this.gone) return;
    if (view.kind === 'room' && view.room.snapshot.seq === this.shownSeq) return;
    const body = this.render(view);
    try {
      await this.send(body);
      if (view.kind === 'room') this.shownSeq = view.room.snapshot.seq;
      else this.forget();
    } catch (error) {
      const code = error instanceof DiscordAPIError ? error.code : undefined;
      if (
        code === RESTJSONErrorCodes.UnknownMessage ||
        code === RESTJSONErrorCodes.UnknownChannel ||
        code === RESTJSONErrorCodes.MissingAccess
      ) {
        this.options.log.info(
          { roomId: this.message.roomId, code },
          'now-playing message is gone; no longer editing it',
        );
        this.forget();
        return;
      }
      this.options.log.warn({ roomId: this.message.roomId, err: error }, 'could not edit a now-playing message');
      // The next change tries again; after the room's end there is no next change.
      if (view.kind === 'ended') this.forget();
    }
  }

  /** The message was just edited by a button press: its newer token, and the room it shows now. */
  refresh(message: TrackedMessage): void {
    this.message.interactionToken = message.interactionToken;
    this.message.interactionCreatedAt = message.interactionCreatedAt;
    this.viaChannel = false;
    this.shownSeq = Math.max(this.shownSeq, message.shown.snapshot.seq);
  }

  private async send(body: unknown): Promise<void> {
    const { client, applicationId } = this.options;
    const { interactionToken, interactionCreatedAt, channelId, messageId } = this.message;
    if (!this.viaChannel && this.options.clock.now() - interactionCreatedAt < INTERACTION_TOKEN_LIFETIME_MS) {
      try {
        await client.rest.patch(Routes.webhookMessage(applicationId, interactionToken, '@original'), {
          body,
          auth: false,
        });
        return;
      } catch (error) {
        const code = error instanceof DiscordAPIError ? error.code : undefined;
        if (code !== RESTJSONErrorCodes.InvalidWebhookToken && code !== RESTJSONErrorCodes.UnknownWebhook) throw error;
      }
    }
    // The interaction's token has expired: the bot edits its own message in the channel.
    this.viaChannel = true;
    await client.rest.patch(Routes.channelMessage(channelId, messageId), { body });
  }

  private render(view: View) {
    const where = parseRoomId(this.message.roomId);
    const channelName = (where && channelNameOf(this.options.client, where.channelId)) ?? 'voice channel';
    if (view.kind === 'ended') {
      const embed = new EmbedBuilder()
        .setColor(0x4f545c)
        .setAuthor({ name: `🔊 ${channelName}` })
        .setTitle('⏹️ The watch party has ended')
        .setDescription('Start another with `/play`.');
      return { embeds: [embed.toJSON()], components: [] };
    }
    // Progress as of now: the room's server time plus the time since the bot heard it.
    const room = { ...view.room, serverTime: view.room.serverTime + (this.options.clock.now() - view.heardAt) };
    const message = nowPlayingMessage({ room, channelName, publicUrl: this.options.publicUrl });
    return {
      embeds: message.embeds.map((embed) => embed.toJSON()),
      components: message.components.map((row) => row.toJSON()),
    };
  }

  forget(): void {
    this.gone = true;
    this.requestEdit.cancel();
    this.owner.drop(this.entry, this);
  }
}

function channelNameOf(client: Client, channelId: string): string | undefined {
  const channel = client.channels.cache.get(channelId);
  return channel && 'name' in channel && typeof channel.name === 'string' ? channel.name : undefined;
}

interface RoomEntry {
  feed: EventFeed;
  view: View;
  messages: LiveMessage[];
}

export class NowPlayingMessages {
  private readonly rooms = new Map<string, RoomEntry>();
  private closed = false;

  constructor(private readonly options: NowPlayingMessagesOptions) {}

  /** Keeps `message` up to date from now on (a message already tracked gets the newer token). */
  track(message: TrackedMessage): void {
    if (this.closed) return;
    let entry = this.rooms.get(message.roomId);
    // A room that ended keeps its old messages until their last edit; a new room starts afresh.
    if (entry?.view.kind === 'ended') {
      this.rooms.delete(message.roomId);
      entry = undefined;
    }
    if (!entry) {
      const roomId = message.roomId;
      const created: RoomEntry = {
        view: { kind: 'room', room: message.shown, heardAt: this.options.clock.now() },
        messages: [],
        feed: followRoom({
          api: this.options.api,
          roomId,
          actor: this.options.self,
          log: this.options.log,
          backoff: this.options.feedBackoff,
          clock: this.options.clock,
          onRoom: (room) => this.onRoom(created, room),
          onEnded: () => this.onEnded(created),
        }),
      };
      entry = created;
      this.rooms.set(roomId, created);
    }
    const existing = entry.messages.find((m) => m.message.messageId === message.messageId);
    if (existing) {
      existing.refresh(message);
      return;
    }
    entry.messages.push(new LiveMessage(message, entry, this, this.options));
    while (entry.messages.length > MAX_MESSAGES_PER_ROOM) entry.messages[0]?.forget();
  }

  /** The latest room seq the bot heard for `roomId` (undefined: not followed, or ended). */
  heardSeq(roomId: string): number | undefined {
    const view = this.rooms.get(roomId)?.view;
    return view?.kind === 'room' ? view.room.snapshot.seq : undefined;
  }

  /** Whether the room's feed has delivered the room at least once. */
  isLive(roomId: string): boolean {
    return (this.rooms.get(roomId)?.feed.connections ?? 0) > 0;
  }

  /** Rooms followed now. */
  get followed(): string[] {
    return [...this.rooms.keys()];
  }

  /** Makes every pending (trailing) edit now, as if the interval had passed. */
  flush(): void {
    for (const entry of this.rooms.values()) for (const message of entry.messages) message.requestEdit.flush();
  }

  /** @internal A message that is no longer edited; the feed stops with the room's last one. */
  drop(entry: RoomEntry, message: LiveMessage): void {
    entry.messages = entry.messages.filter((m) => m !== message);
    if (entry.messages.length > 0) return;
    if (this.rooms.get(message.message.roomId) === entry) this.rooms.delete(message.message.roomId);
    void entry.feed.stop();
  }

  private onRoom(entry: RoomEntry, room: RoomResponse): void {
    entry.view = { kind: 'room', room, heardAt: this.options.clock.now() };
    for (const message of entry.messages) message.changed();
  }

  private onEnded(entry: RoomEntry): void {
    entry.view = { kind: 'ended' };
    // Each message's last edit says so, at once (nothing follows it); the entry goes with the last of them.
    for (const message of [...entry.messages]) {
      message.requestEdit();
      message.requestEdit.flush();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.rooms.values()];
    this.rooms.clear();
    for (const entry of entries) for (const message of entry.messages) message.requestEdit.cancel();
    await Promise.all(entries.map((entry) => entry.feed.stop()));
  }
}
