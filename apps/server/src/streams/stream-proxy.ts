import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import type { Metrics } from '../infra/metrics.ts';
import { shortDigest } from '../lib/digest.ts';
import { HttpError } from '../lib/errors.ts';
import { contentTypeOf } from '../lib/mime.ts';
import {
  fallbackStream,
  type LocalHlsStream,
  type RemoteFileStream,
  type RemoteHlsStream,
  type StreamDescriptor,
} from '../media/media-source.ts';
import { PlaylistParseError, type RewrittenPlaylist, rewritePlaylist, type UriRole } from './hls-rewrite.ts';
import { bufferAnswer, insideDir, localFileAnswer, type RangedAnswer, sendFileSlice } from './local-media.ts';
import type { SharedFiles } from './shared-file.ts';
import type { SharedFlight } from './shared-flight.ts';
import type { StreamRefs } from './stream-ids.ts';
import { DESCRIPTOR_TTL_MS, type StreamKey, type StreamSessions } from './stream-sessions.ts';
import { discard, FORWARDED_HEADERS, pickHeaders, statusFailure, type UpstreamHttp } from './upstream-http.ts';

/** Name of the entry playlist of an HLS stream, under `/api/stream/<id>/`. */
export const MASTER_NAME = 'index.m3u8';
/** Prefix of the name of a file stream (`media.mp4`); the extension is cosmetic. */
export const FILE_NAME = 'media';

export const HLS_MIME = 'application/vnd.apple.mpegurl';
const VTT_MIME = contentTypeOf('vtt');

/** Name of sidecar subtitle `index` of a stream, under `/api/stream/<id>/`. */
export const subtitleName = (index: number) => `subtitles-${index}.vtt`;
const SUBTITLE_NAME = /^subtitles-(\d{1,3})\.vtt$/;
const MAX_SUBTITLE_BYTES = 4 * 1024 * 1024;

/** A media playlist still growing (a transcode in progress) is re-read at most this often. */
export const LIVE_PLAYLIST_TTL_MS = 1000;
/** Segments are immutable; they stay while a party's members are likely to ask for them. */
export const SEGMENT_TTL_MS = 3 * 60 * 1000;
/** Master playlists (fetched once per transcode) and finished media playlists do not change. */
export const COMPLETE_PLAYLIST_TTL_MS = DESCRIPTOR_TTL_MS;
const MAX_PLAYLIST_BYTES = 4 * 1024 * 1024;
const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

const ROLE_EXTENSIONS: Record<UriRole, string> = {
  playlist: 'm3u8',
  segment: 'ts',
  key: 'key',
  init: 'mp4',
  data: 'json',
};

function extensionFor(upstreamPath: string, role: UriRole): string {
  const match = /\.([a-z0-9]{1,6})$/i.exec(upstreamPath);
  return match?.[1]?.toLowerCase() ?? ROLE_EXTENSIONS[role];
}

type ProxyKind = 'file' | 'playlist' | 'segment';

export interface ProxyDeps {
  http: UpstreamHttp;
  refs: StreamRefs;
  flight: SharedFlight;
  files: SharedFiles;
  sessions: StreamSessions;
  metrics: Metrics;
}

/**
 * Serves `/api/stream/<id>/<name>` for a stream whose id has been checked. Names are
 * `index.m3u8` (the entry playlist of an HLS stream), `media.<ext>` (a file stream), or
 * `<sealed ref>.<ext>`: an entry of a rewritten playlist. Playlists are served with relative names,
 * so one rewritten text serves every member whatever their stream id, and stays under that id.
 */
export class StreamProxy {
  private readonly masters = new LRUCache<string, string>({ max: 1000 });

  constructor(private readonly deps: ProxyDeps) {}

