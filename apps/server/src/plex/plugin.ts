import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { deriveKey } from '../lib/sealing.ts';
import type { MediaSource } from '../media/media-source.ts';
import { PlexCredentials } from './credentials.ts';
import { PlexDeviceKey } from './device-key.ts';
import { defaultIdentity, type PlexClientIdentity } from './headers.ts';
import { PlexLinking } from './linking.ts';
import { PlexClient } from './plex-client.ts';
import { PlexSource } from './plex-source.ts';
import { PlexTvAuth } from './plex-tv-auth.ts';
import { PlexTvClient } from './plex-tv-client.ts';
import { RenewingSource } from './renewing-source.ts';
import { PlexServerStore, type StoredServer } from './server-store.ts';
import { asSource } from './source-errors.ts';
import { TokenCipher } from './token-crypto.ts';

export interface Plex {
  identity: PlexClientIdentity;
  tv: PlexTvClient;
  cipher: TokenCipher;
  servers: PlexServerStore;
  linking: PlexLinking;
  /** Linked accounts (Plex JWTs refreshed with the device key) and servers' tokens renewed from plex.tv. */
  credentials: PlexCredentials;
  deviceKey: PlexDeviceKey;
  /**
   * The client for a server: one per origin and token for the life of the app, so its circuit
   * breaker sees every request to that server.
   */
  client(baseUrl: string, token: string): PlexClient;
  /** A server as a library source (PLEX_URL/PLEX_TOKEN's); it throws only the errors of media/errors.ts. */
  source(key: string, name: string, baseUrl: string, token: string): MediaSource;
  /**
   * A stored server as a library source, undefined when it has no token. A token the server refuses
   * is asked of plex.tv again and the call made once more (`renewed` runs after such a renewal).
   */
  storedSource(key: string, server: StoredServer, renewed: () => Promise<void>): Promise<MediaSource | undefined>;
}

declare module 'fastify' {
  interface FastifyInstance {
    plex: Plex;
  }
}

const MAX_CLIENTS = 200;
const PROBE_TIMEOUT_MS = 3000;
/** How often stored Plex JWTs are checked for a refresh (they are refreshed a day before expiry). */
const JWT_SWEEP_MS = 60 * 60_000;

/** Stable per installation: Plex lists this app as one device across restarts. */
function clientIdentifier(secretKey: Buffer): string {
  const bytes = deriveKey(secretKey, 'plex-client-identifier', 16);
  return `dpp-${bytes.toString('hex')}`;
}

/** Plex capabilities: clients, plex.tv, token encryption, linked servers and the sign-in flow. */
export default fp(
  async (app) => {
    const identity = defaultIdentity(clientIdentifier(app.config.secretKey));
    const secrets = [app.config.secretKey, app.config.previousSecretKey].filter((key) => key !== undefined);
    const cipher = new TokenCipher(app.sealer, secrets);
    const tv = new PlexTvClient({ baseUrl: app.config.plexTvUrl, identity, metrics: app.metrics });
    const servers = new PlexServerStore(app.database.db, cipher);
    const auth = new PlexTvAuth({ baseUrl: app.config.plexTvUrl, identity, metrics: app.metrics });
    const deviceKey = new PlexDeviceKey(app.database.db, cipher, identity.clientIdentifier);
    const credentials = new PlexCredentials({
      db: app.database.db,
      cipher,
      deviceKey,
      auth,
      tv,
      servers,
    });
    const clients = new Map<string, PlexClient>();

    const client = (baseUrl: string, token: string) => {
      const key = `${baseUrl}\n${createHash('sha256').update(token).digest('hex')}`;
      let found = clients.get(key);
      if (!found) {
        if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value!);
        found = new PlexClient({ baseUrl, token, identity, metrics: app.metrics });
        clients.set(key, found);
      }
      return found;
    };

    const linking = new PlexLinking({
      cache: app.cache,
      tv,
      auth,
      deviceKey,
      credentials,
      cipher,
      sealer: app.sealer,
      servers,
      probeClient: (baseUrl, token) =>
        new PlexClient({ baseUrl, token, identity, metrics: app.metrics, http: { retries: 0 } }),
      probeTimeoutMs: PROBE_TIMEOUT_MS,
    });

    const source = (key: string, name: string, baseUrl: string, token: string) =>
      new PlexSource(key, name, client(baseUrl, token), app.cache);
    const storedSource = async (key: string, server: StoredServer, renewed: () => Promise<void>) => {
      const token = await asSource(() => servers.token(server.id));
      if (token === undefined) return undefined;
      return new RenewingSource(source(key, server.name, server.baseUrl, token), async () => {
        const fresh = source(key, server.name, server.baseUrl, await credentials.renewServerToken(server.id));
        await renewed();
        return fresh;
      });
    };

    app.decorate('plex', {
      identity,
      tv,
      cipher,
      servers,
      linking,
      credentials,
      deviceKey,
      client,
      source,
      storedSource,
    } satisfies Plex);

    // Legacy links are upgraded to Plex JWTs once the app is up, and JWTs are refreshed before
    // they expire; plex.tv being away only delays both (logged, tried again on the next sweep).
    const sweep = async () => {
      try {
        await credentials.upgradeLegacyLinks();
        await credentials.refreshExpiring();
      } catch (error) {
        app.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'Plex sign-in upkeep failed');
      }
    };
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      void sweep();
      timer = setInterval(() => void sweep(), JWT_SWEEP_MS);
      timer.unref();
    });
    app.addHook('onClose', async () => clearInterval(timer));
  },
  { name: 'plex', dependencies: ['config', 'sealing', 'metrics', 'database', 'infra'] },
);
