import fp from 'fastify-plugin';
import { type Database, openDatabase } from '../db/database.ts';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
  }
}

/** PostgreSQL (or embedded PGlite), migrated before the app accepts a request. */
export default fp(
  async (app) => {
    const database = await openDatabase(app.config.database);
    app.log.info({ database: database.kind }, 'database ready');
    app.decorate('database', database);
    app.addHook('onClose', async () => {
      await database.close();
    });
  },
  { name: 'database', dependencies: ['config'] },
);
