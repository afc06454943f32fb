import { readFileSync } from 'node:fs';
import type { RoomSnapshot } from '@dpp/shared';
import type { AdminOverview } from '@dpp/shared/admin';
import fp from 'fastify-plugin';
import { InstanceStats } from './instance-stats.ts';
import { type AdminViewer, buildOverview, maySee } from './overview.ts';
import { LocalStatsBoard, RedisStatsBoard, type StatsBoard } from './stats-board.ts';

/** How often each instance publishes its snapshot, and how long one lives without a successor. */
export const PUBLISH_INTERVAL_MS = 3000;
export const SNAPSHOT_TTL_MS = 15_000;

export interface AdminDashboard {
  readonly board: StatsBoard;
  /** Samples this instance and publishes the result (on a timer; tests call it to skip the wait). */
  publish(): Promise<void>;
  overview(viewer: AdminViewer): Promise<AdminOverview>;
}

declare module 'fastify' {
  interface FastifyInstance {
    admin: AdminDashboard;
  }
}

function serverVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The admin dashboard's data: every instance publishes a small stats snapshot and a minute of
 * history to a StatsBoard (Redis when configured, so any instance's overview covers them all),
 * made from what the metrics registry, the room engine and the stream sessions already know.
 */
export default fp(
  async (app) => {
    const board: StatsBoard = app.redis ? new RedisStatsBoard(app.redis) : new LocalStatsBoard();
    const stats = new InstanceStats({
      id: app.rooms.instanceId,
      version: serverVersion(),
      startedAt: Date.now(),
      metrics: app.metrics,
    });

    const storedRooms = async (ids: string[]): Promise<RoomSnapshot[]> => {
      const rooms = await Promise.all(ids.map((id) => app.rooms.snapshot(id)));
      return rooms.filter((room): room is RoomSnapshot => room !== undefined);
    };

    const sampleAndPublish = async () => {
      const rooms = await storedRooms(await app.rooms.roomIds());
      const { snapshot, minute } = await stats.sample({
        rooms: (await app.metrics.rooms.get()).values[0]?.value ?? 0,
        drift: app.rooms.localDrift(),
        streams: app.streams.sessions.held().map(({ key, transcode }) => ({ ...key, transcode })),
        stored: { rooms: rooms.length, members: rooms.reduce((n, room) => n + room.members.length, 0) },
      });
      await board.publish(snapshot, minute, SNAPSHOT_TTL_MS);
    };
    // One at a time, in order: a later snapshot never lands before an earlier one.
    let queue: Promise<void> = Promise.resolve();
    const publish = () => {
      queue = queue.then(sampleAndPublish, sampleAndPublish);
      return queue;
    };

    const dashboard: AdminDashboard = {
      board,
      publish,
      async overview(viewer) {
        const now = Date.now();
        const ids = (await app.rooms.roomIds()).filter((id) => maySee(viewer, id));
        const [rooms, { instances, minutes }] = await Promise.all([storedRooms(ids), board.read(now)]);
        return buildOverview({ viewer, source: board.kind, rooms, instances, minutes, now });
      },
    };
    app.decorate('admin', dashboard);

    let publishing: Promise<void> | undefined;
    const tick = () => {
      if (publishing) return;
      publishing = publish()
        .catch((error: unknown) =>
          app.log.warn(
            { err: error instanceof Error ? error.message : String(error) },
            'could not publish admin stats',
          ),
        )
        .finally(() => {
          publishing = undefined;
        });
    };
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      tick();
      timer = setInterval(tick, PUBLISH_INTERVAL_MS);
      timer.unref();
    });
    app.addHook('preClose', async () => {
      clearInterval(timer);
      await queue.catch(() => {});
    });
  },
  { name: 'admin', dependencies: ['config', 'metrics', 'infra', 'rooms', 'streams'] },
);
