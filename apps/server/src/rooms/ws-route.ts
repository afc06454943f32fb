import { CLOSE_CODES, errorBody, PROTOCOL_LIMITS } from '@dpp/shared';
import websocket from '@fastify/websocket';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { WebSocket } from 'ws';
import { DiscordProxyVerifier } from '../auth/discord-proxy.ts';
import type { Config } from '../config.ts';
import { AddressCaps } from './address-caps.ts';
import { Heartbeat } from './heartbeat.ts';
import type { HelloVouch, RoomSocket } from './ports.ts';

export const HEARTBEAT_INTERVAL_MS = 15_000;
/** How long shutdown waits for clients to answer the 1012 close before cutting them off. */
const CLOSE_GRACE_MS = 1_000;

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Browsers may open the room socket only from the activity's own origin (and the Vite dev server).
 * Outside production, a loopback PUBLIC_URL stands for every spelling of loopback on its port: opening
 * http://127.0.0.1:3000 when PUBLIC_URL says localhost is the same machine and the same server.
 */
export function allowedOrigins(config: Pick<Config, 'publicUrl' | 'env' | 'discord'>): Set<string> {
  const publicUrl = new URL(config.publicUrl);
  const origins = new Set([publicUrl.origin]);
  if (config.env !== 'production' && LOOPBACK_HOSTS.includes(publicUrl.hostname)) {
    for (const host of LOOPBACK_HOSTS)
      origins.add(`${publicUrl.protocol}//${host}${publicUrl.port ? `:${publicUrl.port}` : ''}`);
  }
  if (config.env === 'development') origins.add('http://localhost:5173');
  // Inside Discord the activity is served through Discord's proxy on the application's own host.
  if (config.discord) origins.add(`https://${config.discord.clientId}.discordsays.com`);
  return origins;
}

function closeAll(clients: Set<WebSocket>, graceMs: number): Promise<void> {
  const open = [...clients].filter((c) => c.readyState !== WebSocket.CLOSED);
  if (open.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = open.length;
    const done = () => {
      left -= 1;
      if (left === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      for (const client of open) client.terminate();
    }, graceMs);
    for (const client of open) client.once('close', done);
  });
}

/** WebSocket close reasons are at most 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

/** What the page shows when its origin is refused: which address, and the setting that decides. */
export function originRefusal(origin: string, publicUrl: string): string {
  const full = `This page (${origin}) is not PUBLIC_URL (${publicUrl}): open that address or set PUBLIC_URL.`;
  if (Buffer.byteLength(full) <= MAX_CLOSE_REASON_BYTES) return full;
  const short = `This page is not served from PUBLIC_URL (${publicUrl}).`;
  return Buffer.byteLength(short) <= MAX_CLOSE_REASON_BYTES ? short : 'This page is not served from PUBLIC_URL.';
}

/**
 * `GET /ws`: the thin host around the room engine. It checks the origin at the upgrade, caps frames
 * at 64 KiB, runs the heartbeat, and adapts each `ws` socket to the engine's RoomSocket; everything
 * else (hello, validation, limits, rooms) is the engine's. On shutdown every socket closes with 1012.
 */
export default fp(
  async (app) => {
    const origins = allowedOrigins(app.config);
    const caps = new AddressCaps(app.config.wsSocketsPerAddress);
    const heartbeat = new Heartbeat<WebSocket>(HEARTBEAT_INTERVAL_MS);
    heartbeat.start();
    // With DISCORD_PUBLIC_KEY, as on HTTP requests (auth/plugin.ts): a Discord user's session joins
    // only over an upgrade Discord's activity proxy signed for that same user.
    const proxy = app.config.discordPublicKey ? new DiscordProxyVerifier(app.config.discordPublicKey) : undefined;
    const proxyVouch = (request: FastifyRequest): HelloVouch | undefined => {
      if (!proxy) return undefined;
      const signed = proxy.check(request.headers);
      return (token) => {
        const verified = app.sessions.verify(token);
        if (!verified.ok || verified.claims.discordId.startsWith('guest:')) return undefined;
        if (!signed.ok) {
          request.log.warn({ reason: signed.reason }, 'room socket refused: no valid Discord proxy signature');
          return { reason: 'unauthorized', message: `proxy_unverified: not through Discord (${signed.reason})` };
        }
        if (signed.userId !== verified.claims.discordId) {
          request.log.warn('room socket refused: Discord signed the upgrade for another user');
          return { reason: 'forbidden', message: 'proxy_user_mismatch: Discord signed this for another user' };
        }
        return undefined;
      };
    };

    await app.register(websocket, {
      options: { maxPayload: PROTOCOL_LIMITS.maxPayloadBytes, perMessageDeflate: false },
      preClose: async () => {
        heartbeat.stop();
        await app.rooms.shutdown();
        await closeAll(app.websocketServer.clients, CLOSE_GRACE_MS);
        app.websocketServer.close();
      },
    });

    const refused = new WeakSet<FastifyRequest>();
    const checkOrigin = async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = request.headers.origin;
      // No Origin header: not a browser (the bot, load tests), which the session token still guards.
      if (origin === undefined || origins.has(origin)) return;
      request.log.warn(
        { origin, expected: [...origins] },
        'room socket refused: foreign origin (the page is not served from PUBLIC_URL)',
      );
      // A browser cannot read an HTTP refusal of a WebSocket upgrade (it only sees the socket fail, and
      // would retry forever): a browser's upgrade is taken and closed at once with a reason it can show.
      // Nothing else happens on that socket: the room engine never sees it.
      if (request.headers.upgrade?.toLowerCase() === 'websocket') {
        refused.add(request);
        return;
      }
      return reply.code(403).send(errorBody('forbidden_origin', `Origin ${origin} may not open the room socket.`));
    };

    app.route({
      method: 'GET',
      url: '/ws',
      schema: { hide: true },
      preValidation: checkOrigin,
      handler: (_request, reply) =>
        reply
          .code(426)
          .header('upgrade', 'websocket')
          .send(errorBody('upgrade_required', 'This is the room WebSocket: connect with a WebSocket client.')),
      wsHandler: (socket, request) => {
        if (refused.has(request)) {
          socket.close(CLOSE_CODES.forbidden.code, originRefusal(request.headers.origin ?? '', app.config.publicUrl));
          return;
        }
        // The cap answers with a typed close (the client's socket code reads it), not an HTTP status.
        const address = request.ip;
        const admission = caps.admit(address);
        if (!admission.ok) {
          request.log.warn({ reason: admission.reason }, 'room socket refused: too many from this address');
          socket.close(
            CLOSE_CODES.rateLimited.code,
            admission.reason === 'too_many_open' ? 'too many open connections' : 'too many connection attempts',
          );
          return;
        }
        socket.once('close', () => caps.release(address));
        const adapter: RoomSocket = {
          get isOpen() {
            return socket.readyState === WebSocket.OPEN;
          },
          send: (text) => socket.send(text),
          close: (code, reason) => socket.close(code, reason),
        };
        const connection = app.rooms.connect(adapter, proxyVouch(request));
        app.metrics.sockets.inc();
        heartbeat.add(socket, (rttMs) => connection.observeRtt(rttMs));
        socket.on('pong', () => heartbeat.pong(socket));
        socket.on('message', (data, isBinary) => {
          if (isBinary) connection.receiveBinary();
          else connection.receive(data.toString());
        });
        socket.once('close', (code) => {
          app.metrics.sockets.dec();
          heartbeat.remove(socket);
          connection.closed(code);
        });
      },
    });
  },
  { name: 'rooms-ws', dependencies: ['rooms', 'metrics', 'config', 'auth'] },
);
