import { stat } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from '../lib/errors.ts';
import { decideRange, isNotModified, rangeHeaders, type Validators } from './byte-range.ts';
import type { FileSlice } from './file-pump.ts';

/** What to answer for a ranged resource: status, headers (no Content-Type) and the body, if any. */
export interface RangedAnswer {
  status: 200 | 206 | 304 | 416;
  headers: Record<string, string>;
  /** Bytes in memory, a slice of a file to send, or nothing (HEAD, 304, 416). */
  body: Buffer | FileSlice | undefined;
}

interface RequestLike {
  method: string;
  headers: {
    range?: string | undefined;
    'if-range'?: string | undefined;
    'if-none-match'?: string | undefined;
    'if-modified-since'?: string | undefined;
  };
}

function answer(
  request: RequestLike,
  size: number,
  validators: Validators,
  body: (start: number, end: number) => Buffer | FileSlice,
): RangedAnswer {
  if (isNotModified(request.headers, validators)) {
    const headers: Record<string, string> = { etag: validators.etag };
    if (validators.lastModified) headers['last-modified'] = validators.lastModified.toUTCString();
    return { status: 304, headers, body: undefined };
  }
  const decision = decideRange(request.headers, size, validators);
  const headers = rangeHeaders(decision, size, validators);
  if (decision.status === 416) return { status: 416, headers, body: undefined };
  const empty = request.method === 'HEAD' || decision.end < decision.start;
  return { status: decision.status, headers, body: empty ? undefined : body(decision.start, decision.end) };
}

/** A file on this machine (the demo library), with the same range semantics as a Plex part file. */
export async function localFileAnswer(file: string, request: RequestLike): Promise<RangedAnswer> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch {
    throw new HttpError(404, 'stream_source_gone', 'This media file is no longer available.');
  }
  if (!info.isFile()) throw new HttpError(404, 'stream_source_gone', 'This media file is no longer available.');
  const validators = {
    etag: `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
    lastModified: info.mtime,
  };
  return answer(request, info.size, validators, (start, end) => ({ file, start, end }));
}

/** Bytes held in memory (a cached segment), ranged the same way. */
export function bufferAnswer(bytes: Buffer, etag: string, request: RequestLike): RangedAnswer {
  return answer(request, bytes.length, { etag, lastModified: undefined }, (start, end) =>
    bytes.subarray(start, end + 1),
  );
}

/**
 * A path inside `dir` for a URI found in a playlist at `from` (both relative to `dir`), or
 * undefined when the URI is absolute, has a scheme, or climbs out of the directory.
 */
export function insideDir(from: string, uri: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri) || uri.startsWith('/') || uri.includes('\\')) return undefined;
  const clean = uri.split(/[?#]/, 1)[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(clean);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), decoded));
  if (joined === '..' || joined.startsWith('../') || joined.startsWith('/') || joined === '.') return undefined;
  return joined;
}
