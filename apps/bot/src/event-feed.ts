/**
 * A feed of events from the server (Server-Sent Events under `/api/bot/*`: a room's changes, a
 * guild's new rooms). It reconnects with exponential backoff while the server is away, treats a
 * stream silent for longer than three keep-alives as dead, and stops for good when the server says
 * there is nothing more to follow (404 `no_room`, or an event that ends the feed).
 */
import { BOT_ROOM_EVENTS_KEEPALIVE_MS, type Clock, systemClock, type TimerHandle } from '@dpp/shared';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import { createParser } from 'eventsource-parser';
import type { Logger } from 'pino';
import { delay } from './delay.ts';
import type { Actor, ServerApi } from './server-api.ts';

export interface EventFeedOptions {
  api: ServerApi;
  /** The feed's path, parameters filled in. */
  path: string;
  /** Who the feed is read as (the bot itself). */
  actor: () => Actor;
  log: Logger;
  /** Handles one event (data parsed from JSON); true when it ends the feed. */
  onEvent(event: string, data: unknown): boolean;
  /** The feed is over (the server said so, or there is nothing to follow): no `stop()` needed. */
  onEnded(): void;
  backoff?: { initialDelayMs: number; maxDelayMs: number };
  /** A stream that says nothing for this long is dead (default: three keep-alives). */
  idleTimeoutMs?: number;
  clock?: Clock;
}

type Outcome = 'ended' | 'dropped' | 'stopped';

export class EventFeed {
  private readonly stopping = new AbortController();
  private readonly done: Promise<void>;
  /** Connections that delivered at least one event (the feed was live). */
  connections = 0;
  private readonly clock: Clock;

  constructor(private readonly options: EventFeedOptions) {
    this.clock = options.clock ?? systemClock;
    this.done = this.run().catch((error: unknown) =>
      options.log.error({ feed: options.path, err: error }, 'event feed stopped by a bug'),
    );
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
      this.options.log.debug({ feed: this.options.path, delayMs: backoff.duration }, 'event feed reconnecting');
      await delay(this.clock, backoff.duration, this.stopping.signal);
    }
  }

  private async connectOnce(): Promise<Outcome> {
    const { api, path, log } = this.options;
    const connection = new AbortController();
    const signal = AbortSignal.any([this.stopping.signal, connection.signal]);
    const idleMs = this.options.idleTimeoutMs ?? 3 * BOT_ROOM_EVENTS_KEEPALIVE_MS;
    let idle: TimerHandle;
    const heard = () => {
      this.clock.clearTimeout(idle);
      idle = this.clock.setTimeout(() => connection.abort(), idleMs);
    };
    // Set by the parser's callback: the type checker cannot see that it changes.
    const state: { outcome: Outcome; delivered: boolean } = { outcome: 'dropped', delivered: false };
    try {
      const response = await api.openEventStream(this.options.actor(), path, signal);
      if (!response) return 'ended';
      if (!response.body) return 'dropped';
      heard();
      const parser = createParser({
        onEvent: (event) => {
          if (state.outcome === 'ended' || !event.event) return;
          let data: unknown;
          try {
            data = JSON.parse(event.data);
          } catch {
            log.warn({ feed: path, event: event.event }, 'event feed sent data that is not JSON');
            return;
          }
          if (!state.delivered) {
            state.delivered = true;
            this.connections += 1;
          }
          if (this.options.onEvent(event.event, data)) state.outcome = 'ended';
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
        { feed: path, err: connection.signal.aborted ? 'no keep-alive from the server' : error },
        'event feed lost; reconnecting',
      );
      return 'dropped';
    } finally {
      this.clock.clearTimeout(idle);
      connection.abort();
    }
  }
}
