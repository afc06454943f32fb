import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorBody } from '@dpp/shared';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

export const ACTIVITY_DIST = fileURLToPath(new URL('../../../activity/dist', import.meta.url));

const IMMUTABLE = 'public, max-age=31536000, immutable';

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Discord Plex Player</title>
<p>The activity is not built yet. Run <code>pnpm start</code> (it builds it), or <code>pnpm dev</code> while developing.</p>`;

/** The built activity: static files, with the SPA fallback for every other GET that is not /api or /ws. */
export default fp<{ root?: string }>(
  async (app, options) => {
    const root = options.root ?? ACTIVITY_DIST;
    const built = existsSync(`${root}/index.html`);
    if (built) {
      await app.register(fastifyStatic, {
        root,
        wildcard: false,
        index: ['index.html'],
        cacheControl: false,
        // Vite names what it builds into assets/ by content hash, so those never change; anything
        // else (index.html above all) is revalidated, so a deploy reaches every client at once.
        setHeaders: (reply, filePath) => {
          const hashed = filePath.startsWith(path.join(root, 'assets') + path.sep);
          reply.header('cache-control', hashed ? IMMUTABLE : 'no-cache');
        },
      });
      // The admin dashboard: a page of its own in the same build (none of it in the activity's bundle).
      if (existsSync(`${root}/admin.html`)) {
        app.get('/admin', { schema: { hide: true } }, (_request, reply) => {
          reply.header('cache-control', 'no-cache');
          return reply.sendFile('admin.html', { cacheControl: false });
        });
      }
    } else {
      app.log.warn({ root }, 'activity not built; serving a placeholder page');
    }

    app.setNotFoundHandler((request, reply) => {
      const isApi = request.url.startsWith('/api/') || request.url === '/ws';
      if (request.method !== 'GET' || isApi) {
        return reply
          .code(404)
          .send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`));
      }
      reply.header('cache-control', 'no-cache');
      return built ? reply.sendFile('index.html', { cacheControl: false }) : reply.type('text/html').send(NOT_BUILT);
    });
  },
  { name: 'activity' },
);
