/**
 * The bot's client for the server's `/api/bot/*` (contract: packages/shared/src/bot-api.ts). Every
 * call acts for a Discord user (`X-Acting-User`), is retried with exponential backoff when the
 * server is unreachable or briefly unavailable, and goes through a circuit breaker so that, while
 * the server is down, users get an answer at once instead of waiting for timeouts.
 */
import { EventEmitter } from 'node:events';
import {
  apiErrorSchema,
  BOT_API_ERRORS,
  BOT_API_HEADERS,
  BOT_API_ROUTES,
  type BotApiRouteName,
  type BotEndRoomResponse,
  type BotGuildSettings,
  type BotGuildSettingsPatch,
  type BotHistoryResponse,
  type BotPlayResponse,
  type BotPlexPin,
  type BotPlexPinStatus,
  type BotPlexStatus,
  type BotPlexUnlink,
  type BotRoomCommand,
  type BotSearchResponse,
  type BotVoiceEvent,
  type BotVoiceSync,
  botApiPath,
  type Clock,
  type RoomResponse,
  systemClock,
} from '@dpp/shared';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  wrap,
} from 'cockatiel';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { PlexUnavailableError, ServerApiError, ServerUnreachableError } from './errors.ts';

/** Who a call acts for. System calls (voice sync, empty rooms) act as the bot itself. */
export interface Actor {
  id: string;
  name?: string | null;
  /** Role ids in the guild (for the server's DJ-role rule). */
  roles?: readonly string[];
  /** Guild permissions bitfield (for the server's Manage Server rule). */
  permissions?: bigint | null;
}

export interface ServerApiOptions {
  baseUrl: string;
  token: string;
  log: Logger;
  fetch?: typeof fetch;
  /** Per attempt. */
  timeoutMs?: number;
  /** Retries after the first attempt, with exponential backoff. */
  retry?: { retries: number; initialDelayMs: number; maxDelayMs: number };
  breaker?: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** For the event streams' connect timeout (the calls' timeouts and backoff are cockatiel's and AbortSignal's). */
  clock?: Clock;
}

export interface CallOptions {
  /** Retry transient failures (default true). Autocomplete answers within 3 s and cannot wait. */
  retry?: boolean;
  timeoutMs?: number;
  /** The caller's deadline; aborting it does not count as a server failure. */
  signal?: AbortSignal;
  idempotencyKey?: string;
}

type Routes = typeof BOT_API_ROUTES;
type Output<R extends BotApiRouteName> = z.output<Routes[R]['response']>;

/** A failure worth retrying: nothing reached the server, or it said "not now". */
class TransientError extends Error {
  override name = 'TransientError';
}

export class ServerApi {
  /** 'down' when the breaker opens (the server is unreachable), 'up' when a call succeeds again. */
  readonly events = new EventEmitter<{ down: []; up: [] }>();
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly retrying: IPolicy;
  private readonly once: IPolicy;
  private up = true;

  constructor(private readonly options: ServerApiOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.clock = options.clock ?? systemClock;
    const transient = handleWhen((error) => error instanceof TransientError);
    const breakerOptions = options.breaker ?? { consecutiveFailures: 5, halfOpenAfterMs: 10_000 };
    const breaker = circuitBreaker(transient, {
      halfOpenAfter: breakerOptions.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(breakerOptions.consecutiveFailures),
    });
    breaker.onBreak(() => this.setUp(false));
    breaker.onReset(() => this.setUp(true));
    const retryOptions = options.retry ?? { retries: 2, initialDelayMs: 250, maxDelayMs: 4000 };
    const retrier = retry(transient, {
      maxAttempts: retryOptions.retries,
      backoff: new ExponentialBackoff({ initialDelay: retryOptions.initialDelayMs, maxDelay: retryOptions.maxDelayMs }),
    });
    retrier.onRetry((event) => {
      const reason = 'error' in event ? event.error.message : 'a refused result';
      options.log.warn({ delayMs: event.delay, attempt: event.attempt, reason }, 'server call failed; retrying');
    });
    this.retrying = wrap(retrier, breaker);
    this.once = breaker;
  }

