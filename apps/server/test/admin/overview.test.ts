import type { RoomSnapshot } from '@dpp/shared';
import { describe, expect, it } from 'vitest';
import {
  type InstanceMinute,
  type InstanceSnapshot,
  InstanceStats,
  MINUTE_MS,
} from '../../src/admin/instance-stats.ts';
import { buildOverview, historyOf } from '../../src/admin/overview.ts';
import { HISTORY_MS, LocalStatsBoard } from '../../src/admin/stats-board.ts';
import { createMetrics } from '../../src/infra/metrics.ts';

const GUILD_A = '100000000000000001';
const GUILD_B = '100000000000000002';

function room(roomId: string, members: string[], itemId: string | null = 'item-1'): RoomSnapshot {
  return {
    roomId,
    seq: 3,
    playback: { rev: 1, itemId, status: 'playing', positionMs: 1000, atServerMs: 0, rate: 1, waitUntil: null },
    queue: itemId ? [{ entryId: 'e1', itemId, title: 'Big Buck', durationMs: 600_000, thumb: null, addedBy: 'u' }] : [],
    members: members.map((userId) => ({ userId, name: userId, avatar: null, role: 'member', state: 'ready' })),
    settings: { control: 'everyone' },
  };
}

const counts = { bytes: 0, cacheHits: 0, cacheMisses: 0, http: 0, http5xx: 0, ws: 0, wsErrors: 0 };

function instance(id: string, seenAt: number, extra: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return {
    id,
    version: '0.1.0',
    startedAt: 0,
    seenAt,
    sockets: 0,
    rooms: 0,
    rates: {
      bytesPerSecond: 0,
      cacheHitRate: null,
      httpPerSecond: 0,
      httpErrorRate: null,
      wsMessagesPerSecond: 0,
      wsErrorRate: null,
    },
    window: counts,
    drift: [],
    streams: [],
    ...extra,
  };
}

describe('InstanceStats', () => {
  it("turns the metrics registry's counters into rates since the last sample, and adds them to the minute", async () => {
    const metrics = createMetrics();
    let now = 10 * MINUTE_MS;
    const stats = new InstanceStats({ id: 'i1', version: '1', startedAt: now, metrics, now: () => now });
    const live = { rooms: 1, drift: [], streams: [], stored: { rooms: 2, members: 5 } };

    metrics.proxiedBytes.inc({ kind: 'segment' }, 4000);
    metrics.proxiedBytes.inc({ kind: 'art' }, 999_999);
    metrics.cacheRequests.inc({ namespace: 'search', result: 'hit' }, 3);
    metrics.cacheRequests.inc({ namespace: 'search', result: 'miss' });
    metrics.httpRequests.inc({ method: 'GET', route: '/x', status: '2xx' }, 9);
    metrics.httpRequests.inc({ method: 'GET', route: '/x', status: '5xx' });
    metrics.messages.inc({ direction: 'in', type: 'ping' }, 8);
    metrics.messages.inc({ direction: 'in', type: 'invalid' });
    metrics.messages.inc({ direction: 'out', type: 'error' });
    now += 2000;
    const first = await stats.sample(live);
    expect(first.snapshot.rates).toEqual({
      bytesPerSecond: 2000,
      cacheHitRate: 0.75,
      httpPerSecond: 5,
      httpErrorRate: 0.1,
      wsMessagesPerSecond: 5,
      wsErrorRate: 0.2,
    });

    // Nothing happened since: zero rates, no shares; the minute keeps what it had.
    now += 2000;
    const second = await stats.sample(live);
    expect(second.snapshot.rates).toMatchObject({ bytesPerSecond: 0, cacheHitRate: null, httpErrorRate: null });
    expect(second.minute).toMatchObject({ t: 10 * MINUTE_MS, seconds: 4, bytes: 4000, http: 10, rooms: 2, members: 5 });

    // A new minute starts from nothing.
    now = 11 * MINUTE_MS + 500;
    metrics.proxiedBytes.inc({ kind: 'file' }, 100);
    const third = await stats.sample(live);
    expect(third.minute).toMatchObject({ t: 11 * MINUTE_MS, bytes: 100, http: 0 });
  });
});

