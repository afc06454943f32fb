import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** The OpenAPI document, generated from the zod route schemas, served with a UI at /docs. */
export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Discord Plex Player',
          description: 'HTTP API of the watch-party server. The room protocol on /ws is described in docs/protocol.md.',
          version: '0.1.0',
        },
        components: {
          securitySchemes: {
            session: { type: 'http', scheme: 'bearer', description: 'Session token from /api/auth/*' },
            bot: { type: 'http', scheme: 'bearer', description: 'BOT_API_TOKEN, with X-Acting-User' },
            admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN: the operator, on the admin dashboard' },
          },
        },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'openapi' },
);
