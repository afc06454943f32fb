import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { buildCatalog, type FakeCatalog } from './catalog.ts';
import { type FakeConnectionName, FakePlexCounters, type FakePlexRoute } from './counters.ts';
import { defaultMediaDir, loadDemoClips } from './demo-media.ts';
import { FakePlexFaults, type FaultHandle, type FaultRule } from './faults.ts';
import { RequestContext, sleep } from './http.ts';
import { type FakePin, PinStore, plexTvRoutes, type ResourceConnection, type SharedResource } from './plex-tv.ts';
import { FakePlexTvAuth } from './plex-tv-jwt.ts';
import { pmsRoutes, type Route } from './pms-routes.ts';
import { FakeFallbacks, FakeTimelines } from './timelines.ts';
import { FakeTranscoder, type TranscodeSession } from './transcoder.ts';

export type { FakeCatalog, FakeEpisode, FakeMovie, FakePart, FakeSeason, FakeShow } from './catalog.ts';
export type { CountersSnapshot, FakeConnectionName, FakePlexRoute, RequestRecord } from './counters.ts';
export { FakePlexCounters, PLEX_TV_ROUTES, PMS_ROUTES } from './counters.ts';
export type { FaultAction, FaultHandle, FaultRule } from './faults.ts';
export { FakePlexFaults } from './faults.ts';
export type { FakePin, SharedResource } from './plex-tv.ts';
export { FakePlexTvAuth, NONCE_TTL_MS, PLEX_JWT_TTL_S } from './plex-tv-jwt.ts';
export type { TimelineReport, TimelineState } from './timelines.ts';
export type { TranscodeSession } from './transcoder.ts';

/**
 * A fake Plex Media Server and plex.tv for tests and manual runs, written to the real API: JSON with
 * `Accept: application/json` (XML otherwise), MediaContainer envelopes, X-Plex-Token checked, real
 * media bytes from apps/server/media/demo, byte ranges, HLS transcode sessions, PIN sign-in and
 * resources, with injectable latency/faults and counters of every call. See README.md here.
 */

export interface FakePlexOptions {
  /** The server's access token (random by default). */
  token?: string;
  /** The plex.tv account token an approved PIN hands out (random by default; also valid on the server, as for an owner). */
  userToken?: string;
  machineIdentifier?: string;
  friendlyName?: string;
  /** Address of every listener. Default 127.0.0.1. */
  host?: string;
  /** Port of the main (local http) listener. Default 0 (ephemeral). */
  port?: number;
  /** Port of the plex.tv listener. Default 0. */
  plexTvPort?: number;
  /** Latency added to every request on every listener. */
  latencyMs?: number;
  /** Movies in the movie section (default 12: the three demo clips and nine more titles reusing them). */
  movies?: number;
  /** Give the first movie an external SRT subtitle stream. Default true. */
  subtitles?: boolean;
  mediaDir?: string;
  /** Whether the decision endpoint grants direct play when the client allows it. Default true. */
  directPlay?: boolean;
  /** Add a WebVTT subtitle rendition to transcode master playlists of items with subtitles. Default false (also on with `subtitles=sidecar`). */
  hlsSubtitles?: boolean;
  /** Lifetime of a PIN. Default 1800 s, like plex.tv. */
  pinTtlSeconds?: number;
  /** Approve every new PIN on its own after this delay (standalone use). Default: never. */
  autoApprovePinsAfterMs?: number;
  /** How many requests `counters.requests()` keeps. Default 1000. */
  requestLogSize?: number;
  /**
   * Every transcode start fails (500, as a failing hardware encoder does) until the client asks
   * `POST /video/:/transcode/universal/fallback` for that session. Default false.
   */
  fallbackNeeded?: boolean;
}

/** up: answers; down: connections are dropped on arrival (unreachable); hang: accepts and never answers. */
export type ConnectionState = 'up' | 'down' | 'hang';