describe('buildOverview', () => {
  const now = 100 * MINUTE_MS;

  it("takes each member's newest reported drift, the room's qualities and transcodes from every instance", () => {
    const roomId = `${GUILD_A}:200000000000000001`;
    const view = buildOverview({
      viewer: { kind: 'operator' },
      source: 'redis',
      rooms: [room(roomId, ['ann', 'bea'])],
      instances: [
        instance('old', now - 3000, {
          drift: [{ roomId, userId: 'ann', driftMs: 900 }],
          streams: [{ roomId, itemId: 'item-1', quality: '720p', transcode: true }],
        }),
        instance('new', now - 1000, {
          drift: [{ roomId, userId: 'ann', driftMs: 12 }],
          streams: [
            { roomId, itemId: 'item-1', quality: 'original', transcode: false },
            { roomId, itemId: 'item-0', quality: '480p', transcode: false },
          ],
        }),
      ],
      minutes: [],
      now,
    });
    expect(view.rooms[0]?.members.map((m) => [m.userId, m.driftMs])).toEqual([
      ['ann', 12],
      ['bea', null],
    ]);
    expect(view.rooms[0]?.qualities).toEqual(['720p', 'original']);
    expect(view.rooms[0]?.item).toEqual({ itemId: 'item-1', title: 'Big Buck' });
    expect(view.transcodes).toEqual([{ roomId, itemId: 'item-1', quality: '720p', instanceId: 'old' }]);
  });

  it("cuts a guild admin's view to their guilds: rooms and transcodes, and no instance list", () => {
    const mine = `${GUILD_A}:200000000000000001`;
    const theirs = `${GUILD_B}:200000000000000002`;
    const view = buildOverview({
      viewer: { kind: 'guilds', guildIds: [GUILD_A] },
      source: 'local',
      rooms: [room(mine, ['ann']), room(theirs, ['bea']), room('dev:lobby', ['cy'])],
      instances: [
        instance('i1', now, {
          streams: [
            { roomId: mine, itemId: 'item-1', quality: '720p', transcode: true },
            { roomId: theirs, itemId: 'item-1', quality: '720p', transcode: true },
          ],
        }),
      ],
      minutes: [],
      now,
    });
    expect(view.rooms.map((r) => r.roomId)).toEqual([mine]);
    expect(view.transcodes.map((t) => t.roomId)).toEqual([mine]);
    expect(view.instances).toBeNull();
  });

  it('sums volumes over instances and takes shares from the summed counts, not an average of shares', () => {
    const view = buildOverview({
      viewer: { kind: 'dev' },
      source: 'redis',
      rooms: [],
      instances: [
        instance('busy', now, {
          window: { ...counts, cacheHits: 90, cacheMisses: 10, http: 100, http5xx: 0 },
          rates: { ...instance('x', 0).rates, bytesPerSecond: 1000, httpPerSecond: 50 },
        }),
        instance('quiet', now, {
          window: { ...counts, cacheHits: 0, cacheMisses: 10, http: 10, http5xx: 10 },
          rates: { ...instance('x', 0).rates, bytesPerSecond: 10, httpPerSecond: 5 },
        }),
      ],
      minutes: [],
      now,
    });
    expect(view.totals).toEqual({
      bytesPerSecond: 1010,
      cacheHitRate: 90 / 110,
      httpPerSecond: 55,
      httpErrorRate: 10 / 110,
      wsMessagesPerSecond: 0,
      wsErrorRate: null,
    });
  });
});

describe('historyOf', () => {
  it("adds the instances' minutes up, but takes the room store's figures once (the largest)", () => {
    const minute = (t: number, extra: Partial<InstanceMinute>): InstanceMinute => ({
      t,
      seconds: 60,
      rooms: 0,
      members: 0,
      ...counts,
      ...extra,
    });
    const history = historyOf([
      minute(2 * MINUTE_MS, { bytes: 6000, rooms: 3, members: 7, http: 10, http5xx: 1 }),
      minute(1 * MINUTE_MS, { bytes: 600, rooms: 1, members: 2 }),
      minute(2 * MINUTE_MS, { bytes: 1200, seconds: 30, rooms: 3, members: 7, http: 10 }),
    ]);
    expect(history.map((p) => p.t)).toEqual([MINUTE_MS, 2 * MINUTE_MS]);
    expect(history[1]).toMatchObject({ bytesPerSecond: 100 + 40, rooms: 3, members: 7, httpErrorRate: 0.05 });
    expect(history[0]).toMatchObject({ bytesPerSecond: 10, cacheHitRate: null });
  });
});

describe('LocalStatsBoard', () => {
  it('forgets a snapshot after its TTL and history older than an hour', async () => {
    const board = new LocalStatsBoard();
    const start = 1000 * MINUTE_MS;
    const minute = (t: number): InstanceMinute => ({ t, seconds: 60, rooms: 1, members: 1, ...counts });
    await board.publish(instance('i1', start), minute(start), 15_000);
    expect((await board.read(start + 14_999)).instances).toHaveLength(1);
    expect((await board.read(start + 15_000)).instances).toHaveLength(0);

    for (let i = 1; i <= 61; i++)
      await board.publish(instance('i1', start + i * MINUTE_MS), minute(start + i * MINUTE_MS), 15_000);
    const { minutes } = await board.read(start + 61 * MINUTE_MS);
    expect(minutes).toHaveLength(60);
    expect(Math.min(...minutes.map((m) => m.t))).toBeGreaterThan(start + 61 * MINUTE_MS - HISTORY_MS);
  });
});
