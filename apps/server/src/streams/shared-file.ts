import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../infra/metrics.ts';
import { shortDigest } from '../lib/digest.ts';
import { HttpError } from '../lib/errors.ts';
import type { RemoteFileStream } from '../media/media-source.ts';
import { decideRange } from './byte-range.ts';
import type { SharedFlight } from './shared-flight.ts';
import type { UpstreamHttp } from './upstream-http.ts';

/** What the proxy knows of a direct-play file from one HEAD request. */
export interface FileFacts {
  /** The upstream serves byte ranges of a known length; otherwise every request is passed through. */
  ranged: boolean;
  size: number;
  etag: string | null;
  lastModified: string | null;
  contentType: string | null;
}

/** How long the facts of a file are trusted before the next HEAD (each chunk is checked against them too). */
export const FILE_FACTS_TTL_MS = 10 * 60 * 1000;
/** Chunks stay while a party's members are likely to ask for them (a few minutes apart at most). */
export const FILE_CHUNK_TTL_MS = 5 * 60 * 1000;

/** Cache key of a file's facts; its chunks are named after the same digest of its URL. */
const factsKey = (descriptor: RemoteFileStream) => `streamfile:${shortDigest(descriptor.url)}`;

export interface SharedFilesDeps {
  http: UpstreamHttp;
  flight: SharedFlight;
  metrics: Metrics;
  chunkBytes: number;
}

/**
 * Direct play from Plex, shared by the party: a file is fetched from Plex in fixed, aligned chunks,
 * each chunk once (single flight, then the shared cache: Redis when configured), and every member's
 * ranges are cut from those chunks. So ten members watching one film read it from Plex about once,
 * as they share one transcode for the other qualities.
 *
 * The answer keeps the upstream's semantics: its length, type, ETag and Last-Modified, ranges and
 * If-Range as it would judge them. What the chunks cannot answer exactly (HEAD, conditional GETs,
 * an unsatisfiable range, a file without ranges or length) goes to the upstream as it is.
 *
 * Backpressure: a chunk is fetched only when the client has taken the one before (plus one read
 * ahead). A client that goes away stops waiting; a chunk nobody waits for any more is aborted upstream.
 */
export class SharedFiles {
  constructor(private readonly deps: SharedFilesDeps) {}

  /**
   * Answers a GET from shared chunks (true), or leaves the reply alone (false) when the upstream
   * must answer the request itself. (Not the reply itself: a FastifyReply is a thenable.)
   */
  async serve(request: FastifyRequest, reply: FastifyReply, descriptor: RemoteFileStream): Promise<boolean> {
    const { headers } = request;
    if (
      request.method !== 'GET' ||
      headers['if-none-match'] !== undefined ||
      headers['if-modified-since'] !== undefined
    )
      return false;
    const ifRange = headers['if-range'];
    if (ifRange !== undefined && typeof ifRange !== 'string') return false;
    const facts = await this.facts(descriptor);
    if (!facts.ranged || facts.size === 0) return false;
    const decision = decideRange({ range: headers.range, 'if-range': ifRange }, facts.size, {
      etag: facts.etag ?? '',
      lastModified: facts.lastModified ? new Date(facts.lastModified) : undefined,
    });
    if (decision.status === 416) return false;

    const controller = new AbortController();
    reply.raw.once('close', () => controller.abort());
    const { chunkBytes } = this.deps;
    const firstIndex = Math.floor(decision.start / chunkBytes);
    // The first chunk before any header: a failing upstream still gets a proper error answer.
    const first = await this.chunk(descriptor, facts, firstIndex, controller.signal);

    const answer: Record<string, string> = {
      'content-type': facts.contentType ?? descriptor.mimeType,
      'accept-ranges': 'bytes',
      'content-length': String(decision.end - decision.start + 1),
    };
    if (facts.etag) answer.etag = facts.etag;
    if (facts.lastModified) answer['last-modified'] = facts.lastModified;
    if (decision.status === 206) answer['content-range'] = `bytes ${decision.start}-${decision.end}/${facts.size}`;
    const body = Readable.from(this.slices(descriptor, facts, decision.start, decision.end, first, controller), {
      objectMode: false,
      highWaterMark: chunkBytes,
    });
    reply.code(decision.status).headers(answer).send(body);
    return true;
  }