export interface FakeConnection {
  readonly name: FakeConnectionName;
  readonly uri: string;
  readonly protocol: 'http' | 'https';
  readonly port: number;
  readonly local: boolean;
  readonly relay: boolean;
  state: ConnectionState;
}

export interface FakePlex {
  /** Base URL of the server's local http listener, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  token: string;
  userToken: string;
  /** Base URL of the fake plex.tv (its API is under /api/v2). */
  plexTvUrl: string;
  machineIdentifier: string;
  friendlyName: string;
  /** PEM certificate of the https connection (self-signed for 127.0.0.1/localhost): trust it to use `localHttps`. */
  tlsCa: string;
  /** The server's listeners, as `/api/v2/resources` lists them; set `state` to make one unreachable. */
  connections: Record<'local' | 'localHttps' | 'remote' | 'relay', FakeConnection>;
  catalog: FakeCatalog;
  counters: FakePlexCounters;
  faults: FakePlexFaults;
  /** Same as `faults.add`. */
  inject(rule: FaultRule): FaultHandle;
  /** Approves a live PIN (by id or code), as the user would on plex.tv: its authToken becomes `userToken`. */
  approvePin(idOrCode: number | string): FakePin;
  expirePin(idOrCode: number | string): void;
  pins: PinStore;
  transcodes: {
    active(): TranscodeSession[];
    /** Ends a session as if the server gave up on it (its playlist and segments then 404). */
    kill(key: string): boolean;
    /** Sessions that fell back after a failed start (with `fallbackNeeded`). */
    fellBack(): string[];
  };
  /** What players reported through `POST /:/timeline`. */
  timelines: FakeTimelines;
  /** plex.tv's JWT side: its key set, registered device keys, its clock (`advance`), the account. */
  plexTvAuth: FakePlexTvAuth;
  /**
   * Shares a friend's server with this fake's account: `/api/v2/resources` lists it (owned: false)
   * with `accessToken`, which that server accepts. `rotate` makes plex.tv hand out a new token and
   * the friend's server refuse the old one, as when plex.tv rotates a shared server's token.
   */
  share(friend: FakePlex, accessToken: string, name?: string): { rotate(newToken: string): void };
  /** Tokens this server accepts besides its own and its owner's (a friend's shared access token). */
  acceptToken(token: string): void;
  revokeToken(token: string): void;
  close(): Promise<void>;
}

const TLS_DIR = new URL('./tls/', import.meta.url);
const VERSION = '1.41.3.9314-a0bfb8370';