  /** False while the breaker is open. */
  get reachable(): boolean {
    return this.up;
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    this.options.log[up ? 'info' : 'warn'](
      { serverUrl: this.options.baseUrl },
      up ? 'server reachable again' : 'server unreachable',
    );
    this.events.emit(up ? 'up' : 'down');
  }

  // -- the routes --------------------------------------------------------------------------------

  search(actor: Actor, guildId: string, q: string, limit: number, options?: CallOptions): Promise<BotSearchResponse> {
    return this.call('search', actor, { query: { guildId, q, limit: String(limit) } }, options);
  }

  /** The room's snapshot, or null when the voice channel has no room. */
  async room(actor: Actor, roomId: string): Promise<RoomResponse | null> {
    try {
      return await this.call('room', actor, { params: { roomId } });
    } catch (error) {
      if (error instanceof ServerApiError && error.code === BOT_API_ERRORS.noRoom) return null;
      throw error;
    }
  }

  command(actor: Actor, roomId: string, command: BotRoomCommand, idempotencyKey: string): Promise<RoomResponse> {
    return this.call('roomCommand', actor, { params: { roomId }, body: command }, { idempotencyKey });
  }

  /** /play in one room update: starts the item, or queues it when something is playing. */
  play(actor: Actor, roomId: string, itemId: string, idempotencyKey: string): Promise<BotPlayResponse> {
    return this.call('play', actor, { params: { roomId }, body: { itemId } }, { idempotencyKey });
  }

  /**
   * Opens one of the server's event streams (Server-Sent Events at `path`; `EventFeed` reads it and
   * reconnects). Null when there is nothing to follow (404 `no_room`). Not retried and not counted
   * by the breaker: a feed reconnects itself.
   */
  async openEventStream(actor: Actor, path: string, signal: AbortSignal): Promise<Response | null> {
    const url = new URL(path, `${this.options.baseUrl}/`);
    // The timeout covers the answer's headers only: the stream itself stays open for as long as the room.
    const connecting = new AbortController();
    const timer = this.clock.setTimeout(
      () => connecting.abort(new DOMException('timed out', 'TimeoutError')),
      this.timeoutMs,
    );
    let response: Response;
    try {
      response = await this.fetch(url, {
        headers: { ...this.headers(actor), accept: 'text/event-stream' },
        signal: AbortSignal.any([signal, connecting.signal]),
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ServerUnreachableError(describeFetchError(error), { cause: error });
    } finally {
      this.clock.clearTimeout(timer);
    }
    if (response.ok && response.headers.get('content-type')?.startsWith('text/event-stream')) return response;
    const body = apiErrorSchema.safeParse(await response.json().catch(() => undefined));
    const code = body.success ? body.data.error.code : `http_${response.status}`;
    if (code === BOT_API_ERRORS.noRoom) return null;
    const message = body.success ? body.data.error.message : `The server answered ${response.status}.`;
    if (response.ok || response.status >= 500)
      throw new ServerUnreachableError(`${response.status} ${code}: ${message}`);
    throw new ServerApiError(response.status, code, message);
  }

  endRoom(actor: Actor, roomId: string, reason: 'stop' | 'empty', idempotencyKey: string): Promise<BotEndRoomResponse> {
    return this.call('endRoom', actor, { params: { roomId }, body: { reason } }, { idempotencyKey });
  }

  async voiceEvent(event: BotVoiceEvent): Promise<void> {
    await this.call('voiceEvent', { id: event.userId, name: event.name }, { body: event });
  }

  async voiceSync(actor: Actor, guildId: string, sync: BotVoiceSync): Promise<void> {
    await this.call('voiceSync', actor, { params: { guildId }, body: sync });
  }

  plexStatus(actor: Actor, guildId: string): Promise<BotPlexStatus> {
    return this.call('plexStatus', actor, { params: { guildId } });
  }

  plexLink(actor: Actor, guildId: string): Promise<BotPlexPin> {
    return this.call('plexLink', actor, { params: { guildId } });
  }

  plexPin(actor: Actor, guildId: string, pinId: string): Promise<BotPlexPinStatus> {
    return this.call('plexPin', actor, { params: { guildId, pinId } });
  }

  plexUnlink(actor: Actor, guildId: string): Promise<BotPlexUnlink> {
    return this.call('plexUnlink', actor, { params: { guildId } });
  }

  guildSettings(actor: Actor, guildId: string): Promise<BotGuildSettings> {
    return this.call('guildSettings', actor, { params: { guildId } });
  }

  updateGuildSettings(actor: Actor, guildId: string, patch: BotGuildSettingsPatch): Promise<BotGuildSettings> {
    return this.call('updateGuildSettings', actor, { params: { guildId }, body: patch });
  }

  /** What the guild's rooms played recently, newest first (/history). */
  history(actor: Actor, guildId: string, limit: number): Promise<BotHistoryResponse> {
    return this.call('history', actor, { params: { guildId }, query: { limit: String(limit) } });
  }

  // -- the machinery -----------------------------------------------------------------------------

  private async call<R extends BotApiRouteName>(
    name: R,
    actor: Actor,
    request: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown },
    options: CallOptions = {},
  ): Promise<Output<R>> {
    const route = BOT_API_ROUTES[name];
    const policy = options.retry === false ? this.once : this.retrying;
    try {
      const response = await policy.execute(({ signal }) =>
        this.attempt(
          route,
          actor,
          request,
          options,
          options.signal ? AbortSignal.any([signal, options.signal]) : signal,
        ),
      );
      return response as Output<R>;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new ServerUnreachableError('the server is unreachable (circuit open)', { cause: error });
      }
      if (error instanceof TransientError) {
        throw new ServerUnreachableError(`${route.method} ${route.path}: ${error.message}`, { cause: error });
      }
      throw error;
    }
  }

