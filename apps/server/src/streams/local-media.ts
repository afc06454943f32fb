import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import { HttpError } from '../lib/errors.ts';
import { decideRange, isNotModified, rangeHeaders, type Validators } from './byte-range.ts';

/** A byte range of a file on this machine, [start, end] inclusive. */
export interface FileSlice {
  file: string;
  start: number;
  end: number;
}

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

/**
 * Sends a slice of a file as the body of an answer whose status and headers (the range decision
 * above) are already set: `@fastify/static` streams it with backpressure, and stops reading when
 * the client goes away. It adds nothing of its own (no validators, type or caching headers, no
 * second look at Range or conditionals: those were decided here, the same way for every kind of
 * stream). Needs `@fastify/static` registered (for `reply.sendFile`) in the route's context.
 */
export function sendFileSlice(reply: FastifyReply, slice: FileSlice): FastifyReply {
  // `start` and `end` go through to @fastify/send as they are (its types know them, these do not).
  const options = {
    start: slice.start,
    end: slice.end,
    acceptRanges: false,
    etag: false,
    lastModified: false,
    cacheControl: false,
    contentType: false,
    dotfiles: 'allow' as const,
  };
  return reply.sendFile(path.basename(slice.file), path.dirname(slice.file), options);
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
