/**
 * A stand-in for the server's `/api/bot/*` while the real routes are not built: it checks every
 * request against the shared contract (auth, acting user, params, query and body schemas), records
 * it, and answers from a tiny room model. Tests override any route with `stub.on(route, handler)`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BOT_API_HEADERS,
  BOT_API_ROUTES,
  type BotApiRouteName,
  type BotGuildSettings,
  type LibraryItemDto,
  type RoomSnapshot,
} from '@dpp/shared';

export interface StubCall {
  route: BotApiRouteName;
  method: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingMessage['headers'];
  actingUser: string | undefined;
  actingUserName: string | undefined;
  /** Set when the request broke the contract (the stub answered 400). */
  invalid: string | undefined;
  status: number;
}

export interface StubReply {
  status: number;
  body?: unknown;
}

type Handler = (call: StubCall) => StubReply | undefined | Promise<StubReply | undefined>;

export function libraryItem(id: string, title: string, extra: Partial<LibraryItemDto> = {}): LibraryItemDto {
  return {
    id,
    type: 'movie',
    title,
    year: 2008,
    summary: null,
    durationMs: 600_000,
    thumb: `/api/art/${id}`,
    art: null,
    parentId: null,
    parentTitle: null,
    grandparentTitle: null,
    index: null,
    parentIndex: null,
    childCount: null,
    playable: true,
    ...extra,
  };
}

export const DEMO_LIBRARY: LibraryItemDto[] = [
  libraryItem('demo-1', 'Big Buck Bunny'),
  libraryItem('demo-2', 'Sintel', { year: 2010, durationMs: 888_000 }),
  libraryItem('demo-3', 'Tears of Steel', { year: 2012 }),
  libraryItem('demo-4', 'Elephants Dream', { year: 2006 }),
];

const error = (status: number, code: string, message: string): StubReply => ({
  status,
  body: { error: { code, message } },
});

