import fp from 'fastify-plugin';
import { Sealer } from '../lib/sealing.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The one sealing module (lib/sealing.ts) under SECRET_KEY, reading SECRET_KEY_PREVIOUS too. */
    sealer: Sealer;
  }
}

export default fp(
  async (app) => {
    app.decorate('sealer', new Sealer(app.config.secretKey, app.config.previousSecretKey));
  },
  { name: 'sealing', dependencies: ['config'] },
);
