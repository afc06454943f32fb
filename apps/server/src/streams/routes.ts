import { errorResponses } from '@dpp/shared';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HttpError } from '../lib/errors.ts';
import { QUALITIES } from '../media/media-source.ts';

export const streamOfferSchema = z.object({
  kind: z.enum(['hls', 'file']),
  url: z.string().describe('Opaque proxy URL: /api/stream/<signed id>/<name>; fetch it on this origin'),
  mimeType: z.string(),
  quality: z.enum(QUALITIES),
  expiresAt: z.number().int().describe('Epoch ms after which the URL stops working; ask again before'),
  subtitles: z
    .array(
      z.object({
        label: z.string(),
        language: z.string().describe('BCP 47 tag where known (en), else the source language code or und'),
        url: z.string().describe('WebVTT through the proxy, under the same stream id'),
      }),
    )
    .describe('Sidecar subtitles a viewer may turn on (only for themselves)'),
});

/**
 * `GET /api/rooms/:roomId/stream` hands a member the room's current item as an opaque stream URL;
 * `GET|HEAD /api/stream/:streamId/*` serves it. A media element cannot send headers, so the signed
 * id is the credential; a caller that does present a session must also be in the stream's room.
 */
const streamRoutes: FastifyPluginAsyncZod = async (app) => {
  // `reply.sendFile` for the demo library's files (local-media.ts); it serves nothing by itself.
  await app.register(fastifyStatic, { serve: false });

  app.get(
    '/api/rooms/:roomId/stream',
    {
      preHandler: app.requireSession,
      schema: {
        tags: ['streams'],
        summary: "The room's current item as a stream for this member (HLS or a direct-play file)",
        security: [{ session: [] }, { bot: [] }],
        params: z.object({ roomId: z.string().min(1).max(200) }),
        querystring: z.object({ quality: z.enum(QUALITIES).default('original') }),
        response: {
          200: streamOfferSchema,
          ...errorResponses(401, 403, 404, 409, 502, 503),
        },
      },
    },
    async (request, reply) => {
      const { roomId } = request.params;
      if (!(await app.streams.isMember(roomId, request.session.userId))) {
        throw new HttpError(403, 'not_a_member', 'Join the room before asking for its stream.');
      }
      reply.header('cache-control', 'no-store');
      return app.streams.offer(roomId, request.query.quality, request.session.userId);
    },
  );

  // One wildcard rather than `:streamId/*`: ids are longer than the router's parameter limit.
  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/stream/*',
    exposeHeadRoute: false,
    schema: {
      tags: ['streams'],
      summary: 'The stream proxy (`/api/stream/<streamId>/<name>`): playlists, segments and files, with byte ranges',
      params: z.object({ '*': z.string().max(8192) }),
    },
    handler: async (request, reply) => {
      const path = request.params['*'];
      const slash = path.indexOf('/');
      if (slash <= 0) throw new HttpError(404, 'stream_part_unknown', 'This stream has no such part.');
      const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
      const session = token === undefined ? undefined : app.sessions.verify(token);
      const userId = session?.ok ? session.claims.userId : undefined;
      const claims = await app.streams.admit(path.slice(0, slash), userId);
      return app.streams.proxy.serve(request, reply, claims, path.slice(slash + 1));
    },
  });
};

export default streamRoutes;
