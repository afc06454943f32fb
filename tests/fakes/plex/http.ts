import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakePlexCounters, RequestRecord } from './counters.ts';
import type { FaultAction } from './faults.ts';

/** Plumbing shared by the fake PMS and the fake plex.tv: request context, body shaping, XML, ranges. */

export class RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly record: RequestRecord;
  readonly #counters: FakePlexCounters;
  readonly #action: FaultAction | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    record: RequestRecord,
    counters: FakePlexCounters,
    action: FaultAction | undefined,
  ) {
    this.req = req;
    this.res = res;
    this.url = url;
    this.record = record;
    this.#counters = counters;
    this.#action = action;
  }

  /** The request body as JSON (undefined when absent or not JSON). */
  async jsonBody(): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get isHead(): boolean {
    return this.method === 'HEAD';
  }

  query(name: string): string | undefined {
    return this.url.searchParams.get(name) ?? undefined;
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  /** An X-Plex-* value, from the header or the query string (Plex accepts both). */
  plex(name: string): string | undefined {
    return this.header(name) ?? this.query(name);
  }

  /** Integer query/header parameter; `undefined` when absent, NaN when not an integer. */
  int(name: string, fromHeaderToo = false): number | undefined {
    const raw = fromHeaderToo ? this.plex(name) : this.query(name);
    if (raw === undefined || raw === '') return undefined;
    return /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  }

  get wantsJson(): boolean {
    return (this.header('accept') ?? '').includes('application/json');
  }

  /** A PMS answer: `{MediaContainer: …}` as JSON when asked for, otherwise XML like the real server. */
  container(body: Record<string, unknown>, headers: Record<string, string | number> = {}, status = 200): Promise<void> {
    if (this.wantsJson) return this.json({ MediaContainer: body }, status, headers);
    return this.send(status, toXml('MediaContainer', body), { 'content-type': 'text/xml;charset=utf-8', ...headers });
  }

  json(body: unknown, status = 200, headers: Record<string, string | number> = {}): Promise<void> {
    return this.send(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  html(status: number, title: string): Promise<void> {
    const body = `<html><head><title>${title}</title></head><body><h1>${status} ${title}</h1></body></html>`;
    return this.send(status, body, { 'content-type': 'text/html' });
  }

  notFound(): Promise<void> {
    return this.html(404, 'Not Found');
  }

  badRequest(): Promise<void> {
    return this.html(400, 'Bad Request');
  }

  /** Sends a whole body (honouring HEAD and the request's body fault). */
  send(status: number, body: string | Buffer, headers: Record<string, string | number> = {}): Promise<void> {
    const buffer = typeof body === 'string' ? Buffer.from(body) : body;
    this.res.writeHead(status, { 'content-length': buffer.length, ...headers });
    if (this.isHead || status === 204 || status === 304) {
      this.res.end();
      return Promise.resolve();
    }
    return this.#writeBody(
      (async function* () {
        yield buffer;
      })(),
    );
  }

  /** Streams bytes [start, end] of a file (honouring HEAD and the request's body fault). */
  sendFile(status: number, file: string, start: number, end: number, headers: Record<string, string | number>) {
    this.res.writeHead(status, { 'content-length': Math.max(0, end - start + 1), ...headers });
    if (this.isHead || end < start) {
      this.res.end();
      return Promise.resolve();
    }
    return this.#writeBody(createReadStream(file, { start, end, highWaterMark: 64 * 1024 }));
  }

  async #writeBody(source: AsyncIterable<Buffer>): Promise<void> {
    const { res } = this;
    const action = this.#action;
    const bytesPerSecond = action?.kind === 'slowBody' ? Math.max(1, action.bytesPerSecond) : undefined;
    const cutAfter = action?.kind === 'cutBody' ? action.afterBytes : undefined;
    const pieceSize = bytesPerSecond ? Math.max(1, Math.floor(bytesPerSecond / 20)) : Number.POSITIVE_INFINITY;
    let sent = 0;
    try {
      for await (const chunk of source) {
        for (let offset = 0; offset < chunk.length; offset += Math.min(pieceSize, chunk.length)) {
          if (res.destroyed) return;
          let piece = chunk.subarray(offset, Math.min(chunk.length, offset + pieceSize));
          if (cutAfter !== undefined && sent + piece.length >= cutAfter) {
            piece = piece.subarray(0, cutAfter - sent);
            this.#counters.addBytes(this.record, piece.length);
            await new Promise<void>((resolve) => res.write(piece, () => resolve()));
            res.socket?.destroy();
            return;
          }
          sent += piece.length;
          this.#counters.addBytes(this.record, piece.length);
          if (!res.write(piece)) await drainOrClose(res);
          if (bytesPerSecond) await sleep((piece.length / bytesPerSecond) * 1000);
        }
      }
      res.end();
    } catch {
      res.destroy();
    }
  }
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Minimal XML rendering of a Plex container: scalars become attributes, arrays/objects child elements. */
export function toXml(name: string, value: Record<string, unknown>): string {
  const attrs: string[] = [];
  const children: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      for (const item of v) {
        if (item && typeof item === 'object') children.push(toXml(key, item as Record<string, unknown>));
      }
    } else if (typeof v === 'object') {
      children.push(toXml(key, v as Record<string, unknown>));
    } else {
      const text = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      attrs.push(` ${key}="${escapeXml(text)}"`);
    }
  }
  const open = `<${name}${attrs.join('')}`;
  return children.length === 0 ? `${open} />` : `${open}>\n${children.join('\n')}\n</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`);
}

export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Interprets a Range header for a representation of `size` bytes (RFC 9110 §14). A single byte range
 * is honoured; a malformed header, another unit or several ranges are ignored (a full 200 answer,
 * which the RFC allows); a range that starts at or after the end is unsatisfiable (416).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: 'full' };
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (last !== '' && end < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

/**
 * If-Range (RFC 9110 §13.1.5): the range applies only when the validator matches the current
 * representation: an entity tag by strong comparison (a weak tag never matches), or a date equal to
 * Last-Modified.
 */
export function ifRangeMatches(ifRange: string | undefined, etag: string, lastModified: string): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return value === etag;
  const date = Date.parse(value);
  return !Number.isNaN(date) && date === Date.parse(lastModified);
}
