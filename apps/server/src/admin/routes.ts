import { errorResponses } from '@dpp/shared';
import { adminOverviewSchema } from '@dpp/shared/admin';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminViewer } from './access.ts';

/** The admin dashboard's data (the page itself is `/admin`, served with the built activity). */
const adminRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/api/admin/overview',
    {
      schema: {
        tags: ['operations'],
        summary: 'Live rooms, transcodes, instances and the last hour, for the admin dashboard',
        description:
          'Aggregated over every instance on the shared Redis (this instance alone without REDIS_URL). ' +
          'The operator (ADMIN_TOKEN) sees everything; a Discord user with Manage Server sees the rooms and ' +
          'transcodes of the guilds they manage, without the instance list; in dev auth mode everyone sees everything.',
        security: [{ admin: [] }, { session: [] }],
        response: { 200: adminOverviewSchema, ...errorResponses(401, 403, 503) },
      },
    },
    async (request, reply) => {
      const viewer = await adminViewer(app, request, reply);
      reply.header('cache-control', 'no-store');
      return app.admin.overview(viewer);
    },
  );
};

export default adminRoutes;