  /** The bytes [start, end] as slices of chunks, one chunk read ahead; stops (and aborts) when dropped. */
  private async *slices(
    descriptor: RemoteFileStream,
    facts: FileFacts,
    start: number,
    end: number,
    first: Buffer,
    controller: AbortController,
  ): AsyncGenerator<Buffer> {
    const { chunkBytes } = this.deps;
    const firstIndex = Math.floor(start / chunkBytes);
    const lastIndex = Math.floor(end / chunkBytes);
    let next: Promise<Buffer> = Promise.resolve(first);
    let sent = 0;
    try {
      for (let index = firstIndex; index <= lastIndex; index++) {
        const current = next;
        if (index < lastIndex) {
          next = this.chunk(descriptor, facts, index + 1, controller.signal);
          next.catch(() => {});
        }
        const bytes = await current;
        const offset = index * chunkBytes;
        const from = Math.max(start - offset, 0);
        const to = Math.min(end - offset + 1, bytes.length);
        sent += to - from;
        yield bytes.subarray(from, to);
      }
    } finally {
      controller.abort();
      if (sent > 0) this.deps.metrics.proxiedBytes.inc({ kind: 'file' }, sent);
    }
  }

  /** Size, validators and type of the file, from one HEAD shared by everyone (cached). */
  facts(descriptor: RemoteFileStream): Promise<FileFacts> {
    // Not ranged (or not answering HEAD): passed through, and asked again soon.
    const ttl = (facts: FileFacts) => (facts.ranged ? FILE_FACTS_TTL_MS : 30_000);
    return this.deps.flight.json(factsKey(descriptor), ttl, async () => {
      const response = await this.deps.http.open('HEAD', descriptor.url, descriptor.headers);
      response.body.on('error', () => {});
      response.body.dump().catch(() => {});
      if (response.status !== 200) return passThrough;
      const size = Number(response.headers['content-length']);
      const ranged = response.headers['accept-ranges']?.toLowerCase() === 'bytes' && Number.isSafeInteger(size);
      return {
        ranged,
        size: ranged ? size : 0,
        etag: response.headers.etag ?? null,
        lastModified: response.headers['last-modified'] ?? null,
        contentType: response.headers['content-type'] ?? null,
      };
    });
  }

  /** Chunk `index` of the file: from the cache, or fetched once for everyone who wants it. */
  private async chunk(descriptor: RemoteFileStream, facts: FileFacts, index: number, signal: AbortSignal) {
    const { chunkBytes, flight, http } = this.deps;
    const start = index * chunkBytes;
    const end = Math.min(start + chunkBytes, facts.size) - 1;
    const version = shortDigest(`${facts.etag}\n${facts.lastModified}\n${facts.size}`).slice(0, 12);
    const key = `streamchunk:${shortDigest(descriptor.url)}:${version}:${chunkBytes}:${index}`;
    try {
      return await flight.bytes(
        key,
        FILE_CHUNK_TTL_MS,
        async (loadSignal) => {
          const answer = await http.fetchRange(descriptor.url, descriptor.headers, start, end, loadSignal);
          const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(answer.headers['content-range'] ?? '');
          const same =
            answer.bytes.length === end - start + 1 &&
            (answer.status === 200
              ? answer.bytes.length === facts.size
              : range !== null && Number(range[1]) === start && Number(range[3]) === facts.size) &&
            (facts.etag === null || answer.headers.etag === undefined || answer.headers.etag === facts.etag);
          if (!same) {
            await flight.forget(factsKey(descriptor));
            throw new HttpError(502, 'upstream_changed', 'The media file changed on the server; play it again.');
          }
          return answer.bytes;
        },
        signal,
      );
    } catch (error) {
      if (signal.aborted) throw new HttpError(499, 'client_gone', 'The client went away.');
      throw error;
    }
  }
}

const passThrough: FileFacts = { ranged: false, size: 0, etag: null, lastModified: null, contentType: null };
