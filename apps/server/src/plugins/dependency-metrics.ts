import fp from 'fastify-plugin';

/** A ping that does not answer within this long counts as down (a scrape must not hang on it). */
const PROBE_TIMEOUT_MS = 2000;

async function answers(ping: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([ping().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `dpp_dependency_up{dependency, kind}`: the database and the cache pinged at every scrape, the same
 * checks /readyz makes, so an alert can name which one is degraded.
 */
export default fp(
  async (app) => {
    app.metrics.dependencies.probe = async () => {
      const [database, cache] = await Promise.all([
        answers(() => app.database.ping()),
        answers(() => app.cache.ping()),
      ]);
      return { [`database:${app.database.kind}`]: database, [`cache:${app.cache.kind}`]: cache };
    };
  },
  { name: 'dependency-metrics', dependencies: ['metrics', 'database', 'infra'] },
);