  async serve(request: FastifyRequest, reply: FastifyReply, key: StreamKey, name: string): Promise<FastifyReply> {
    const descriptor = await this.deps.sessions.descriptor(key);
    const subtitle = SUBTITLE_NAME.exec(name);
    if (subtitle) return this.subtitles(request, reply, descriptor, Number(subtitle[1]));
    switch (descriptor.kind) {
      case 'file':
        this.expectFileName(name);
        return this.remoteFile(request, reply, descriptor);
      case 'local-file':
        this.expectFileName(name);
        return this.sendRanged(reply, await localFileAnswer(descriptor.path, request), descriptor.mimeType, 'file');
      case 'hls':
        return this.remoteHls(request, reply, key, descriptor, name);
      case 'local-hls':
        return this.localHls(request, reply, key, descriptor, name);
    }
  }

  private expectFileName(name: string) {
    if (!name.startsWith(`${FILE_NAME}.`)) throw unknownName();
  }

  // Direct play from Plex: served from the party's shared chunks where they can answer exactly
  // (shared-file.ts). Otherwise ranges and validators go up, the allowed headers and the bytes come
  // down, streamed with backpressure, and the upstream request dies with the client's connection.
  private async remoteFile(request: FastifyRequest, reply: FastifyReply, descriptor: RemoteFileStream) {
    if (await this.deps.files.serve(request, reply, descriptor)) return reply;
    const headers: Record<string, string> = { ...descriptor.headers };
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    // Gone before the upstream answered: abort the request. Once the body flows, Fastify destroys it
    // when the client's connection closes, and destroying an undici body aborts its request.
    const controller = new AbortController();
    const abort = () => controller.abort();
    reply.raw.once('close', abort);
    const method = request.method === 'HEAD' ? 'HEAD' : 'GET';
    const upstream = await this.deps.http.open(method, descriptor.url, headers, controller.signal);
    reply.raw.off('close', abort);
    // Errors after the client left (the abort itself) have nobody left to tell.
    upstream.body.on('error', () => {});
    if (![200, 206, 304, 416].includes(upstream.status)) {
      discard(upstream.body);
      throw statusFailure(upstream.status);
    }
    const passed = pickHeaders(upstream.headers);
    if (!passed['content-type'] && upstream.status < 300) passed['content-type'] = descriptor.mimeType;
    reply.code(upstream.status).headers(passed);
    if (method === 'HEAD' || upstream.status === 304 || upstream.status === 416) {
      discard(upstream.body);
      return reply.send();
    }
    return reply.send(this.counted(upstream.body, reply, 'file'));
  }

  private async remoteHls(
    request: FastifyRequest,
    reply: FastifyReply,
    key: StreamKey,
    descriptor: RemoteHlsStream,
    name: string,
  ) {
    const context = contextOf(key, descriptor.sessionKey);
    const origin = new URL(descriptor.url).origin;
    const mapper = (playlistUrl: string) => (uri: string, role: UriRole) => {
      const target = new URL(uri, playlistUrl);
      if (target.origin !== origin) throw new PlaylistParseError('a playlist entry points to another server');
      const ref = `${target.pathname}${target.search}`;
      return `${this.deps.refs.seal(context, ref)}.${extensionFor(target.pathname, role)}`;
    };
    // Plex forgot the session (it ends idle transcodes): drop it, so asking again starts afresh.
    const upstream = async <T>(load: () => Promise<T>): Promise<T> => {
      try {
        return await load();
      } catch (error) {
        if (error instanceof HttpError && error.code === 'stream_source_gone') {
          await this.deps.sessions.forget(key, descriptor);
          throw new HttpError(410, 'stream_restart', 'The transcode has ended; ask the room for the stream again.');
        }
        throw error;
      }
    };
    const fetchPlaylist = (url: string) =>
      upstream(async () => {
        const text = (await this.deps.http.fetchBytes(url, descriptor.headers, MAX_PLAYLIST_BYTES)).toString('utf8');
        return rewritePlaylist(text, mapper(url));
      });

    if (name === MASTER_NAME) {
      // Fetching the master starts the transcode, so it is fetched once per session, ever: kept
      // here as well as in the shared cache, where busy segments could push it out.
      const sessionKey = descriptor.sessionKey;
      let text = this.masters.get(sessionKey);
      if (text === undefined) {
        text = await this.playlist(`streampl:${sessionKey}:master`, () => startTranscode(descriptor, fetchPlaylist));
        this.masters.set(sessionKey, text);
      }
      return this.sendPlaylist(request, reply, text);
    }
    const { sealed, extension } = splitName(name);
    const ref = this.deps.refs.open(context, sealed);
    if (ref === undefined || !ref.startsWith('/')) throw unknownName();
    const url = `${origin}${ref}`;
    if (extension === 'm3u8') {
      const text = await this.playlist(`streampl:${descriptor.sessionKey}:${shortDigest(ref)}`, () =>
        fetchPlaylist(url),
      );
      return this.sendPlaylist(request, reply, text);
    }
    const cacheKey = `streamseg:${descriptor.sessionKey}:${shortDigest(ref)}`;
    const bytes = await this.segment(cacheKey, () =>
      upstream(() => this.deps.http.fetchBytes(url, descriptor.headers, MAX_SEGMENT_BYTES)),
    );
    return this.sendRanged(
      reply,
      bufferAnswer(bytes, `"${shortDigest(ref)}"`, request),
      contentTypeOf(extension),
      'segment',
    );
  }

