import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  errorResponses,
  itemIdSchema,
  itemListSchema,
  itemPageSchema,
  itemsQuerySchema,
  type LibraryItemDto,
  libraryItemDetailSchema,
  libraryQuerySchema,
  searchQuerySchema,
  sectionsResponseSchema,
} from '@dpp/shared';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpError } from '../lib/errors.ts';
import type { ArtSize, MediaItem, MediaSource } from '../media/media-source.ts';

const errors = errorResponses(400, 401, 404, 409, 502);
const security: Array<Record<string, string[]>> = [{ session: [] }, { bot: [] }];

/** Art bytes stay in the cache this long (ids themselves live one to two days). */
export const ART_TTL_MS = 60 * 60_000;
const MAX_ART_BYTES = 8 * 1024 * 1024;

export function itemDto(app: FastifyInstance, source: MediaSource, item: MediaItem): LibraryItemDto {
  const thumbSize: ArtSize = item.type === 'episode' ? 'thumb' : 'poster';
  return {
    ...item,
    thumb: app.library.artUrl(source, item.thumb, thumbSize),
    art: app.library.artUrl(source, item.art, 'backdrop'),
  };
}

async function readAll(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new HttpError(502, 'art_too_large', 'That image is too large to serve.');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Cached art is stored as `<content type>\n<bytes>`. */
const packArt = (contentType: string, bytes: Buffer) => Buffer.concat([Buffer.from(`${contentType}\n`), bytes]);
function unpackArt(packed: Buffer): { contentType: string; bytes: Buffer } {
  const newline = packed.indexOf(10);
  return { contentType: packed.subarray(0, newline).toString(), bytes: packed.subarray(newline + 1) };
}

/**
 * The library of the guild a request names. In Discord mode only its members may browse it
 * (checked with the bot token, cached); in dev mode there is nothing to check against.
 */
export async function librarySourceFor(app: FastifyInstance, guildId: string | undefined, discordId: string) {
  if (guildId !== undefined && app.discord) {
    let member: boolean;
    try {
      member = (await app.discord.powers.of(guildId, discordId)) !== null;
    } catch {
      throw new HttpError(503, 'discord_unavailable', 'Discord cannot confirm you are in that server; try again.');
    }
    if (!member) throw new HttpError(403, 'forbidden', 'That library belongs to a Discord server you are not in.');
  }
  return app.library.sourceFor(guildId);
}

/** The library API (DESIGN 4a) and the signed art proxy. */
const libraryRoutes: FastifyPluginAsyncZod = async (app) => {
  /**
   * The library of the guild the request names. In Discord mode only its members may browse it
   * (checked with the bot token, cached); in dev mode there is nothing to check against.
   */
  const sourceFor = (guildId: string | undefined, discordId: string) => librarySourceFor(app, guildId, discordId);

  app.get(
    '/api/library/sections',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['library'],
        summary: 'The libraries (sections) of the guild’s Plex server, or the demo library',
        security,
        querystring: libraryQuerySchema,
        response: { 200: sectionsResponseSchema, ...errors },
      },
    },
    async (request) => {
      const source = await sourceFor(request.query.guildId, request.session.discordId);
      return { source: { kind: source.kind, name: source.name }, sections: await source.sections() };
    },
  );

  app.get(
    '/api/library/sections/:id/items',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['library'],
        summary: 'One page of a section’s items; pass `nextCursor` back as `cursor` for the next',
        security,
        params: z.object({ id: z.string().regex(/^[\w-]{1,64}$/) }),
        querystring: itemsQuerySchema,
        response: { 200: itemPageSchema, ...errors },
      },
    },
    async (request) => {
      const source = await sourceFor(request.query.guildId, request.session.discordId);
      const page = await source.items(request.params.id, request.query.cursor, request.query.limit);
      return {
        items: page.items.map((item) => itemDto(app, source, item)),
        nextCursor: page.nextCursor ?? null,
        total: page.total,
      };
    },
  );

  app.get(
    '/api/library/search',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['library'],
        summary: 'Movies, shows and episodes matching a query',
        security,
        querystring: searchQuerySchema,
        response: { 200: itemListSchema, ...errors },
      },
    },
    async (request) => {
      const source = await sourceFor(request.query.guildId, request.session.discordId);
      const items = await source.search(request.query.q, request.query.limit);
      return { items: items.map((item) => itemDto(app, source, item)) };
    },
  );

  app.get(
    '/api/library/items/:id',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['library'],
        summary: 'An item’s details',
        security,
        params: z.object({ id: itemIdSchema }),
        querystring: libraryQuerySchema,
        response: { 200: libraryItemDetailSchema, ...errors },
      },
    },
    async (request) => {
      const source = await sourceFor(request.query.guildId, request.session.discordId);
      const item = await source.item(request.params.id);
      return { ...item, ...itemDto(app, source, item) };
    },
  );

  app.get(
    '/api/library/items/:id/children',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['library'],
        summary: 'Seasons of a show, episodes of a season',
        security,
        params: z.object({ id: itemIdSchema }),
        querystring: libraryQuerySchema,
        response: { 200: itemListSchema, ...errors },
      },
    },
    async (request) => {
      const source = await sourceFor(request.query.guildId, request.session.discordId);
      const items = await source.children(request.params.id);
      return { items: items.map((item) => itemDto(app, source, item)) };
    },
  );

  // Concurrent misses of one image share one upstream fetch (per process).
  const loading = new Map<string, Promise<Buffer>>();

  // A wildcard rather than `:artId`: ids are longer than the router's 100-character parameter limit.
  app.get(
    '/api/art/*',
    {
      // No session: <img> cannot send one. The signed, expiring id is the permission.
      config: { rateLimit: { max: 1200, timeWindow: '1 minute' } },
      schema: {
        tags: ['library'],
        summary: 'An image (poster, background) by the signed id a library response gave',
        params: z.object({ '*': z.string().min(20).max(2048) }),
      },
    },
    async (request, reply) => {
      const opened = app.library.artIds.open(request.params['*']);
      if (!opened.ok) {
        throw opened.reason === 'expired'
          ? new HttpError(410, 'expired', 'This image link has expired; reload the library.')
          : new HttpError(404, 'not_found', 'No such image.');
      }
      const { target, expiresAt } = opened;
      const source = await app.library.sourceByKey(target.source);
      if (!source) throw new HttpError(404, 'not_found', 'No such image.');

      const key = `art:${source.key}:${createHash('sha256').update(target.ref).digest('base64url')}:${target.size}`;
      let packed = await app.cache.getBytes(key).catch(() => undefined);
      app.metrics.cacheRequests.inc({ namespace: 'art', result: packed ? 'hit' : 'miss' });
      if (!packed) {
        let flight = loading.get(key);
        if (!flight) {
          flight = (async () => {
            const image = await source.art(target.ref, target.size);
            if (!image.contentType.startsWith('image/')) {
              image.body.destroy();
              throw new HttpError(502, 'plex_error', 'The library sent something that is not an image.');
            }
            const bytes = packArt(image.contentType, await readAll(image.body, MAX_ART_BYTES));
            await app.cache.setBytes(key, bytes, ART_TTL_MS).catch(() => {});
            return bytes;
          })().finally(() => loading.delete(key));
          loading.set(key, flight);
        }
        packed = await flight;
      }
      const { contentType, bytes } = unpackArt(packed);
      const maxAge = Math.max(0, Math.min(Math.floor((expiresAt - Date.now()) / 1000), 86_400));
      app.metrics.proxiedBytes.inc({ kind: 'art' }, bytes.length);
      return reply
        .header('content-type', contentType)
        .header('cache-control', `private, max-age=${maxAge}, immutable`)
        .header('x-content-type-options', 'nosniff')
        .send(bytes);
    },
  );
};

export default libraryRoutes;