export async function startStubServer({ token = 'stub-bot-api-token-0123456789' }: { token?: string } = {}) {
  const calls: StubCall[] = [];
  /** Rooms whose event stream the bot opened, once per connection attempt. */
  const feedCalls: string[] = [];
  let feedRefusals = 0;
  const overrides = new Map<BotApiRouteName, Handler>();
  const rooms = new Map<string, RoomSnapshot>();
  const settings = new Map<string, BotGuildSettings>();
  let library = [...DEMO_LIBRARY];
  /** What `GET /api/bot/guilds/:guildId/history` answers (tests set it). */
  const history: { itemId: string; title: string; channelId: string; startedAt: string }[] = [];
  let entrySeq = 0;

  const routes = (Object.entries(BOT_API_ROUTES) as [BotApiRouteName, (typeof BOT_API_ROUTES)[BotApiRouteName]][]).map(
    ([name, route]) => {
      const keys: string[] = [];
      const pattern = new RegExp(
        `^${route.path.replace(/:(\w+)/g, (_, key: string) => {
          keys.push(key);
          return '([^/]+)';
        })}$`,
      );
      return { name, route, pattern, keys };
    },
  );

  const now = () => Date.now();
  const snapshotOf = (roomId: string) => rooms.get(roomId);
  const answerRoom = (roomId: string): StubReply => {
    const snapshot = snapshotOf(roomId);
    return snapshot
      ? { status: 200, body: { serverTime: now(), snapshot } }
      : error(404, 'no_room', 'No watch party in that voice channel.');
  };
  /** Open event streams (`GET /api/bot/rooms/:roomId/events`) per room. */
  const feeds = new Map<string, Set<ServerResponse>>();
  /** Open feeds of new rooms (`GET /api/bot/guilds/:guildId/events`) per guild. */
  const guildFeeds = new Map<string, Set<ServerResponse>>();
  const feedEvent = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const broadcast = (snapshot: RoomSnapshot) => {
    snapshot.seq += 1;
    for (const res of feeds.get(snapshot.roomId) ?? []) {
      res.write(feedEvent('room', { serverTime: now(), snapshot }));
    }
  };
  const endFeeds = (roomId: string) => {
    for (const res of feeds.get(roomId) ?? []) res.end(feedEvent('ended', { roomId }));
    feeds.delete(roomId);
  };

  const defaults: Record<BotApiRouteName, Handler> = {
    search: (call) => {
      const q = String(call.query.q).toLowerCase();
      const limit = Number(call.query.limit ?? 25);
      return {
        status: 200,
        body: {
          source: { kind: 'demo', name: 'Demo library' },
          items: library.filter((i) => i.title.toLowerCase().includes(q)).slice(0, limit),
        },
      };
    },
    room: (call) => answerRoom(call.params.roomId!),
    play: async (call) => {
      // As the server: queue.add starts the item when nothing is current, else appends it.
      const roomId = call.params.roomId!;
      const { itemId } = call.body as { itemId: string };
      const added = await defaults.roomCommand({ ...call, body: { op: 'queue.add', itemId } });
      if (added?.status !== 200) return added;
      const snapshot = snapshotOf(roomId);
      const entry = snapshot?.queue.at(-1);
      if (!snapshot || !entry) return error(500, 'internal', 'queue.add left no entry');
      const started = snapshot.queue.length === 1;
      if (started) {
        Object.assign(snapshot.playback, {
          rev: snapshot.playback.rev + 1,
          itemId,
          status: 'playing',
          positionMs: 0,
          atServerMs: now(),
        });
        broadcast(snapshot);
      }
      return {
        status: 200,
        body: { serverTime: now(), snapshot, outcome: started ? 'started' : 'queued', entryId: entry.entryId },
      };
    },
    roomCommand: (call) => {
      const roomId = call.params.roomId!;
      const body = call.body as { op: string; itemId?: string; positionMs?: number; control?: 'everyone' | 'hosts' };
      let snapshot = snapshotOf(roomId);
      if (!snapshot) {
        if (body.op !== 'load' && body.op !== 'queue.add')
          return error(404, 'no_room', 'No watch party in that voice channel.');
        snapshot = {
          roomId,
          seq: 0,
          playback: {
            rev: 0,
            itemId: null,
            status: 'paused',
            positionMs: 0,
            atServerMs: now(),
            rate: 1,
            waitUntil: null,
          },
          queue: [],
          members: [],
          settings: { control: 'everyone' },
        };
        rooms.set(roomId, snapshot);
      }
      const { playback } = snapshot;
      const entryFor = (itemId: string) => {
        const item = library.find((i) => i.id === itemId);
        if (!item) return undefined;
        entrySeq += 1;
        return {
          entryId: `e${entrySeq}`,
          itemId,
          title: item.title,
          durationMs: item.durationMs,
          thumb: item.thumb,
          addedBy: call.actingUser ?? '',
        };
      };
      const position = () =>
        playback.positionMs +
        (playback.status === 'playing' ? Math.max(0, now() - playback.atServerMs) * playback.rate : 0);
      switch (body.op) {
        case 'load': {
          const entry = entryFor(body.itemId!);
          if (!entry) return error(404, 'unknown_item', 'No such item in the library.');
          snapshot.queue = [entry, ...snapshot.queue.filter((e) => e.itemId !== playback.itemId)];
          Object.assign(playback, {
            rev: playback.rev + 1,
            itemId: entry.itemId,
            status: 'paused',
            positionMs: 0,
            atServerMs: now(),
          });
          break;
        }
        case 'queue.add': {
          const entry = entryFor(body.itemId!);
          if (!entry) return error(404, 'unknown_item', 'No such item in the library.');
          snapshot.queue.push(entry);
          break;
        }
        case 'play':
          if (!playback.itemId) return error(409, 'no_item', 'Nothing is loaded.');
          Object.assign(playback, { rev: playback.rev + 1, status: 'playing', atServerMs: now() });
          break;
        case 'pause':
          if (!playback.itemId) return error(409, 'no_item', 'Nothing is loaded.');
          Object.assign(playback, {
            rev: playback.rev + 1,
            status: 'paused',
            positionMs: position(),
            atServerMs: now(),
          });
          break;
        case 'seek':
          if (!playback.itemId) return error(409, 'no_item', 'Nothing is loaded.');
          Object.assign(playback, { rev: playback.rev + 1, positionMs: body.positionMs, atServerMs: now() });
          break;
        case 'next': {
          snapshot.queue.shift();
          const next = snapshot.queue[0];
          Object.assign(playback, {
            rev: playback.rev + 1,
            itemId: next?.itemId ?? null,
            positionMs: 0,
            atServerMs: now(),
            status: next ? 'playing' : 'paused',
          });
          break;
        }
        case 'settings':
          snapshot.settings = { control: body.control! };
          break;
        case 'queue.remove': {
          const { entryId } = call.body as { entryId: string };
          const index = snapshot.queue.findIndex((e) => e.entryId === entryId);
          if (index < 0) return error(404, 'unknown_entry', 'No such queue entry.');
          if (index === 0 && playback.itemId) return defaults.roomCommand({ ...call, body: { op: 'next' } });
          snapshot.queue.splice(index, 1);
          break;
        }
        case 'host.grant':
        case 'host.resign':
        case 'remote.pass':
        case 'control.request':
        case 'control.answer':
        case 'member.remove':
          // The rules live on the server (tested there); the stub records the call and answers the room.
          break;
        default:
          return error(400, 'bad_request', `op ${body.op} is not modelled by the stub`);
      }
      broadcast(snapshot);
      return answerRoom(roomId);
    },
    endRoom: (call) => {
      const ended = rooms.delete(call.params.roomId!);
      endFeeds(call.params.roomId!);
      return { status: 200, body: { ended } };
    },
    voiceEvent: () => ({ status: 204 }),
    voiceSync: () => ({ status: 204 }),
    history: () => ({ status: 200, body: { items: history } }),
    plexStatus: () => ({ status: 200, body: { source: 'demo', server: null } }),
    plexLink: () => ({
      status: 200,
      body: {
        id: '4242',
        code: 'ABCD',
        linkUrl: 'https://app.plex.tv/auth#?code=ABCD',
        expiresAt: new Date(now() + 900_000).toISOString(),
      },
    }),
    plexPin: () => ({
      status: 200,
      body: { status: 'linked', server: { name: 'Living Room Plex', machineId: 'abc' } },
    }),
    plexUnlink: () => ({ status: 200, body: { unlinked: true } }),
    guildSettings: (call) => ({
      status: 200,
      body: settings.get(call.params.guildId!) ?? { djRoleId: null, control: 'everyone' },
    }),
    updateGuildSettings: (call) => {
      const guildId = call.params.guildId!;
      const next = {
        ...(settings.get(guildId) ?? { djRoleId: null, control: 'everyone' }),
        ...(call.body as object),
      } as BotGuildSettings;
      settings.set(guildId, next);
      return { status: 200, body: next };
    },
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const send = (reply: StubReply) => {
      if (reply.body === undefined) res.writeHead(reply.status).end();
      else res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    };
    const guildFeed = /^\/api\/bot\/guilds\/([^/]+)\/events$/.exec(url.pathname);
    if (guildFeed && req.method === 'GET') {
      const guildId = decodeURIComponent(guildFeed[1]!);
      if (req.headers.authorization !== `Bearer ${token}`) {
        send(error(401, 'unauthorized', 'Bad bot token.'));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(feedEvent('ready', {}));
      const open = guildFeeds.get(guildId) ?? new Set<ServerResponse>();
      guildFeeds.set(guildId, open);
      open.add(res);
      res.on('close', () => open.delete(res));
      return;
    }
    const feed = /^\/api\/bot\/rooms\/([^/]+)\/events$/.exec(url.pathname);
    if (feed && req.method === 'GET') {
      const roomId = decodeURIComponent(feed[1]!);
      feedCalls.push(roomId);
      const snapshot = snapshotOf(roomId);
      if (req.headers.authorization !== `Bearer ${token}`) send(error(401, 'unauthorized', 'Bad bot token.'));
      else if (feedRefusals > 0) {
        feedRefusals -= 1;
        send(error(503, 'unavailable', 'The server is restarting.'));
      } else if (!snapshot) send(error(404, 'no_room', 'No watch party in that voice channel.'));
      else {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(feedEvent('room', { serverTime: now(), snapshot }));
        const open = feeds.get(roomId) ?? new Set<ServerResponse>();
        feeds.set(roomId, open);
        open.add(res);
        res.on('close', () => open.delete(res));
      }
      return;
    }
    const match = routes.find((r) => r.route.method === req.method && r.pattern.test(url.pathname));
    if (!match) {
      send(error(404, 'not_found', `no route ${req.method} ${url.pathname}`));
      return;
    }
    const values = match.pattern.exec(url.pathname)!.slice(1).map(decodeURIComponent);
    const name = req.headers[BOT_API_HEADERS.actingUserName];
    const call: StubCall = {
      route: match.name,
      method: req.method ?? '',
      params: Object.fromEntries(match.keys.map((k, i) => [k, values[i]!])),
      query: Object.fromEntries(url.searchParams),
      body: raw ? JSON.parse(raw) : undefined,
      headers: req.headers,
      actingUser: req.headers[BOT_API_HEADERS.actingUser] as string | undefined,
      actingUserName: typeof name === 'string' ? decodeURIComponent(name) : undefined,
      invalid: undefined,
      status: 0,
    };
    calls.push(call);
    let reply: StubReply | undefined;
    type Check = { safeParse(value: unknown): { success: boolean; error?: { message: string } } };
    const route = match.route as { params?: Check; query?: Check; body?: Check };
    const problems: string[] = [];
    for (const [part, value] of [
      ['params', call.params],
      ['query', call.query],
      ['body', call.body],
    ] as const) {
      const schema = route[part];
      if (schema) {
        const parsed = schema.safeParse(value);
        if (!parsed.success) problems.push(`${part}: ${parsed.error?.message}`);
      } else if (part === 'body' && value !== undefined) {
        problems.push('body: this route takes none');
      }
    }
    if (req.headers.authorization !== `Bearer ${token}`) reply = error(401, 'unauthorized', 'Bad bot token.');
    else if (!call.actingUser || !/^\d{5,25}$/.test(call.actingUser))
      reply = error(400, 'acting_user_required', 'X-Acting-User is required.');
    else if (problems.length > 0) {
      call.invalid = problems.join('; ');
      reply = error(400, 'bad_request', call.invalid);
    } else {
      reply = (await overrides.get(match.name)?.(call)) ?? (await defaults[match.name](call));
    }
    call.status = reply?.status ?? 500;
    send(reply ?? error(500, 'internal', 'stub handler answered nothing'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    feedCalls,
    rooms,
    /** Tells the rooms' open event streams about a change made behind the bot's back. */
    broadcast,
    /** The server goes away: open event streams are cut, and the next `refusals` attempts get 503. */
    dropFeeds(refusals = 0): void {
      feedRefusals = refusals;
      for (const open of feeds.values()) for (const res of open) res.destroy();
      feeds.clear();
    },
    /** Announces a room created behind the bot's back to the guild's open feeds. */
    roomCreated(roomId: string): void {
      const guildId = roomId.split(':')[0] ?? '';
      for (const res of guildFeeds.get(guildId) ?? []) res.write(feedEvent('created', { roomId }));
    },
    /** How many event streams are open for `roomId`. */
    openFeeds(roomId: string): number {
      return feeds.get(roomId)?.size ?? 0;
    },
    settings,
    history,
    callsTo(route: BotApiRouteName): StubCall[] {
      return calls.filter((c) => c.route === route);
    },
    /** Answers `route` with `handler` (return undefined to fall back to the default). */
    on(route: BotApiRouteName, handler: Handler): void {
      overrides.set(route, handler);
    },
    off(route: BotApiRouteName): void {
      overrides.delete(route);
    },
    setLibrary(items: LibraryItemDto[]): void {
      library = items;
    },
    async close(): Promise<void> {
      for (const open of [...feeds.values(), ...guildFeeds.values()]) for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type StubServer = Awaited<ReturnType<typeof startStubServer>>;
