import {
  type ContinueWatchingDto,
  continueWatchingSchema,
  errorResponses,
  itemIdSchema,
  libraryQuerySchema,
  resumeResponseSchema,
} from '@dpp/shared';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ItemNotFoundError } from '../media/errors.ts';
import { guildScope } from '../rooms/play-progress.ts';
import { itemDto, librarySourceFor } from './routes.ts';

const errors = errorResponses(400, 401, 403, 502, 503);
const security: Array<Record<string, string[]>> = [{ session: [] }, { bot: [] }];
const CONTINUE_LIMIT = 20;

/** Resume: "Continue watching" for a guild and where it left one item (written by the rooms, see play-progress.ts). */
const progressRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/library/continue',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['library'],
        summary: 'Continue watching: items the guild left part-way, newest first',
        security,
        querystring: libraryQuerySchema,
        response: { 200: continueWatchingSchema, ...errors },
      },
    },
    async (request): Promise<ContinueWatchingDto> => {
      const source = await librarySourceFor(app, request.query.guildId, request.session.discordId);
      const saved = await app.progress.continueWatching(guildScope(request.query.guildId), CONTINUE_LIMIT);
      const items = await Promise.all(
        saved.map(async (row) => {
          try {
            const item = await source.item(row.itemId);
            return [
              {
                item: itemDto(app, source, item),
                progress: {
                  positionMs: row.positionMs,
                  durationMs: row.durationMs,
                  updatedAt: row.updatedAt.toISOString(),
                },
              },
            ];
          } catch (error) {
            // Gone from the library (or another library now serves the guild): left out.
            if (error instanceof ItemNotFoundError) return [];
            throw error;
          }
        }),
      );
      return { items: items.flat() };
    },
  );

  app.get(
    '/api/library/items/:id/resume',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['library'],
        summary: 'Where the guild left an item, to offer "Resume from"',
        security,
        params: z.object({ id: itemIdSchema }),
        querystring: libraryQuerySchema,
        response: { 200: resumeResponseSchema, ...errors },
      },
    },
    async (request) => {
      await librarySourceFor(app, request.query.guildId, request.session.discordId);
      const row = await app.progress.resumePoint(guildScope(request.query.guildId), request.params.id);
      return {
        resume: row
          ? { positionMs: row.positionMs, durationMs: row.durationMs, updatedAt: row.updatedAt.toISOString() }
          : null,
      };
    },
  );
};

export default progressRoutes;
