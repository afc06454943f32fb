/** Every route the fake answers, named for counters and faults. */
export const PMS_ROUTES = [
  'identity',
  'sections',
  'sectionItems',
  'search',
  'metadata',
  'children',
  'metadataImage',
  'photoTranscode',
  'part',
  'subtitleStream',
  'decision',
  'transcodeStart',
  'transcodePlaylist',
  'transcodeSegment',
  'transcodeSubtitlePlaylist',
  'transcodeSubtitleSegment',
  'transcodeStop',
  'transcodePing',
  'transcodeSessions',
  'transcodeSessionDelete',
  'statusSessions',
  'timeline',
  'transcodeFallback',
] as const;
export const PLEX_TV_ROUTES = [
  'pinCreate',
  'pinGet',
  'user',
  'resources',
  'authPage',
  'authApprove',
  'authJwk',
  'authNonce',
  'authToken',
  'authKeys',
] as const;
export type PmsRoute = (typeof PMS_ROUTES)[number];
export type PlexTvRoute = (typeof PLEX_TV_ROUTES)[number];
/** `notFound` counts requests that matched no route. */
export type FakePlexRoute = PmsRoute | PlexTvRoute | 'notFound';

/** Which listener a request came in on (see `FakePlex.connections`). */
export type FakeConnectionName = 'local' | 'localHttps' | 'remote' | 'relay' | 'plexTv';

export interface RequestRecord {
  seq: number;
  connection: FakeConnectionName;
  route: FakePlexRoute;
  method: string;
  /** Path and query as received (tokens included: this is the upstream side). */
  url: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  status?: number;
  /** Body bytes written to the socket. */
  bytes: number;
  /** The client went away (or the fake reset the connection) before the response finished. */
  aborted: boolean;
  finished: boolean;
}

export interface CountersSnapshot {
  total: number;
  calls: Partial<Record<FakePlexRoute, number>>;
  bytes: Partial<Record<FakePlexRoute, number>>;
  bytesServed: number;
  aborted: Partial<Record<FakePlexRoute, number>>;
  transcodes: { started: number; restarted: number; stopped: number; killed: number; active: number };
  segmentFetches: Record<string, number>;
}

/**
 * Counts every upstream call the fake receives: per route, bytes served, aborted responses, transcode
 * sessions and per-segment fetches (keyed `<session>/<index>`). `reset()` zeroes the counts (active
 * transcode sessions stay: they are state, not counts).
 */
export class FakePlexCounters {
  readonly #calls = new Map<FakePlexRoute, number>();
  readonly #bytes = new Map<FakePlexRoute, number>();
  readonly #aborted = new Map<FakePlexRoute, number>();
  readonly #segments = new Map<string, number>();
  readonly #log: RequestRecord[] = [];
  readonly #logLimit: number;
  readonly #activeTranscodes: () => number;
  #seq = 0;
  #started = 0;
  #restarted = 0;
  #stopped = 0;
  #killed = 0;

  constructor(activeTranscodes: () => number, logLimit = 1000) {
    this.#activeTranscodes = activeTranscodes;
    this.#logLimit = logLimit;
  }

  /** Calls to one route, or all calls. */
  calls(route?: FakePlexRoute): number {
    if (route) return this.#calls.get(route) ?? 0;
    let total = 0;
    for (const n of this.#calls.values()) total += n;
    return total;
  }

  /** Response body bytes written for one route, or for all. */
  bytes(route?: FakePlexRoute): number {
    if (route) return this.#bytes.get(route) ?? 0;
    let total = 0;
    for (const n of this.#bytes.values()) total += n;
    return total;
  }

  /** Responses that did not finish (client went away, or a reset fault). */
  aborted(route?: FakePlexRoute): number {
    if (route) return this.#aborted.get(route) ?? 0;
    let total = 0;
    for (const n of this.#aborted.values()) total += n;
    return total;
  }

  get transcodesStarted(): number {
    return this.#started;
  }
  /** start.m3u8 calls for a session key that was already active. */
  get transcodesRestarted(): number {
    return this.#restarted;
  }
  /** Sessions stopped by a client (DELETE /transcode/sessions/{key} or universal/stop). */
  get transcodesStopped(): number {
    return this.#stopped;
  }
  /** Sessions ended by the fake itself (`FakePlex.transcodes.kill`). */
  get transcodesKilled(): number {
    return this.#killed;
  }
  get activeTranscodes(): number {
    return this.#activeTranscodes();
  }

  /** Fetch counts per segment, `<session>/<index>` → n; only one session's when `session` is given. */
  segmentFetches(session?: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, n] of this.#segments) {
      if (!session || key.startsWith(`${session}/`)) out[key] = n;
    }
    return out;
  }

  /** The most fetches any single segment got (1 means every segment was fetched at most once). */
  maxSegmentFetches(session?: string): number {
    return Math.max(0, ...Object.values(this.segmentFetches(session)));
  }

  /** The last requests (oldest first), optionally only one route's. */
  requests(route?: FakePlexRoute): RequestRecord[] {
    return route ? this.#log.filter((r) => r.route === route) : [...this.#log];
  }

  snapshot(): CountersSnapshot {
    return {
      total: this.calls(),
      calls: Object.fromEntries(this.#calls),
      bytes: Object.fromEntries(this.#bytes),
      bytesServed: this.bytes(),
      aborted: Object.fromEntries(this.#aborted),
      transcodes: {
        started: this.#started,
        restarted: this.#restarted,
        stopped: this.#stopped,
        killed: this.#killed,
        active: this.activeTranscodes,
      },
      segmentFetches: this.segmentFetches(),
    };
  }

  reset(): void {
    this.#calls.clear();
    this.#bytes.clear();
    this.#aborted.clear();
    this.#segments.clear();
    this.#log.length = 0;
    this.#started = 0;
    this.#restarted = 0;
    this.#stopped = 0;
    this.#killed = 0;
  }

  // --- recording (used by the fake itself) ---

  /** @internal */
  begin(record: Omit<RequestRecord, 'seq' | 'bytes' | 'aborted' | 'finished'>): RequestRecord {
    const full: RequestRecord = { ...record, seq: ++this.#seq, bytes: 0, aborted: false, finished: false };
    this.#calls.set(record.route, (this.#calls.get(record.route) ?? 0) + 1);
    this.#log.push(full);
    if (this.#log.length > this.#logLimit) this.#log.shift();
    return full;
  }

  /** @internal */
  addBytes(record: RequestRecord, n: number): void {
    record.bytes += n;
    this.#bytes.set(record.route, (this.#bytes.get(record.route) ?? 0) + n);
  }

  /** @internal */
  end(record: RequestRecord, status: number | undefined, finished: boolean): void {
    record.status = status;
    record.finished = finished;
    if (!finished) {
      record.aborted = true;
      this.#aborted.set(record.route, (this.#aborted.get(record.route) ?? 0) + 1);
    }
  }

  /** @internal */
  segmentFetched(session: string, index: number): void {
    const key = `${session}/${index}`;
    this.#segments.set(key, (this.#segments.get(key) ?? 0) + 1);
  }

  /** @internal */
  transcode(event: 'started' | 'restarted' | 'stopped' | 'killed'): void {
    if (event === 'started') this.#started++;
    else if (event === 'restarted') this.#restarted++;
    else if (event === 'stopped') this.#stopped++;
    else this.#killed++;
  }
}
