/**
 * Byte ranges for what the proxy serves itself (local demo files, cached segments), with the
 * semantics Plex and nginx give remote files: one `bytes=` range → 206 with Content-Range; a range
 * that starts past the end → 416 with `Content-Range: bytes *\/size`; a malformed header, several
 * ranges, or an If-Range validator that no longer matches → the whole body with 200.
 */

export interface Validators {
  etag: string;
  lastModified: Date | undefined;
}

export type RangeDecision =
  | { status: 200; start: 0; end: number }
  | { status: 206; start: number; end: number }
  | { status: 416 };

/** [start, end] inclusive, or 'unsatisfiable', or undefined to ignore the header. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined; // several ranges, another unit, or garbage
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Number.MAX_SAFE_INTEGER : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/** If-Range holds an ETag (strong comparison) or an HTTP date (must equal Last-Modified exactly). */
export function ifRangeMatches(ifRange: string | undefined, validators: Validators): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    return !value.startsWith('W/') && !validators.etag.startsWith('W/') && value === validators.etag;
  }
  const date = Date.parse(value);
  if (Number.isNaN(date) || validators.lastModified === undefined) return false;
  return Math.floor(validators.lastModified.getTime() / 1000) === Math.floor(date / 1000);
}

export function decideRange(
  headers: { range?: string | undefined; 'if-range'?: string | undefined },
  size: number,
  validators: Validators,
): RangeDecision {
  const whole = { status: 200 as const, start: 0 as const, end: size - 1 };
  const range = parseRange(headers.range, size);
  if (range === undefined || !ifRangeMatches(headers['if-range'], validators)) return whole;
  if (range === 'unsatisfiable') return { status: 416 };
  return { status: 206, start: range.start, end: range.end };
}

/** Response headers for a decision (Content-Type is the caller's). */
export function rangeHeaders(decision: RangeDecision, size: number, validators: Validators): Record<string, string> {
  const common: Record<string, string> = { 'accept-ranges': 'bytes', etag: validators.etag };
  if (validators.lastModified) common['last-modified'] = validators.lastModified.toUTCString();
  switch (decision.status) {
    case 200:
      return { ...common, 'content-length': String(size) };
    case 206:
      return {
        ...common,
        'content-length': String(decision.end - decision.start + 1),
        'content-range': `bytes ${decision.start}-${decision.end}/${size}`,
      };
    case 416:
      return { ...common, 'content-range': `bytes */${size}` };
  }
}

/** Whether an If-None-Match header names this representation (weak comparison, as for GET). */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => bare(tag) === bare(etag));
}

/**
 * Whether a conditional GET may be answered 304, as RFC 9110 (and nginx) say: If-None-Match
 * decides when present; otherwise If-Modified-Since, when the representation is not newer than it.
 */
export function isNotModified(
  headers: { 'if-none-match'?: string | undefined; 'if-modified-since'?: string | undefined },
  validators: Validators,
): boolean {
  if (headers['if-none-match'] !== undefined) return notModified(headers['if-none-match'], validators.etag);
  const since = headers['if-modified-since'];
  if (since === undefined || !validators.lastModified) return false;
  const sinceMs = Date.parse(since);
  // HTTP dates have whole seconds: compare at that precision.
  return Number.isFinite(sinceMs) && Math.floor(validators.lastModified.getTime() / 1000) * 1000 <= sinceMs;
}