const randomToken = (n: number) =>
  [...randomBytes(n)].map((b) => 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'[b % 57]).join('');

export async function startFakePlex(options: FakePlexOptions = {}): Promise<FakePlex> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomToken(20);
  const userToken = options.userToken ?? randomToken(20);
  const machineIdentifier = options.machineIdentifier ?? randomBytes(20).toString('hex');
  const friendlyName = options.friendlyName ?? 'Fake Plex';
  const catalog = buildCatalog(loadDemoClips(options.mediaDir ?? defaultMediaDir), options);
  const faults = new FakePlexFaults(options.latencyMs ?? 0);
  let transcoder: FakeTranscoder | undefined;
  const counters = new FakePlexCounters(() => transcoder?.size ?? 0, options.requestLogSize);
  transcoder = new FakeTranscoder(counters);
  const pins = new PinStore();
  const tlsKey = readFileSync(new URL('key.pem', TLS_DIR));
  const tlsCa = readFileSync(new URL('cert.pem', TLS_DIR), 'utf8');
  const states = new Map<FakeConnectionName, ConnectionState>();
  const servers: Server[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const timelines = new FakeTimelines();
  const fallbacks = new FakeFallbacks(options.fallbackNeeded ?? false);
  const pms = pmsRoutes({
    timelines,
    fallbacks,
    catalog,
    transcoder,
    counters,
    machineIdentifier,
    friendlyName,
    version: VERSION,
    directPlay: options.directPlay ?? true,
    hlsSubtitles: options.hlsSubtitles ?? false,
  });
  const pmsTokens = new Set([token, userToken]);
  const plexTvAuth = await FakePlexTvAuth.create({
    uuid: 'f4ke0wner0000001',
    username: 'fake-owner',
    legacyToken: userToken,
  });
  const shared: SharedResource[] = [];
  /** The server token, a friend's shared token, the owner's legacy token while it lives, or the owner's Plex JWT. */
  const pmsAccepts = async (given: string): Promise<true | 401 | 498> => {
    if (pmsTokens.has(given) && (given !== userToken || plexTvAuth.account.legacyToken !== null)) return true;
    const check = await plexTvAuth.check(given);
    return check.ok ? true : check.status;
  };

  const dispatch = async (
    connection: FakeConnectionName,
    routes: Route[],
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const method = req.method ?? 'GET';
    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    let wrongMethod = false;
    for (const candidate of routes) {
      const m = candidate.pattern.exec(url.pathname);
      if (!m) continue;
      if (candidate.methods.includes(method)) {
        route = candidate;
        match = m;
        break;
      }
      wrongMethod = true;
    }
    const name: FakePlexRoute = route?.name ?? 'notFound';
    const record = counters.begin({
      connection,
      route: name,
      method,
      url: req.url ?? '/',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      ),
    });
    let closed = false;
    res.on('close', () => {
      closed = true;
      counters.end(record, res.headersSent ? res.statusCode : undefined, res.writableFinished);
    });
    // Bodies are read by the routes that take one (plex.tv's JWT endpoints); the rest are drained.
    if (!route?.body) req.resume();
    const plan = faults.plan(name, connection, req, url);
    if (plan.latencyMs > 0) {
      await sleep(plan.latencyMs);
      if (closed) return;
    }
    if (states.get(connection) === 'hang') return;
    const action = plan.action;
    if (action?.kind === 'timeout') return;
    if (action?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const ctx = new RequestContext(req, res, url, record, counters, action);
    if (action?.kind === 'status') {
      return ctx.send(action.status, action.body ?? `Fake Plex fault: HTTP ${action.status}\n`, {
        'content-type': 'text/plain',
        ...action.headers,
      });
    }
    if (!route || !match) return wrongMethod ? ctx.html(405, 'Method Not Allowed') : ctx.notFound();
    if (route.auth && connection !== 'plexTv') {
      const accepted = await pmsAccepts(ctx.plex('X-Plex-Token') ?? '');
      if (accepted === 498) return ctx.html(498, 'Token Expired');
      if (accepted !== true) return ctx.html(401, 'Unauthorized');
    }
    await route.handle(ctx, match);
  };

  const handler = (connection: FakeConnectionName, routes: Route[]) => (req: IncomingMessage, res: ServerResponse) => {
    dispatch(connection, routes, req, res).catch((error: unknown) => {
      console.error(`fake Plex: ${req.method} ${req.url} failed`, error);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('fake Plex internal error');
      } else res.destroy();
    });
  };

  const sockets = new Map<FakeConnectionName, Set<Socket>>();
  const setState = (name: FakeConnectionName, state: ConnectionState) => {
    states.set(name, state);
    // Kept-alive connections would otherwise still reach a "down" listener.
    if (state === 'down') for (const socket of sockets.get(name) ?? []) socket.destroy();
  };
  const listen = async (name: FakeConnectionName, server: Server, port: number): Promise<number> => {
    states.set(name, 'up');
    const open = new Set<Socket>();
    sockets.set(name, open);
    server.on('connection', (socket: Socket) => {
      if (states.get(name) === 'down') {
        socket.destroy();
        return;
      }
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    server.keepAliveTimeout = 5000;
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  };

  const urlHost = host.includes(':') ? `[${host}]` : host;
  try {
    const localPort = await listen('local', http.createServer(handler('local', pms)), options.port ?? 0);
    const httpsPort = await listen(
      'localHttps',
      https.createServer({ key: tlsKey, cert: tlsCa }, handler('localHttps', pms)),
      0,
    );
    const remotePort = await listen('remote', http.createServer(handler('remote', pms)), 0);
    const relayPort = await listen('relay', http.createServer(handler('relay', pms)), 0);

    const connection = (
      name: FakeConnectionName,
      protocol: 'http' | 'https',
      port: number,
      local: boolean,
      relay: boolean,
    ): FakeConnection => ({
      name,
      uri: `${protocol}://${urlHost}:${port}`,
      protocol,
      port,
      local,
      relay,
      get state() {
        return states.get(name) ?? 'up';
      },
      set state(value: ConnectionState) {
        setState(name, value);
      },
    });
    const connections = {
      local: connection('local', 'http', localPort, true, false),
      localHttps: connection('localHttps', 'https', httpsPort, true, false),
      remote: connection('remote', 'http', remotePort, false, false),
      relay: connection('relay', 'http', relayPort, false, true),
    };
    const resource = (c: FakeConnection): ResourceConnection => ({
      protocol: c.protocol,
      address: host,
      port: c.port,
      uri: c.uri,
      local: c.local,
      relay: c.relay,
      IPv6: host.includes(':'),
    });

    const plexTv = plexTvRoutes(
      {
        userToken,
        serverToken: token,
        machineIdentifier,
        friendlyName,
        version: VERSION,
        pinTtlSeconds: options.pinTtlSeconds ?? 1800,
        onPinCreated: (pin) => {
          const delay = options.autoApprovePinsAfterMs;
          if (delay === undefined) return;
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (pins.find(pin.id)) pins.approve(pin.id, userToken);
          }, delay);
          timers.add(timer);
        },
        auth: plexTvAuth,
        shared,
        connections: ({ https: withHttps, relay }) => [
          resource(withHttps ? connections.localHttps : connections.local),
          resource(connections.remote),
          ...(relay ? [resource(connections.relay)] : []),
        ],
      },
      pins,
    );
    const plexTvPort = await listen('plexTv', http.createServer(handler('plexTv', plexTv)), options.plexTvPort ?? 0);

    return {
      url: connections.local.uri,
      token,
      userToken,
      plexTvUrl: `http://${urlHost}:${plexTvPort}`,
      machineIdentifier,
      friendlyName,
      tlsCa,
      connections,
      catalog,
      counters,
      faults,
      inject: (rule) => faults.add(rule),
      approvePin: (idOrCode) => pins.approve(idOrCode, userToken),
      expirePin: (idOrCode) => pins.expire(idOrCode),
      pins,
      transcodes: {
        active: () => transcoder.active(),
        kill: (key) => transcoder.kill(key),
        fellBack: () => fallbacks.fellBack(),
      },
      timelines,
      plexTvAuth,
      share(friend, accessToken, name = friend.friendlyName) {
        const entry: SharedResource = {
          name,
          machineIdentifier: friend.machineIdentifier,
          accessToken,
          connections: [friend.connections.local, friend.connections.remote].map(resource),
        };
        shared.push(entry);
        friend.acceptToken(accessToken);
        return {
          rotate(newToken) {
            friend.revokeToken(entry.accessToken);
            friend.acceptToken(newToken);
            entry.accessToken = newToken;
          },
        };
      },
      acceptToken: (extra) => void pmsTokens.add(extra),
      revokeToken: (extra) => void pmsTokens.delete(extra),
      close: () => closeAll(servers, timers),
    };
  } catch (error) {
    await closeAll(servers, timers);
    throw error;
  }
}

async function closeAll(servers: Server[], timers: Set<NodeJS.Timeout>): Promise<void> {
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}
