import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpError } from '../lib/errors.ts';
import { extensionOf } from '../lib/mime.ts';
import type { Quality, StreamDescriptor } from '../media/media-source.ts';
import { CurrentItems, type StreamRooms, ViewerMemberships } from './ports.ts';
import { SharedFiles } from './shared-file.ts';
import { processLock, redisLock, SharedFlight } from './shared-flight.ts';
import { STREAM_ID_TTL_MS, type StreamClaims, StreamIds, StreamRefs } from './stream-ids.ts';
import { FILE_NAME, MASTER_NAME, StreamProxy, subtitleName } from './stream-proxy.ts';
import { type StreamKey, type StreamLibrary, StreamSessions } from './stream-sessions.ts';
import { everyInterval, StreamTimelines } from './timelines.ts';
import { UpstreamHttp } from './upstream-http.ts';
import { libraryPort, roomsPort } from './wiring.ts';

/** What a member gets to play the room's current item: an opaque proxy URL, never an upstream one. */
export interface StreamOffer {
  kind: 'hls' | 'file';
  url: string;
  mimeType: string;
  quality: Quality;
  expiresAt: number;
  /** Sidecar subtitles as WebVTT through the proxy, under the same stream id. */
  subtitles: { label: string; language: string; url: string }[];
}

export interface Streams {
  readonly ids: StreamIds;
  readonly sessions: StreamSessions;
  readonly proxy: StreamProxy;
  /** What Plex is told about each room stream (`POST /:/timeline` every 10 s, `stopped` at the end). */
  readonly timelines: StreamTimelines;
  /** The room's current item as a stream at `quality` for `viewer`: resolves it (once per room) and seals an id. */
  offer(roomId: string, quality: Quality, viewer: string): Promise<StreamOffer>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  /**
   * Checks a stream id for a request: seal, expiry, that its viewer (and the caller, if signed in)
   * is still in its room, and that the room still plays its item.
   */
  admit(streamId: string, userId?: string): Promise<StreamClaims>;
}

declare module 'fastify' {
  interface FastifyInstance {
    streams: Streams;
  }
}

export function offerFor(id: string, descriptor: StreamDescriptor, claims: StreamClaims): StreamOffer {
  const hls = descriptor.kind === 'hls' || descriptor.kind === 'local-hls';
  const name = hls ? MASTER_NAME : `${FILE_NAME}.${extensionOf(descriptor.mimeType)}`;
  return {
    kind: hls ? 'hls' : 'file',
    url: `/api/stream/${id}/${name}`,
    mimeType: descriptor.mimeType,
    quality: claims.quality,
    expiresAt: claims.exp,
    subtitles: (descriptor.subtitles ?? []).map(({ label, language }, index) => ({
      label,
      language,
      url: `/api/stream/${id}/${subtitleName(index)}`,
    })),
  };
}

export function createStreams(
  app: FastifyInstance,
  rooms: StreamRooms,
  library: StreamLibrary,
): Streams & { close(): Promise<void> } {
  const ids = new StreamIds(app.sealer);
  const refs = new StreamRefs(app.sealer);
  const http = new UpstreamHttp();
  const flight = new SharedFlight(app.cache, app.redis ? redisLock(app.redis) : processLock, (namespace, result) =>
    app.metrics.cacheRequests.inc({ namespace, result }),
  );
  const timelines: StreamTimelines = new StreamTimelines({
    streams: () => sessions.owned(),
    playback: (roomId) => rooms.playback(roomId),
    report: (key, sessionKey, report) => library.timeline(key, sessionKey, report),
    log: app.log,
    every: everyInterval,
  });
  const sessions = new StreamSessions({
    cache: app.cache,
    flight,
    library,
    sealer: app.sealer,
    log: app.log,
    onEnded: (stream, continuing) => void timelines.stopped(stream, continuing),
  });
  const files = new SharedFiles({ http, flight, metrics: app.metrics, chunkBytes: app.config.streamChunkBytes });
  const proxy = new StreamProxy({ http, refs, flight, files, sessions, metrics: app.metrics });
  const current = new CurrentItems(rooms);
  const viewers = new ViewerMemberships(rooms);

  const stopOnItem = rooms.onItemChanged((roomId, itemId) => {
    current.remember(roomId, itemId);
    void sessions.roomMovedOn(roomId, itemId);
  });
  const stopOnEmpty = rooms.onEmptied((roomId) => {
    current.remember(roomId, undefined);
    viewers.forgetRoom(roomId);
    void sessions.roomEmptied(roomId);
  });

  return {
    ids,
    sessions,
    proxy,
    timelines,
    isMember: (roomId, userId) => rooms.isMember(roomId, userId),
    async offer(roomId, quality, viewer) {
      const itemId = await rooms.currentItem(roomId);
      current.remember(roomId, itemId);
      if (itemId === null || itemId === undefined) {
        throw new HttpError(409, 'nothing_playing', 'Nothing is playing in this room; load an item first.');
      }
      const key: StreamKey = { roomId, itemId, quality };
      const descriptor = await sessions.descriptor(key);
      const signed = ids.sign({ ...key, viewer }, STREAM_ID_TTL_MS);
      return offerFor(signed.id, descriptor, signed.claims);
    },
    async admit(streamId, userId) {
      const verified = ids.verify(streamId);
      if (!verified.ok) {
        if (verified.reason === 'expired') {
          throw new HttpError(
            410,
            'stream_expired',
            'This stream link has expired; ask the room for the stream again.',
          );
        }
        throw new HttpError(403, 'stream_invalid', 'This stream link is not valid.');
      }
      const { claims } = verified;
      if (!(await viewers.isMember(claims.roomId, claims.viewer))) {
        throw new HttpError(403, 'stream_viewer_left', 'This stream was given to a member who has left the room.');
      }
      if (userId !== undefined && userId !== claims.viewer && !(await rooms.isMember(claims.roomId, userId))) {
        throw new HttpError(403, 'stream_not_member', 'This stream belongs to a room you are not in.');
      }
      if ((await current.get(claims.roomId)) !== claims.itemId) {
        throw new HttpError(410, 'stream_ended', 'The room has moved on from this item; ask for the stream again.');
      }
      return claims;
    },
    async close() {
      stopOnItem();
      stopOnEmpty();
      await sessions.close();
      await timelines.close();
      await http.close();
    },
  };
}

/**
 * The stream proxy capability: signed stream ids, the shared per-room streams (one transcode per
 * room item and quality), and the proxy that serves them. Room events end streams; so does closing.
 */
export default fp(
  async (app) => {
    const streams = createStreams(app, roomsPort(app), libraryPort(app));
    app.decorate('streams', streams);
    app.addHook('onClose', async () => {
      await streams.close();
    });
  },
  { name: 'streams', dependencies: ['config', 'sealing', 'metrics', 'infra', 'auth', 'rooms', 'library'] },
);