  /** The service token and who the call acts for. */
  private headers(actor: Actor): Record<string, string> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: 'application/json',
      [BOT_API_HEADERS.actingUser]: actor.id,
    };
    if (actor.name) headers[BOT_API_HEADERS.actingUserName] = encodeURIComponent(actor.name);
    if (actor.roles) headers[BOT_API_HEADERS.actingUserRoles] = actor.roles.join(',');
    if (actor.permissions !== undefined && actor.permissions !== null) {
      headers[BOT_API_HEADERS.actingUserPermissions] = actor.permissions.toString();
    }
    return headers;
  }

  private async attempt(
    route: Routes[BotApiRouteName],
    actor: Actor,
    request: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown },
    options: CallOptions,
    signal: AbortSignal,
  ): Promise<unknown> {
    const url = new URL(botApiPath(route.path, request.params), `${this.options.baseUrl}/`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    const headers = this.headers(actor);
    if (options.idempotencyKey) headers[BOT_API_HEADERS.idempotencyKey] = options.idempotencyKey;
    if (request.body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await this.fetch(url, {
        method: route.method,
        headers,
        body: request.body === undefined ? null : JSON.stringify(request.body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs)]),
      });
    } catch (error) {
      // The caller gave up (autocomplete's deadline): not a sign that the server is down.
      if (options.signal?.aborted) throw error;
      throw new TransientError(describeFetchError(error), { cause: error });
    }

    if (response.ok) {
      if (response.status === 204) return undefined;
      const parsed = route.response.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) {
        this.options.log.error(
          { route: route.path, issues: parsed.error.issues.slice(0, 5) },
          'server answered an unexpected shape',
        );
        throw new ServerApiError(502, 'bad_response', 'The server answered in a way I did not understand.');
      }
      return parsed.data;
    }

    const body = apiErrorSchema.safeParse(await response.json().catch(() => undefined));
    const code = body.success ? body.data.error.code : `http_${response.status}`;
    const message = body.success ? body.data.error.message : `The server answered ${response.status}.`;
    if (code === BOT_API_ERRORS.plexUnavailable) throw new PlexUnavailableError(message);
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      throw new TransientError(`${response.status} ${code}: ${message}`);
    }
    throw new ServerApiError(response.status, code, message);
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'timed out';
  if (error instanceof Error) {
    const cause = error.cause as { code?: string } | undefined;
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}
