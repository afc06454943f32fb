import { createHash } from 'node:crypto';
import { guildOfRoom } from '@dpp/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isDatabaseUnavailable } from '../db/database.ts';
import type { ArtRef, ArtSize, MediaSource } from '../media/media-source.ts';
import { ArtIds } from './art-ids.ts';
import { DemoSource } from './demo-source.ts';

export interface Library {
  /**
   * The library a guild plays from: its linked Plex server, else the server linked for every guild,
   * else PLEX_URL/PLEX_TOKEN, else the demo library. `undefined` (standalone rooms) skips the first.
   */
  sourceFor(guildId: string | undefined): Promise<MediaSource>;
  /** The same for a room id (`<guildId>:<channelId>`, or `dev:<name>` which has no guild). */
  sourceForRoom(roomId: string): Promise<MediaSource>;
  /** A source by `MediaSource.key` (art ids name their source this way); undefined when it is gone. */
  sourceByKey(key: string): Promise<MediaSource | undefined>;
  /** `/api/art/<signed id>` for an image of a source, or null without one. */
  artUrl(source: MediaSource, ref: ArtRef | null, size: ArtSize): string | null;
  readonly artIds: ArtIds;
}

declare module 'fastify' {
  interface FastifyInstance {
    library: Library;
  }
}

const STORED_PREFIX = 'srv-';

/** A Plex server stored for a guild (or every guild), as the plex capability hands it out. */
type StoredServer = Parameters<FastifyInstance['plex']['storedSource']>[1];

function createLibrary(app: FastifyInstance, options: { demoDir?: string }): Library {
  const artIds = new ArtIds(app.sealer);
  let demo: Promise<DemoSource> | undefined;
  const demoSource = () => {
    demo ??= DemoSource.load(options.demoDir).catch((error: Error) => {
      demo = undefined;
      throw new Error(`The demo library cannot be loaded: ${error.message}`, { cause: error });
    });
    return demo;
  };

  // PLEX_URL/PLEX_TOKEN: keyed by what they are, so a shared cache never serves one server's
  // entries for another after a reconfiguration.
  const env = app.config.plex;
  const envSource = env
    ? app.plex.source(
        `env-${createHash('sha256').update(`${env.url}\n${env.token}`).digest('base64url').slice(0, 16)}`,
        'Plex',
        env.url,
        env.token,
      )
    : undefined;

  // One source per stored row version: a relink (new token or address) makes a new one; a token
  // renewed from plex.tv (a new version of the row) keeps it.
  const stored = new Map<string, { version: number; source: MediaSource }>();
  const storedSource = async (row: StoredServer) => {
    const known = stored.get(row.id);
    if (known && known.version === row.updatedAt.getTime()) return known.source;
    const source = await app.plex.storedSource(STORED_PREFIX + row.id, row, async () => {
      const fresh = await app.plex.servers.get(row.id);
      if (fresh && source) stored.set(row.id, { version: fresh.updatedAt.getTime(), source });
    });
    if (source) stored.set(row.id, { version: row.updatedAt.getTime(), source });
    return source;
  };

  const library: Library = {
    artIds,
    async sourceFor(guildId) {
      let row: Awaited<ReturnType<typeof app.plex.servers.forGuild>>;
      try {
        row = await app.plex.servers.forGuild(guildId);
      } catch (error) {
        // The database is away and this guild's server was never read here: the env default Plex
        // serves (when configured) rather than nothing.
        if (!envSource || !isDatabaseUnavailable(error)) throw error;
        return envSource;
      }
      const source = row ? await storedSource(row) : undefined;
      return source ?? envSource ?? demoSource();
    },
    sourceForRoom(roomId) {
      return library.sourceFor(guildOfRoom(roomId));
    },
    async sourceByKey(key) {
      if (key === 'demo') return demoSource();
      if (envSource && key === envSource.key) return envSource;
      if (!key.startsWith(STORED_PREFIX)) return undefined;
      const id = key.slice(STORED_PREFIX.length);
      if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
      const row = await app.plex.servers.get(id);
      return row ? storedSource(row) : undefined;
    },
    artUrl(source, ref, size) {
      return ref ? `/api/art/${artIds.issue({ source: source.key, ref, size })}` : null;
    },
  };
  return library;
}

/** `app.library`: which MediaSource a guild or room uses, and signed art URLs for its images. */
export default fp<{ demoDir?: string }>(
  async (app, options) => {
    app.decorate('library', createLibrary(app, options));
  },
  { name: 'library', dependencies: ['config', 'sealing', 'database', 'infra', 'plex'] },
);
