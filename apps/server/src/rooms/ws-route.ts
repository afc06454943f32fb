import { CLOSE_CODES, PROTOCOL_LIMITS } from '@dpp/shared';
import websocket from '@fastify/websocket';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { WebSocket } from 'ws';
import type { Config } from '../config.ts';
import { errorBody } from '../lib/errors.ts';
import { AddressCaps } from './address-caps.ts';
import { Heartbeat } from './heartbeat.ts';
import type { RoomSocket } from './ports.ts';

export const HEARTBEAT_INTERVAL_MS = 15_000;
/** How long shutdown waits for clients to answer the 1012 close before cutting them off. */
const CLOSE_GRACE_MS = 1_000;

/** Browsers may open the room socket only from the activity's own origin (and the Vite dev server). */
export function allowedOrigins(config: Pick<Config, 'publicUrl' | 'env' | 'discord'>): Set<string> {
  const origins = new Set([new URL(config.publicUrl).origin]);
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

    await app.register(websocket, {
      options: { maxPayload: PROTOCOL_LIMITS.maxPayloadBytes, perMessageDeflate: false },
      preClose: async () => {
        heartbeat.stop();
        await app.rooms.shutdown();
        await closeAll(app.websocketServer.clients, CLOSE_GRACE_MS);
        app.websocketServer.close();
      },
    });

    const checkOrigin = async (request: FastifyRequest, reply: FastifyReply) => {
      const origin = request.headers.origin;
      // No Origin header: not a browser (the bot, load tests), which the session token still guards.
      if (origin === undefined || origins.has(origin)) return;
      request.log.warn({ origin }, 'room socket refused: foreign origin');
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
        const connection = app.rooms.connect(adapter);
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
  { name: 'rooms-ws', dependencies: ['rooms', 'metrics', 'config'] },
);
