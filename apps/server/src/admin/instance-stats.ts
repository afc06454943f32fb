import type { AdminRates } from '@dpp/shared/admin';
import type { Metrics } from '../infra/metrics.ts';

/** The counters the dashboard turns into rates, as totals read from the metrics registry. */
export interface Counts {
  /** Stream proxy bytes sent (files, playlists, segments; not artwork). */
  bytes: number;
  cacheHits: number;
  cacheMisses: number;
  http: number;
  http5xx: number;
  ws: number;
  /** Inbound frames that were invalid or rate limited, and error frames sent back. */
  wsErrors: number;
}

const ZERO: Counts = { bytes: 0, cacheHits: 0, cacheMisses: 0, http: 0, http5xx: 0, ws: 0, wsErrors: 0 };

/** One instance's minute of the last hour: counts over `seconds`, and the room figures last seen in it. */
export interface InstanceMinute extends Counts {
  /** Start of the minute (epoch ms). */
  t: number;
  seconds: number;
  /** Rooms and their members in the room store: the same figure on every instance (never summed). */
  rooms: number;
  members: number;
}

/** What one instance publishes every few seconds (DESIGN 8; docs/operations.md, Dashboard). */
export interface InstanceSnapshot {
  id: string;
  version: string;
  startedAt: number;
  seenAt: number;
  sockets: number;
  /** Rooms with members connected to this instance. */
  rooms: number;
  rates: AdminRates;
  /** The counts behind `rates` (since its previous snapshot), so shares can be summed across instances. */
  window: Counts;
  /** Its joined connections' latest reported drift. */
  drift: { roomId: string; userId: string; driftMs: number }[];
  /** The streams it serves; `transcode` for an upstream transcode session it started. */
  streams: { roomId: string; itemId: string; quality: string; transcode: boolean }[];
}

type Labels = Partial<Record<string, string | number>>;

/** A prom-client counter or gauge, as far as reading its values goes. */
interface Readable {
  get(): Promise<{ values: { labels: Labels; value: number }[] }>;
}

async function sum(metric: Readable, match: (labels: Labels) => boolean = () => true) {
  const { values } = await metric.get();
  return values.reduce((total, { labels, value }) => (match(labels) ? total + value : total), 0);
}

/** Totals from the app's own prom-client registry: the dashboard counts nothing a second time. */
export async function readCounts(metrics: Metrics): Promise<Counts> {
  const [bytes, cacheHits, cacheMisses, http, http5xx, ws, wsErrors] = await Promise.all([
    sum(metrics.proxiedBytes, (l) => l.kind !== 'art'),
    sum(metrics.cacheRequests, (l) => l.result === 'hit'),
    sum(metrics.cacheRequests, (l) => l.result === 'miss'),
    sum(metrics.httpRequests),
    sum(metrics.httpRequests, (l) => l.status === '5xx'),
    sum(metrics.messages),
    sum(
      metrics.messages,
      (l) =>
        (l.direction === 'in' && (l.type === 'invalid' || l.type === 'rate_limited')) ||
        (l.direction === 'out' && l.type === 'error'),
    ),
  ]);
  return { bytes, cacheHits, cacheMisses, http, http5xx, ws, wsErrors };
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** Rates from counts over a window. */
export function ratesOf(counts: Counts, seconds: number): AdminRates {
  const per = (n: number) => (seconds > 0 ? n / seconds : 0);
  return {
    bytesPerSecond: per(counts.bytes),
    cacheHitRate: share(counts.cacheHits, counts.cacheHits + counts.cacheMisses),
    httpPerSecond: per(counts.http),
    httpErrorRate: share(counts.http5xx, counts.http),
    wsMessagesPerSecond: per(counts.ws),
    wsErrorRate: share(counts.wsErrors, counts.ws),
  };
}

export function addCounts(a: Counts, b: Counts): Counts {
  return {
    bytes: a.bytes + b.bytes,
    cacheHits: a.cacheHits + b.cacheHits,
    cacheMisses: a.cacheMisses + b.cacheMisses,
    http: a.http + b.http,
    http5xx: a.http5xx + b.http5xx,
    ws: a.ws + b.ws,
    wsErrors: a.wsErrors + b.wsErrors,
  };
}

const difference = (now: Counts, before: Counts): Counts => ({
  bytes: now.bytes - before.bytes,
  cacheHits: now.cacheHits - before.cacheHits,
  cacheMisses: now.cacheMisses - before.cacheMisses,
  http: now.http - before.http,
  http5xx: now.http5xx - before.http5xx,
  ws: now.ws - before.ws,
  wsErrors: now.wsErrors - before.wsErrors,
});

export const MINUTE_MS = 60_000;

/** What the instance knows besides its counters, gathered at each sample. */
export interface LiveFacts {
  rooms: number;
  drift: InstanceSnapshot['drift'];
  streams: InstanceSnapshot['streams'];
  /** Rooms and members in the room store (for the history). */
  stored: { rooms: number; members: number };
}

/**
 * Samples one instance: the counters' growth since the previous sample becomes its live rates and
 * is added to the current minute of its history.
 */
export class InstanceStats {
  private previous: { counts: Counts; at: number };
  private minute: InstanceMinute | undefined;

  constructor(
    private readonly options: {
      id: string;
      version: string;
      startedAt: number;
      metrics: Metrics;
      now?: () => number;
    },
  ) {
    this.previous = { counts: ZERO, at: options.startedAt };
  }

  async sample(live: LiveFacts): Promise<{ snapshot: InstanceSnapshot; minute: InstanceMinute }> {
    const { metrics } = this.options;
    const now = (this.options.now ?? Date.now)();
    const [counts, sockets] = await Promise.all([readCounts(metrics), sum(metrics.sockets)]);
    const delta = difference(counts, this.previous.counts);
    const seconds = Math.max(0, (now - this.previous.at) / 1000);
    this.previous = { counts, at: now };

    const t = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const current: InstanceMinute =
      this.minute?.t === t ? this.minute : { t, seconds: 0, rooms: 0, members: 0, ...ZERO };
    this.minute = {
      ...addCounts(current, delta),
      t,
      seconds: current.seconds + seconds,
      rooms: Math.max(current.rooms, live.stored.rooms),
      members: Math.max(current.members, live.stored.members),
    };

    return {
      snapshot: {
        id: this.options.id,
        version: this.options.version,
        startedAt: this.options.startedAt,
        seenAt: now,
        sockets,
        rooms: live.rooms,
        rates: ratesOf(delta, seconds),
        window: delta,
        drift: live.drift,
        streams: live.streams,
      },
      minute: { ...this.minute },
    };
  }
}