  private async localHls(
    request: FastifyRequest,
    reply: FastifyReply,
    key: StreamKey,
    descriptor: LocalHlsStream,
    name: string,
  ) {
    const context = contextOf(key, 'local');
    const read = async (relative: string): Promise<RewrittenPlaylist> => {
      let text: string;
      try {
        text = await readFile(path.join(descriptor.dir, relative), 'utf8');
      } catch {
        throw new HttpError(404, 'stream_source_gone', 'This playlist is no longer available.');
      }
      return rewritePlaylist(text, (uri, role) => {
        const target = insideDir(relative, uri);
        if (target === undefined) throw new PlaylistParseError('a playlist entry points outside its directory');
        return `${this.deps.refs.seal(context, target)}.${extensionFor(target, role)}`;
      });
    };

    if (name === MASTER_NAME) {
      const start = insideDir('', descriptor.playlist);
      if (start === undefined) throw new PlaylistParseError('the playlist is outside its directory');
      return this.sendPlaylist(request, reply, (await read(start)).text);
    }
    const { sealed, extension } = splitName(name);
    const relative = this.deps.refs.open(context, sealed);
    if (relative === undefined || insideDir('', relative) !== relative) throw unknownName();
    if (extension === 'm3u8') return this.sendPlaylist(request, reply, (await read(relative)).text);
    const answer = await localFileAnswer(path.join(descriptor.dir, relative), request);
    return this.sendRanged(reply, answer, contentTypeOf(extension), 'segment');
  }

  /** A sidecar subtitle file as WebVTT: fetched (or read) and converted once, then cached. */
  private async subtitles(request: FastifyRequest, reply: FastifyReply, descriptor: StreamDescriptor, index: number) {
    const file = descriptor.subtitles?.[index];
    if (file === undefined) throw unknownName();
    const source = 'url' in file ? file.url : file.path;
    const text = await this.deps.flight.json(`streamsub:${shortDigest(source)}`, DESCRIPTOR_TTL_MS, async () => {
      let raw: Buffer;
      if ('url' in file) {
        raw = await this.deps.http.fetchBytes(file.url, file.headers, MAX_SUBTITLE_BYTES);
      } else {
        try {
          raw = await readFile(file.path);
        } catch {
          throw new HttpError(404, 'stream_source_gone', 'These subtitles are no longer available.');
        }
      }
      return toWebVtt(raw.toString('utf8'), file.format);
    });
    const body = Buffer.from(text, 'utf8');
    reply.code(200).header('content-type', VTT_MIME).header('cache-control', 'private, max-age=3600');
    if (request.method === 'HEAD') return reply.header('content-length', String(body.length)).send();
    return reply.send(body);
  }

  /** A rewritten playlist from the cache, or loaded once for everyone asking at the same time. */
  private async playlist(cacheKey: string, load: () => Promise<RewrittenPlaylist>): Promise<string> {
    const ttl = (playlist: RewrittenPlaylist) =>
      playlist.isMaster || playlist.complete ? COMPLETE_PLAYLIST_TTL_MS : LIVE_PLAYLIST_TTL_MS;
    return (await this.deps.flight.json(cacheKey, ttl, load)).text;
  }

