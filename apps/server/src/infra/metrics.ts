import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Answers whether each dependency (database, cache) is reachable right now; asked at every scrape. */
export type DependencyProbe = () => Promise<Record<string, boolean>>;

/** Every metric the server exports, on a registry of its own (one per app, so tests can build many). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const dependencies: { probe: DependencyProbe | undefined } = { probe: undefined };
  return {
    registry,
    /** Where the dependency-metrics plugin puts its probe (it needs the database and cache, built later). */
    dependencies,
    dependencyUp: new Gauge({
      name: 'dpp_dependency_up',
      help: 'Whether a dependency answered a ping at scrape time (1) or not (0), by dependency (database, cache)',
      labelNames: ['dependency', 'kind'] as const,
      registers: [registry],
      async collect() {
        if (!dependencies.probe) return;
        this.reset();
        for (const [name, up] of Object.entries(await dependencies.probe())) {
          const [dependency = name, kind = 'unknown'] = name.split(':');
          this.set({ dependency, kind }, up ? 1 : 0);
        }
      },
    }),
    rateLimited: new Counter({
      name: 'dpp_rate_limited_total',
      help: 'Requests refused by a rate limit, by scope (http: 429 answers; ws: room socket messages dropped)',
      labelNames: ['scope'] as const,
      registers: [registry],
    }),
    syncDrift: new Histogram({
      name: 'dpp_sync_drift_seconds',
      help: "Members' measured playback drift from the room's expected position (absolute), as their pings report it",
      buckets: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'dpp_http_requests_total',
      help: 'HTTP requests answered, by route and status class',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    cacheRequests: new Counter({
      name: 'dpp_cache_requests_total',
      help: 'Cache reads by namespace and result (hit, miss, error)',
      labelNames: ['namespace', 'result'] as const,
      registers: [registry],
    }),
    sockets: new Gauge({
      name: 'dpp_ws_sockets',
      help: 'Open room WebSockets on this instance',
      registers: [registry],
    }),
    rooms: new Gauge({ name: 'dpp_rooms', help: 'Rooms with members on this instance', registers: [registry] }),
    messages: new Counter({
      name: 'dpp_ws_messages_total',
      help: 'Room WebSocket messages, by direction and type',
      labelNames: ['direction', 'type'] as const,
      registers: [registry],
    }),
    broadcastLatency: new Histogram({
      name: 'dpp_broadcast_latency_seconds',
      help: 'Time from accepting a command to handing its broadcast to every local socket',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    plexLatency: new Histogram({
      name: 'dpp_plex_request_duration_seconds',
      help: 'Plex upstream request duration, by endpoint',
      labelNames: ['endpoint'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    plexErrors: new Counter({
      name: 'dpp_plex_errors_total',
      help: 'Plex upstream failures, by endpoint and kind',
      labelNames: ['endpoint', 'kind'] as const,
      registers: [registry],
    }),
    proxiedBytes: new Counter({
      name: 'dpp_proxied_bytes_total',
      help: 'Bytes sent to clients by the stream proxy, by kind (file, playlist, segment, art)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
