/**
 * Error reports (Sentry events) leave the machine: this is the one place that cuts secrets out of
 * them, used as `beforeSend`/`beforeBreadcrumb` by the server, the bot and the activity alike, and
 * again by the server on what the activity sends through it. Pure: no SDK types, no I/O.
 */

export const REDACTED = '[redacted]';

/** Field names whose values are credentials wherever they appear (headers, extras, contexts, data). */
const SECRET_FIELD = /authorization|cookie|token|secret|password|passwd|api[-_]?key|credential|dsn|^x-plex-/i;

/** `?token=…`, `&X-Plex-Token=…`, `access_token=…`, `password=…` in URLs and messages. */
const SECRET_PARAM =
  /([?&;#\s"']|^)([\w.-]*(?:token|secret|password|passwd|api[-_]?key|auth|sig|signature)[\w.-]*=)[^&\s"'#]*/gi;

/** `Bearer <token>` and `Bot <token>` as an Authorization header's value says it, quoted in a message. */
const AUTH_SCHEME = /\b(Bearer|Bot|Basic)\s+[\w.~+/=-]{16,}/g;

/** `scheme://user:password@host`: the password part. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*):[^\s@/"']*@/gi;

/**
 * Long opaque strings: sealed session and stream ids (base64url), JWTs and Discord bot tokens
 * (dotted base64url). Nothing an error needs is this long without a space or a slash.
 */
const OPAQUE = /[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{20,}|[A-Za-z0-9_-]{64,}/g;

/** Parts of an event's `request` that are never sent: headers, cookies, query string and body. */
const REQUEST_DROPPED = ['headers', 'cookies', 'query_string', 'data', 'env'] as const;

export interface ScrubOptions {
  /** Values that must not appear anywhere (the Plex token, SECRET_KEY, the bot token, a session token). */
  secrets?: readonly (string | null | undefined)[];
}

/** Cuts every known secret, credential-looking parameter and long opaque token out of a text. */
export function scrubText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(REDACTED);
  return out
    .replace(URL_PASSWORD, `$1:${REDACTED}@`)
    .replace(SECRET_PARAM, `$1$2${REDACTED}`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(OPAQUE, REDACTED);
}

/** Only secrets long enough to be one (a short value would blank ordinary words). */
const usable = (secrets: ScrubOptions['secrets']): string[] =>
  [...new Set((secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 8))].sort(
    (a, b) => b.length - a.length,
  );

function scrubValue(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 24) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      SECRET_FIELD.test(key) && item !== null && item !== undefined ? REDACTED : scrubValue(item, secrets, depth + 1);
  }
  return out;
}

/**
 * A copy of an event (or breadcrumb) without secrets: the request's headers, cookies, query string
 * and body dropped and its URL without a query; every field named like a credential blanked; and in
 * every text, the given secrets, credential parameters, `Bearer …` values, URL passwords and long
 * opaque tokens replaced by `[redacted]`.
 */
export function scrubErrorEvent<T>(event: T, options: ScrubOptions = {}): T {
  const secrets = usable(options.secrets);
  const copy = scrubValue(event, secrets, 0) as T;
  const request = (copy as { request?: Record<string, unknown> } | null)?.request;
  if (request && typeof request === 'object') {
    for (const key of REQUEST_DROPPED) delete request[key];
    if (typeof request.url === 'string') request.url = request.url.replace(/[?#].*$/, '');
  }
  return copy;
}

/**
 * Where the server, the bot and the activity send errors worth a look (Sentry, when SENTRY_DSN is
 * set; nothing at all otherwise). `context` becomes tags: short values, never secrets.
 */
export interface ErrorReporter {
  capture(error: unknown, context?: Record<string, string | number | boolean | undefined>): void;
  /** Sends what is queued; resolves false when that took longer than `timeoutMs`. */
  flush(timeoutMs?: number): Promise<boolean>;
}