  /** A segment's bytes: fetched from upstream once, then served to every member from the cache. */
  private segment(cacheKey: string, load: () => Promise<Buffer>): Promise<Buffer> {
    return this.deps.flight.bytes(cacheKey, SEGMENT_TTL_MS, load);
  }

  private sendPlaylist(request: FastifyRequest, reply: FastifyReply, text: string) {
    const body = Buffer.from(text, 'utf8');
    reply.code(200).header('content-type', HLS_MIME).header('cache-control', 'no-cache');
    if (request.method === 'HEAD') return reply.header('content-length', String(body.length)).send();
    this.deps.metrics.proxiedBytes.inc({ kind: 'playlist' }, body.length);
    return reply.send(body);
  }

  private async sendRanged(reply: FastifyReply, answer: RangedAnswer, contentType: string, kind: ProxyKind) {
    reply.code(answer.status).headers(answer.headers);
    if (answer.status === 200 || answer.status === 206) reply.header('content-type', contentType);
    const { body } = answer;
    if (body === undefined) return reply.send();
    if (Buffer.isBuffer(body)) {
      this.deps.metrics.proxiedBytes.inc({ kind }, body.length);
      return reply.send(body);
    }
    // Counted once the client has it all (a slice dropped half-way counts for nothing).
    const length = body.end - body.start + 1;
    reply.raw.once('finish', () => this.deps.metrics.proxiedBytes.inc({ kind }, length));
    return sendFileSlice(reply, body);
  }

  /** Counts what flows to the client without taking the stream out of paused mode before the pipe. */
  private counted(body: Readable, reply: FastifyReply, kind: ProxyKind): Readable {
    let bytes = 0;
    body.pause();
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    reply.raw.once('close', () => {
      if (bytes > 0) this.deps.metrics.proxiedBytes.inc({ kind }, bytes);
    });
    return body;
  }
}

/**
 * Subtitles for a browser: WebVTT as it is, SubRip turned into WebVTT (a header, and a dot before
 * the milliseconds of each timing line). A byte-order mark and CRLF line ends are dropped.
 */
export function toWebVtt(text: string, format: 'srt' | 'vtt'): string {
  const clean = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (format === 'vtt') return clean;
  const timings = clean.replace(
    /^(\d{1,2}:\d{2}:\d{2}),(\d{3})\s*-->\s*(\d{1,2}:\d{2}:\d{2}),(\d{3})/gm,
    '$1.$2 --> $3.$4',
  );
  return `WEBVTT\n\n${timings.trim()}\n`;
}

/** Authenticated context of sealed names: a name from one stream (or one transcode) opens in no other. */
function contextOf(key: StreamKey, session: string) {
  return `${key.roomId}\n${key.itemId}\n${key.quality}\n${session}`;
}

function splitName(name: string): { sealed: string; extension: string } {
  const match = /^([A-Za-z0-9_-]{20,4096})\.([a-z0-9]{1,6})$/.exec(name);
  if (!match?.[1] || !match[2]) throw unknownName();
  return { sealed: match[1], extension: match[2] };
}

const unknownName = () => new HttpError(404, 'stream_part_unknown', 'This stream has no such part.');

/**
 * Fetches the master playlist, which starts the transcode. When Plex fails to start it (a 5xx,
 * typically a hardware encoder giving up), it is asked to fall back, as its spec describes, and
 * the start is tried once more; a server that cannot fall back keeps the first failure.
 */
async function startTranscode(
  descriptor: RemoteHlsStream,
  fetchPlaylist: (url: string) => Promise<RewrittenPlaylist>,
): Promise<RewrittenPlaylist> {
  try {
    return await fetchPlaylist(descriptor.url);
  } catch (error) {
    if (!(error instanceof HttpError && error.code === 'upstream_failed')) throw error;
    if (!(await fallbackStream(descriptor).catch(() => false))) throw error;
    return fetchPlaylist(descriptor.url);
  }
}
