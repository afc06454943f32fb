/**
 * A tap in front of the real server's `/api/bot/*`: it names each request by its route in the shared
 * contract (`BOT_API_ROUTES`, and the two event feeds), records it with the status the server gave,
 * and passes it on. A test may answer a route itself (`on`) to play a server that fails, and may cut
 * the open room feeds as a server going away would. No room model: the rooms are the server's.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BOT_API_HEADERS,
  BOT_API_ROUTES,
  BOT_GUILD_EVENTS_PATH,
  BOT_ROOM_EVENTS_PATH,
  type BotApiRouteName,
} from '../../packages/shared/src/index.ts';

export type TappedRoute = BotApiRouteName | 'roomEvents' | 'guildEvents';
export interface TappedCall {
  route: TappedRoute;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingMessage['headers'];
  actingUser: string | undefined;
  actingUserName: string | undefined;
  status: number;
}
export type TapReply = { status: number; body?: unknown } | undefined;

const table: [TappedRoute, { method: string; path: string }][] = [
  ...(Object.entries(BOT_API_ROUTES) as [BotApiRouteName, { method: string; path: string }][]),
  ['roomEvents', { method: 'GET', path: BOT_ROOM_EVENTS_PATH }],
  ['guildEvents', { method: 'GET', path: BOT_GUILD_EVENTS_PATH }],
];
const routes = table.map(([name, { method, path }]) => {
  const keys = [...path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
  return { name, method, keys, pattern: new RegExp(`^${path.replace(/:\w+/g, '([^/]+)')}$`) };
});

export async function tapBotApi(serverUrl: string) {
  const calls: TappedCall[] = [];
  const overrides = new Map<TappedRoute, (call: TappedCall) => TapReply | Promise<TapReply>>();
  const feeds = new Map<ServerResponse, string>();
  let feedRefusals = 0;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', serverUrl);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const route = routes.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    const values = route?.pattern.exec(url.pathname)?.slice(1).map(decodeURIComponent) ?? [];
    const name = req.headers[BOT_API_HEADERS.actingUserName];
    const call: TappedCall = {
      route: route?.name ?? ('unknown' as TappedRoute),
      params: Object.fromEntries((route?.keys ?? []).map((k, i) => [k, values[i] as string])),
      query: Object.fromEntries(url.searchParams),
      body: raw.length > 0 ? JSON.parse(raw.toString()) : undefined,
      headers: req.headers,
      actingUser: req.headers[BOT_API_HEADERS.actingUser] as string | undefined,
      actingUserName: typeof name === 'string' ? decodeURIComponent(name) : undefined,
      status: 0,
    };
    calls.push(call);
    let reply = await overrides.get(call.route)?.(call);
    if (!reply && call.route === 'roomEvents' && feedRefusals > 0) {
      feedRefusals -= 1;
      reply = { status: 503, body: { error: { code: 'unavailable', message: 'The server is restarting.' } } };
    }
    if (reply) {
      call.status = reply.status;
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body ?? {}));
      return;
    }
    const upstream = request(url, { method: req.method, headers: req.headers }, (answer) => {
      call.status = answer.statusCode ?? 0;
      res.writeHead(call.status, answer.headers);
      answer.pipe(res);
      if (call.route === 'roomEvents' && call.status === 200) {
        feeds.set(res, call.params.roomId ?? '');
        res.on('close', () => feeds.delete(res));
      }
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    upstream.end(raw);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    callsTo: (route: TappedRoute) => calls.filter((c) => c.route === route),
    /** Answers `route` with `handler` (return undefined to pass the request on to the server). */
    on(route: TappedRoute, handler: (call: TappedCall) => TapReply | Promise<TapReply>) {
      overrides.set(route, handler);
    },
    off: (route: TappedRoute) => overrides.delete(route),
    /** The server goes away: open room feeds are cut, and the next `refusals` attempts get 503. */
    dropFeeds(refusals = 0) {
      feedRefusals = refusals;
      for (const res of feeds.keys()) res.destroy();
      feeds.clear();
    },
    /** How many room feeds are open for `roomId`. */
    openFeeds: (roomId: string) => [...feeds.values()].filter((id) => id === roomId).length,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type BotApiTap = Awaited<ReturnType<typeof tapBotApi>>;
