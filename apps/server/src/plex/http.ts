import { Readable } from 'node:stream';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
} from 'cockatiel';
import { Agent, type Dispatcher, fetch, type Response } from 'undici';
import type { z } from 'zod';
import {
  PlexAuthError,
  type PlexError,
  PlexNotFoundError,
  PlexRateLimitedError,
  PlexSignatureError,
  PlexTokenExpiredError,
  PlexUnreachableError,
  PlexUpstreamError,
} from './errors.ts';

/** The two Plex metrics (a subset of app.metrics), so clients can be built without an app. */
export interface PlexMetrics {
  plexLatency: { observe(labels: { endpoint: string }, seconds: number): void };
  plexErrors: { inc(labels: { endpoint: string; kind: string }): void };
}

export interface PlexHttpOptions {
  /** Per-attempt time limit. */
  timeoutMs: number;
  /** Extra attempts for idempotent requests after a transient failure. */
  retries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Consecutive failed attempts that open the circuit. */
  breakerThreshold: number;
  /** How long the circuit stays open before one trial request is let through. */
  halfOpenAfterMs: number;
  /** Extra certificate authority (PEM) to trust, for servers with a private certificate. */
  tlsCa?: string;
}

export const DEFAULT_HTTP_OPTIONS: PlexHttpOptions = {
  timeoutMs: 8000,
  retries: 2,
  initialDelayMs: 100,
  maxDelayMs: 1000,
  breakerThreshold: 5,
  halfOpenAfterMs: 10_000,
};

export interface PlexRequest {
  /** Low-cardinality name for metrics and messages. */
  endpoint: string;
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT';
  path: string;
  query?: Record<string, string | number | undefined>;
  headers: Record<string, string>;
  /** Override the per-attempt time limit (reachability probes use a short one). */
  timeoutMs?: number;
  /** Set false to make exactly one attempt even for a GET. */
  retry?: boolean;
  /** A JSON request body (plex.tv's JWT endpoints). */
  body?: unknown;
}

export interface PlexStream {
  body: Readable;
  contentType: string;
  sizeBytes: number | null;
}

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
/** Same-origin redirects followed at most (a trailing slash, an http→https hop is another origin). */
const MAX_REDIRECTS = 3;

/** A timeout is not retried: a server that stayed silent for the whole limit rarely answers at once. */
class TimedOut extends PlexUnreachableError {
  override name = 'PlexUnreachableError';
}

const isTransient = (error: Error) =>
  (error instanceof PlexUnreachableError && !(error instanceof TimedOut)) ||
  (error instanceof PlexUpstreamError && error.status !== undefined && TRANSIENT_STATUS.has(error.status));

const countsAgainstServer = (error: Error) =>
  error instanceof PlexUnreachableError ||
  (error instanceof PlexUpstreamError && error.status !== undefined && error.status >= 500);

/**
 * HTTP to one Plex origin (a Media Server or plex.tv): per-attempt timeouts, retries with
 * exponential backoff for idempotent requests, one circuit breaker per origin, typed errors, metrics.
 */
