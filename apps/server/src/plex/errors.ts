/**
 * Every way a call to Plex (a Media Server or plex.tv) can fail, as a small closed set the API maps
 * to clear messages. Messages name the endpoint, never a URL with a query or a token.
 */
export type PlexErrorKind = 'unreachable' | 'auth' | 'not_found' | 'upstream';

export abstract class PlexError extends Error {
  abstract readonly kind: PlexErrorKind;
  constructor(
    /** A short, low-cardinality name of what was called (`search`, `metadata`, `pins`…). */
    readonly endpoint: string,
    message: string,
    /** The HTTP status Plex answered, when it answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No answer: connection refused or reset, DNS, timeout, or the circuit breaker is open. */
export class PlexUnreachableError extends PlexError {
  override name = 'PlexUnreachableError';
  readonly kind = 'unreachable' as const;
}

/** The token was rejected (401/403): the link must be renewed by an admin. */
export class PlexAuthError extends PlexError {
  override name = 'PlexAuthError';
  readonly kind = 'auth' as const;
}

/** A Plex JWT past its expiry (HTTP 498): refresh it with the device key, then try again. */
export class PlexTokenExpiredError extends PlexAuthError {
  override name = 'PlexTokenExpiredError';
}

/** The thing asked for does not exist (any more): a deleted item, an unknown PIN. */
export class PlexNotFoundError extends PlexError {
  override name = 'PlexNotFoundError';
  readonly kind = 'not_found' as const;
}

/** Plex answered, but not usefully: a 5xx, an unexpected status, or a body we cannot read. */
export class PlexUpstreamError extends PlexError {
  override name = 'PlexUpstreamError';
  readonly kind = 'upstream' as const;
}

/** plex.tv is rate-limiting us (HTTP 429, code 1003): wait `retryAfterMs` before asking again. */
export class PlexRateLimitedError extends PlexUpstreamError {
  override name = 'PlexRateLimitedError';
  constructor(
    endpoint: string,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(endpoint, message, 429);
  }
}

/** plex.tv refused a signed device JWT or key (HTTP 422: bad signature, unknown key, used nonce…). */
export class PlexSignatureError extends PlexAuthError {
  override name = 'PlexSignatureError';
}
