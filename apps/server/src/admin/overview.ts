import { expectedPosition, guildOfRoom, type RoomSnapshot } from '@dpp/shared';
import type {
  AdminHistoryPoint,
  AdminOverview,
  AdminRates,
  AdminRoom,
  AdminScope,
  AdminTranscode,
} from '@dpp/shared/admin';
import { addCounts, type Counts, type InstanceMinute, type InstanceSnapshot, ratesOf } from './instance-stats.ts';

/** Who is looking, and so which rooms they may see. */
export type AdminViewer = AdminScope;

export function maySee(viewer: AdminViewer, roomId: string): boolean {
  if (viewer.kind !== 'guilds') return true;
  const guildId = guildOfRoom(roomId);
  return guildId !== undefined && viewer.guildIds.includes(guildId);
}

const NO_COUNTS: Counts = { bytes: 0, cacheHits: 0, cacheMisses: 0, http: 0, http5xx: 0, ws: 0, wsErrors: 0 };

function roomRow(room: RoomSnapshot, instances: InstanceSnapshot[], now: number): AdminRoom {
  const { playback } = room;
  const entry = playback.itemId === null ? undefined : room.queue.find((e) => e.itemId === playback.itemId);
  // The newest report of each member's drift, from whichever instance holds its socket.
  const drift = new Map<string, { driftMs: number; at: number }>();
  const qualities = new Set<string>();
  for (const instance of instances) {
    for (const d of instance.drift) {
      if (d.roomId !== room.roomId) continue;
      const known = drift.get(d.userId);
      if (!known || known.at < instance.seenAt) drift.set(d.userId, { driftMs: d.driftMs, at: instance.seenAt });
    }
    for (const s of instance.streams) {
      if (s.roomId === room.roomId && s.itemId === playback.itemId) qualities.add(s.quality);
    }
  }
  return {
    roomId: room.roomId,
    guildId: guildOfRoom(room.roomId) ?? null,
    status: playback.status,
    item: playback.itemId === null ? null : { itemId: playback.itemId, title: entry?.title ?? playback.itemId },
    positionMs: Math.round(expectedPosition(playback, now, entry?.durationMs ?? undefined)),
    qualities: [...qualities].sort(),
    members: room.members.map((m) => ({
      userId: m.userId,
      name: m.name,
      role: m.role,
      state: m.state,
      driftMs: drift.get(m.userId)?.driftMs ?? null,
    })),
  };
}

/** Live rates of all instances: volumes add up, shares come from the summed counts. */
function totalsOf(instances: InstanceSnapshot[]): AdminRates {
  const counts = instances.reduce((all, i) => addCounts(all, i.window), NO_COUNTS);
  const shares = ratesOf(counts, 1);
  const add = (pick: (r: AdminRates) => number) => instances.reduce((total, i) => total + pick(i.rates), 0);
  return {
    ...shares,
    bytesPerSecond: add((r) => r.bytesPerSecond),
    httpPerSecond: add((r) => r.httpPerSecond),
    wsMessagesPerSecond: add((r) => r.wsMessagesPerSecond),
  };
}

/** The last hour, a point a minute: every instance's minute summed (room figures: the largest seen). */
export function historyOf(minutes: InstanceMinute[]): AdminHistoryPoint[] {
  const byMinute = new Map<number, InstanceMinute[]>();
  for (const minute of minutes) byMinute.set(minute.t, [...(byMinute.get(minute.t) ?? []), minute]);
  return [...byMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, group]) => {
      const counts = group.reduce<Counts>((all, m) => addCounts(all, m), NO_COUNTS);
      const shares = ratesOf(counts, 1);
      return {
        t,
        bytesPerSecond: group.reduce((total, m) => total + (m.seconds > 0 ? m.bytes / m.seconds : 0), 0),
        cacheHitRate: shares.cacheHitRate,
        httpErrorRate: shares.httpErrorRate,
        wsErrorRate: shares.wsErrorRate,
        rooms: Math.max(...group.map((m) => m.rooms)),
        members: Math.max(...group.map((m) => m.members)),
      };
    });
}

/** The overview for one viewer, from the stored rooms and the instances' snapshots and minutes. */
export function buildOverview(input: {
  viewer: AdminViewer;
  source: AdminOverview['source'];
  rooms: RoomSnapshot[];
  instances: InstanceSnapshot[];
  minutes: InstanceMinute[];
  now: number;
}): AdminOverview {
  const { viewer, instances, now } = input;
  const rooms = input.rooms
    .filter((room) => maySee(viewer, room.roomId))
    .map((room) => roomRow(room, instances, now))
    .sort((a, b) => a.roomId.localeCompare(b.roomId));
  const transcodes: AdminTranscode[] = instances.flatMap((instance) =>
    instance.streams
      .filter((s) => s.transcode && maySee(viewer, s.roomId))
      .map((s) => ({ roomId: s.roomId, itemId: s.itemId, quality: s.quality, instanceId: instance.id })),
  );
  return {
    generatedAt: now,
    scope: viewer,
    source: input.source,
    rooms,
    transcodes,
    totals: totalsOf(instances),
    instances:
      viewer.kind === 'guilds'
        ? null
        : instances
            .map((i) => ({
              id: i.id,
              version: i.version,
              startedAt: i.startedAt,
              uptimeSeconds: Math.max(0, Math.round((now - i.startedAt) / 1000)),
              seenAt: i.seenAt,
              sockets: i.sockets,
              rooms: i.rooms,
              transcodes: i.streams.filter((s) => s.transcode).length,
              rates: i.rates,
            }))
            .sort((a, b) => a.startedAt - b.startedAt),
    history: historyOf(input.minutes),
  };
}
