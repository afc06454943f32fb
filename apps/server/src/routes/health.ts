import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const check = z.object({ status: z.enum(['ok', 'down']), kind: z.string(), error: z.string().optional() });
const readiness = z.object({ status: z.enum(['ready', 'not_ready']), database: check, cache: check });

/** A probe answers within this, whatever the dependency does: /readyz itself never hangs. */
const PROBE_TIMEOUT_MS = 800;

async function probe(kind: string, run: () => Promise<void>): Promise<z.infer<typeof check>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { status: 'ok', kind };
  } catch (error) {
    return { status: 'down', kind, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

const health: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database and the cache answer',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
      const [database, cache] = await Promise.all([
        probe(app.database.kind, () => app.database.ping()),
        probe(app.cache.kind, () => app.cache.ping()),
      ]);
      const ready = database.status === 'ok' && cache.status === 'ok';
      reply.code(ready ? 200 : 503);
      return { status: ready ? ('ready' as const) : ('not_ready' as const), database, cache };
    },
  );
};

export default health;
