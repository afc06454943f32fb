import { every, guildOfRoom } from '@dpp/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { findUser } from '../auth/users.ts';
import type { Metrics } from '../infra/metrics.ts';
import type { Tracing } from '../plugins/tracing.ts';
import { grantsHostPowers, guildRoomDefaults } from './guild-powers.ts';
import { libraryLookup, nextEpisodeLookup } from './library-lookup.ts';
import { PlayProgressRecorder, progressScope } from './play-progress.ts';
import { cacheLeases, type PrivilegeCheck, type RoomObserver, systemClock } from './ports.ts';
import { DatabaseProgressStore } from './progress-store.ts';
import { DatabaseRoomArchive } from './room-archive.ts';
import { DatabaseRoomAudit } from './room-audit.ts';
import { RoomEngine } from './room-engine.ts';
import { DatabaseWatchLog } from './watch-log.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The room engine: `snapshot(roomId)`, `isMember(roomId, userId)`, `command(roomId, actor, intent)`
     * (what the bot API calls), and `events` ('item', 'empty').
     */
    rooms: RoomEngine;
    /** Where the guild's rooms and each user left each item (resume, "Continue watching"). */
    progress: DatabaseProgressStore;
  }
}

/** How long the durable copy of a room nobody holds is kept (DESIGN 7). */
export const ROOM_COPY_RETENTION_MS = 24 * 60 * 60_000;

export function metricsObserver(metrics: Metrics, tracing?: Tracing): RoomObserver {
  return {
    command: (event) => tracing?.roomCommand(event),
    socketMessage: (direction, type, count = 1) => {
      metrics.messages.inc({ direction, type }, count);
      if (type === 'rate_limited') metrics.rateLimited.inc({ scope: 'ws' }, count);
    },
    drift: (driftMs) => metrics.syncDrift.observe(Math.abs(driftMs) / 1000),
    broadcast: (latencyMs) => metrics.broadcastLatency.observe(latencyMs / 1000),
    localRooms: (count) => metrics.rooms.set(count),
  };
}

/**
 * Rooms as a capability: the transport-free engine on the app's RoomStore and EventBus, with
 * sessions for `hello`, watch history in PostgreSQL and metrics. The WebSocket host is ws-route.ts.
 */
export default fp(
  async (app) => {
    const watchLog = new DatabaseWatchLog(app.database.db, app.log);
    const archive = new DatabaseRoomArchive(app.database.db, app.log);
    const progress = new DatabaseProgressStore(app.database.db, app.log);
    const recorder = new PlayProgressRecorder(progress, systemClock);
    const audit = new DatabaseRoomAudit(app.database.db, app.log);
    const engine = new RoomEngine({
      store: app.roomStore,
      bus: app.eventBus,
      authenticate: (token) => {
        const verified = app.sessions.verify(token);
        if (!verified.ok) return undefined;
        const { userId, name, avatar } = verified.claims;
        return { userId, name, avatar };
      },
      // Discord mode: the activity instance named in hello must hold the user, in the room's channel,
      // and the guild grants host powers (Manage Server, the DJ role) to its activity users too.
      ...(app.discord ? { authorizeJoin: app.discord.authorizeJoin, privileges: guildPrivileges(app) } : {}),
      // Whoever opens a guild's room (the activity or the bot), it starts with the guild's control mode.
      roomDefaults: guildRoomDefaults(app.database.db),
      // Several instances on one Redis: a crashed instance's connections are swept out of its rooms.
      ...(app.redis ? { leases: cacheLeases(app.cache) } : {}),
      // Queue entries come from the room's library (tests swap it with `setItemLookup`).
      lookup: libraryLookup(app.library),
      nextEpisode: nextEpisodeLookup(app.library),
      progress: recorder,
      // /play goes on from where the guild left an item (read when the room starts it).
      resumePoint: (roomId, itemId) => progress.resumePoint(progressScope(roomId), itemId),
      watchLog,
      audit,
      archive,
      observer: metricsObserver(app.metrics, app.tracing),
      log: app.log,
    });
    await engine.start();
    app.decorate('rooms', engine);
    app.decorate('progress', progress);
    // Copies of rooms nobody came back to for a day go; the others are vouched for while they live.
    const prune = () =>
      void archive
        .prune(ROOM_COPY_RETENTION_MS)
        .catch((error: unknown) => app.log.warn({ err: error }, 'could not prune old room copies'));
    prune();
    const stopPruning = every(systemClock, 60 * 60_000, prune);
    const stopVacuuming =
      app.database.kind === 'pglite'
        ? every(
            systemClock,
            60_000,
            () =>
              void archive.vacuum().catch((error: unknown) => app.log.warn({ err: error }, 'could not vacuum rooms')),
          )
        : undefined;
    app.addHook('onClose', async () => {
      stopPruning();
      stopVacuuming?.();
      await engine.close();
      recorder.close();
      await watchLog.close();
      await progress.close();
      await audit.flush();
    });
  },
  { name: 'rooms', dependencies: ['config', 'metrics', 'tracing', 'database', 'infra', 'auth', 'discord', 'library'] },
);

/**
 * Host powers the guild grants an activity user (`grantsHostPowers`), their roles and permissions
 * read with the bot token. Fails closed: when Discord cannot say, the user is an ordinary member.
 */
function guildPrivileges(app: FastifyInstance): PrivilegeCheck {
  return async (roomId, userId) => {
    const guildId = guildOfRoom(roomId);
    if (!guildId || !app.discord) return false;
    try {
      const discordId = (await findUser(app.database.db, userId))?.discordId;
      if (!discordId) return false;
      const powers = await app.discord.powers.of(guildId, discordId);
      return powers ? await grantsHostPowers(app.database.db, guildId, powers) : false;
    } catch (error) {
      app.log.warn(
        { roomId, err: error instanceof Error ? error.message : String(error) },
        'could not read guild powers',
      );
      return false;
    }
  };
}