export class PlexHttp {
  private readonly retryPolicy: IPolicy;
  private readonly breaker: IPolicy;
  private readonly options: PlexHttpOptions;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly metrics?: PlexMetrics,
    http: Partial<PlexHttpOptions> = {},
  ) {
    this.options = { ...DEFAULT_HTTP_OPTIONS, ...http };
    this.dispatcher = this.options.tlsCa ? new Agent({ connect: { ca: this.options.tlsCa } }) : undefined;
    this.retryPolicy = retry(handleWhen(isTransient), {
      maxAttempts: this.options.retries,
      backoff: new ExponentialBackoff({
        initialDelay: this.options.initialDelayMs,
        maxDelay: this.options.maxDelayMs,
      }),
    });
    this.breaker = circuitBreaker(handleWhen(countsAgainstServer), {
      halfOpenAfter: this.options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.options.breakerThreshold),
    });
  }

  /** Absolute URL for a path on this origin (no token: that travels in headers). */
  url(path: string, query?: PlexRequest['query']): string {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** A JSON answer, checked against `schema`. */
  async json<T extends z.ZodType>(request: PlexRequest, schema: T): Promise<z.infer<T>> {
    return this.execute(request, async (response, endpoint) => {
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        throw new PlexUpstreamError(endpoint, `Plex sent an unreadable answer to ${endpoint}.`, response.status, {
          cause: error,
        });
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.join('.') || 'body';
        throw new PlexUpstreamError(
          endpoint,
          `Plex answered ${endpoint} in an unexpected shape (${where}: ${issue?.message ?? 'invalid'}).`,
          response.status,
        );
      }
      return parsed.data as z.infer<T>;
    });
  }

  /** An answer whose body does not matter (stop requests). */
  async empty(request: PlexRequest): Promise<void> {
    await this.execute(request, async (response) => {
      await response.body?.cancel();
    });
  }

  /** A byte stream (images). The time limit covers the whole body, so a stalled upstream ends. */
  async stream(request: PlexRequest): Promise<PlexStream> {
    return this.execute(
      request,
      async (response) => {
        const body = response.body ? Readable.fromWeb(response.body) : Readable.from([]);
        const length = Number(response.headers.get('content-length'));
        return {
          body,
          contentType: response.headers.get('content-type') ?? 'application/octet-stream',
          sizeBytes: Number.isFinite(length) && length >= 0 ? length : null,
        };
      },
      { keepTimerForBody: true },
    );
  }

  private async execute<T>(
    request: PlexRequest,
    read: (response: Response, endpoint: string) => Promise<T>,
    { keepTimerForBody = false } = {},
  ): Promise<T> {
    const method = request.method ?? 'GET';
    const idempotent = (method === 'GET' || method === 'DELETE' || method === 'PUT') && request.retry !== false;
    const attempt = () => this.breaker.execute(() => this.attempt(request, method, read, keepTimerForBody));
    try {
      return await (idempotent ? this.retryPolicy.execute(attempt) : attempt());
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        this.metrics?.plexErrors.inc({ endpoint: request.endpoint, kind: 'circuit_open' });
        throw new PlexUnreachableError(
          request.endpoint,
          `Plex is not answering (${request.endpoint}); requests are paused for a few seconds.`,
          undefined,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Fetches on this origin only. Redirects are followed by hand, and only to the same origin (where
   * our headers, the token among them, belong); one that leaves it is refused, never followed, so
   * the token can never be sent to another host.
   */
  private async fetchOnOrigin(request: PlexRequest, method: string, signal: AbortSignal): Promise<Response> {
    const origin = new URL(this.baseUrl).origin;
    let url = this.url(request.path, request.query);
    for (let hop = 0; ; hop++) {
      const response = await fetch(url, {
        method,
        headers:
          request.body === undefined ? request.headers : { ...request.headers, 'Content-Type': 'application/json' },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
        redirect: 'manual',
        dispatcher: this.dispatcher,
      });
      if (response.status < 300 || response.status >= 400 || response.status === 304) return response;
      await response.body?.cancel().catch(() => {});
      const location = response.headers.get('location');
      const next = location ? new URL(location, url) : undefined;
      if (!next || next.origin !== origin) {
        throw new PlexUpstreamError(
          request.endpoint,
          `Plex redirected ${request.endpoint} to another address; not followed, so the token stays with its server.`,
          response.status,
        );
      }
      if (hop >= MAX_REDIRECTS) {
        throw new PlexUpstreamError(
          request.endpoint,
          `Plex redirected ${request.endpoint} too many times.`,
          response.status,
        );
      }
      url = next.toString();
    }
  }

  private async attempt<T>(
    request: PlexRequest,
    method: string,
    read: (response: Response, endpoint: string) => Promise<T>,
    keepTimerForBody: boolean,
  ): Promise<T> {
    const { endpoint } = request;
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const started = performance.now();
    let handedOver = false;
    try {
      let response: Response;
      try {
        response = await this.fetchOnOrigin(request, method, controller.signal);
      } catch (error) {
        if (error instanceof PlexUpstreamError) throw error;
        throw timedOut
          ? new TimedOut(endpoint, `Plex did not answer ${endpoint} within ${timeoutMs} ms.`, undefined, {
              cause: error,
            })
          : new PlexUnreachableError(
              endpoint,
              `Plex could not be reached (${endpoint}): ${describe(error)}.`,
              undefined,
              {
                cause: error,
              },
            );
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw statusError(endpoint, response.status, response.headers.get('retry-after'));
      }
      try {
        const result = await read(response, endpoint);
        if (keepTimerForBody && result && typeof result === 'object' && 'body' in result) {
          const body = (result as { body: Readable }).body;
          handedOver = true;
          body.once('close', () => clearTimeout(timer));
        }
        return result;
      } catch (error) {
        if (timedOut) {
          throw new TimedOut(endpoint, `Plex did not finish answering ${endpoint} within ${timeoutMs} ms.`);
        }
        if (error instanceof Error && !('kind' in error)) {
          throw new PlexUnreachableError(endpoint, `Plex dropped the answer to ${endpoint}: ${describe(error)}.`);
        }
        throw error;
      }
    } catch (error) {
      this.metrics?.plexErrors.inc({ endpoint, kind: (error as PlexError).kind ?? 'upstream' });
      throw error;
    } finally {
      if (!handedOver) clearTimeout(timer);
      this.metrics?.plexLatency.observe({ endpoint }, (performance.now() - started) / 1000);
    }
  }
}

function statusError(endpoint: string, status: number, retryAfter: string | null = null): PlexError {
  if (status === 498) {
    return new PlexTokenExpiredError(endpoint, `The Plex token has expired (${endpoint}: HTTP 498).`, status);
  }
  if (status === 429) {
    const seconds = Number(retryAfter);
    const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
    return new PlexRateLimitedError(endpoint, `plex.tv asks us to slow down (${endpoint}: HTTP 429).`, retryAfterMs);
  }
  if (status === 422) {
    return new PlexSignatureError(endpoint, `plex.tv refused the device signature (${endpoint}: HTTP 422).`, status);
  }
  if (status === 401 || status === 403) {
    return new PlexAuthError(endpoint, `Plex rejected the token (${endpoint}: HTTP ${status}).`, status);
  }
  if (status === 404) return new PlexNotFoundError(endpoint, `Plex has no such thing (${endpoint}: HTTP 404).`, status);
  return new PlexUpstreamError(endpoint, `Plex failed to answer ${endpoint} (HTTP ${status}).`, status);
}

/** The most useful short reason of a fetch failure (`ECONNREFUSED`, `socket hang up`…). */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
