/**
 * One room's event feed from the server (`GET /api/bot/rooms/:roomId/events`, Server-Sent Events):
 * the whole room after every change, then `ended`. It reconnects with exponential backoff while the
 * server is away (each new connection starts with the room as it is, so nothing is missed), treats
 * a stream silent for longer than three keep-alives as dead, and stops for good when the room ends.
 */
import {
  BOT_ROOM_EVENTS,
  BOT_ROOM_EVENTS_KEEPALIVE_MS,
  botRoomEndedSchema,
  type RoomResponse,
  roomResponseSchema,
} from '@dpp/shared';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import { createParser } from 'eventsource-parser';
import type { Logger } from 'pino';
import type { Actor, ServerApi } from './server-api.ts';

export interface RoomFeedOptions {
  api: ServerApi;
  roomId: string;
  /** Who the feed is read as (the bot itself). */
  actor: () => Actor;
  log: Logger;
  /** The room now (sent on every (re)connection and after every change). */
  onRoom(room: RoomResponse): void;
  /** The room ended, or there is none: the feed has stopped. */
  onEnded(): void;
  backoff?: { initialDelayMs: number; maxDelayMs: number };
  /** A stream that says nothing for this long is dead (default: three keep-alives). */
  idleTimeoutMs?: number;
}

type Outcome = 'ended' | 'dropped' | 'stopped';

export class RoomFeed {
  private readonly stopping = new AbortController();
  private readonly done: Promise<void>;
  /** Connections that delivered the room; tests wait on it to know the feed is live. */
  connections = 0;

  constructor(private readonly options: RoomFeedOptions) {
    this.done = this.run();
  }

  get roomId() {
    return this.options.roomId;
  }

  /** Stops the feed (no `onEnded`); resolves once its connection is closed. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.done;
  }

  private async run(): Promise<void> {
    const { initialDelayMs, maxDelayMs } = this.options.backoff ?? { initialDelayMs: 1000, maxDelayMs: 60_000 };
    const factory = new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs });
    let backoff: IBackoff<unknown> | undefined;
    while (!this.stopping.signal.aborted) {
      const before = this.connections;
      const outcome = await this.connectOnce();
      if (outcome === 'stopped') return;
      if (outcome === 'ended') {
        this.options.onEnded();
        return;
      }
      // A connection that worked resets the backoff; repeated failures wait longer each time.
      if (this.connections > before) backoff = undefined;
      backoff = backoff ? backoff.next(undefined) : factory.next();
      this.options.log.debug({ roomId: this.roomId, delayMs: backoff.duration }, 'room feed reconnecting');
      await abortableDelay(backoff.duration, this.stopping.signal);
    }
  }

  private async connectOnce(): Promise<Outcome> {
    const { api, roomId, log } = this.options;
    const connection = new AbortController();
    const signal = AbortSignal.any([this.stopping.signal, connection.signal]);
    const idleMs = this.options.idleTimeoutMs ?? 3 * BOT_ROOM_EVENTS_KEEPALIVE_MS;
    let idle: NodeJS.Timeout | undefined;
    const heard = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(), idleMs);
      idle.unref();
    };
    // Set by the parser's callback: the type checker cannot see that it changes.
    const state: { outcome: Outcome } = { outcome: 'dropped' };
    try {
      const response = await api.roomEvents(this.options.actor(), roomId, signal);
      if (!response) return 'ended';
      if (!response.body) return 'dropped';
      heard();
      const parser = createParser({
        onEvent: (event) => {
          if (state.outcome === 'ended') return;
          let data: unknown;
          try {
            data = JSON.parse(event.data);
          } catch {
            log.warn({ roomId, event: event.event }, 'room feed sent an event that is not JSON');
            return;
          }
          if (event.event === BOT_ROOM_EVENTS.room) {
            const room = roomResponseSchema.safeParse(data);
            if (!room.success) {
              log.warn({ roomId, issues: room.error.issues.slice(0, 3) }, 'room feed sent a room of an unknown shape');
              return;
            }
            if (room.data.snapshot.roomId !== roomId) return;
            this.connections += 1;
            this.options.onRoom(room.data);
          } else if (event.event === BOT_ROOM_EVENTS.ended && botRoomEndedSchema.safeParse(data).success) {
            state.outcome = 'ended';
          }
        },
      });
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        heard();
        parser.feed(decoder.decode(value, { stream: true }));
        if (state.outcome === 'ended') break;
      }
      return state.outcome;
    } catch (error) {
      if (this.stopping.signal.aborted) return 'stopped';
      if (state.outcome === 'ended') return 'ended';
      log.warn(
        { roomId, err: connection.signal.aborted ? 'no keep-alive from the server' : error },
        'room feed lost; reconnecting',
      );
      return 'dropped';
    } finally {
      clearTimeout(idle);
      connection.abort();
    }
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
