import {
  applyState,
  type ClientMessage,
  type RoomSnapshot,
  type ServerMessage,
  serverMessageSchema,
} from '@dpp/shared';
import type { EventBus } from '../../../src/infra/event-bus.ts';
import { MemoryEventBus } from '../../../src/infra/memory-event-bus.ts';
import { MemoryRoomStore } from '../../../src/infra/memory-room-store.ts';
import type { RoomStore } from '../../../src/infra/room-store.ts';
import type { RoomConnection } from '../../../src/rooms/connection.ts';
import type { Clock, ItemLookup, RoomSocket, RoomUser } from '../../../src/rooms/ports.ts';
import { RoomEngine, type RoomEngineOptions } from '../../../src/rooms/room-engine.ts';
import type { ItemInfo } from '../../../src/rooms/room-logic.ts';

export { ManualClock } from '@dpp/shared/testing';

export const ITEMS: Record<string, ItemInfo> = {
  m1: { title: 'Big Buck Bunny', durationMs: 60_000, thumb: '/art/m1' },
  m2: { title: 'Sintel', durationMs: 30_000, thumb: null },
  m3: { title: 'Tears of Steel', durationMs: 45_000, thumb: null },
  live: { title: 'A stream without an end', durationMs: null, thumb: null },
};

export const fakeLookup: ItemLookup = async (itemId) => ITEMS[itemId];

/** Tokens in tests are `token:<userId>`; the user's name is the id, capitalised. */
export const tokenFor = (userId: string) => `token:${userId}`;
export function fakeAuthenticate(token: string): RoomUser | undefined {
  const match = /^token:(\w+)$/.exec(token);
  if (!match?.[1]) return undefined;
  const userId = match[1];
  return { userId, name: userId[0]?.toUpperCase() + userId.slice(1), avatar: null };
}

/** One backend (store + bus) that several engines share, like instances on one Redis. */
export function memoryBackend(): { store: RoomStore<unknown>; bus: EventBus } {
  const bus = new MemoryEventBus();
  return { store: new MemoryRoomStore(bus), bus };
}

export async function startEngine(
  overrides: Partial<RoomEngineOptions> & { clock: Clock },
  backend = memoryBackend(),
): Promise<RoomEngine> {
  const engine = new RoomEngine({
    ...backend,
    authenticate: fakeAuthenticate,
    lookup: fakeLookup,
    ...overrides,
  });
  await engine.start();
  return engine;
}

/**
 * A client on an in-memory socket. What the server sends lands in `received` at once; what the
 * client sends waits in `outbox` until `flush()` hands it to the server and waits for the engine.
 * The client keeps a snapshot by applying what it receives, and notes any seq it cannot account for.
 */
/** Command ids handed out to every TestClient (see `command`). */
let commandIds = 0;

export class TestClient {
  readonly received: ServerMessage[] = [];
  readonly problems: string[] = [];
  snapshot: RoomSnapshot | undefined;
  closeCode: number | undefined;
  readonly connection: RoomConnection;
  private readonly outbox: string[] = [];
  private open = true;

  constructor(
    readonly engine: RoomEngine,
    readonly name = 'client',
  ) {
    const self = this;
    const socket: RoomSocket = {
      get isOpen() {
        return self.open;
      },
      send: (text) => this.deliver(text),
      close: (code) => {
        if (!this.open) return;
        this.open = false;
        this.closeCode = code;
        this.connection.closed(code);
      },
    };
    this.connection = engine.connect(socket);
  }

  get isOpen() {
    return this.open;
  }

  get seq() {
    return this.snapshot?.seq;
  }

  private deliver(text: string) {
    const parsed = serverMessageSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      this.problems.push(`invalid server frame: ${text}`);
      return;
    }
    const message = parsed.data;
    this.received.push(message);
    switch (message.type) {
      case 'welcome':
        this.snapshot = message.snapshot;
        break;
      case 'snapshot':
        if (this.snapshot && message.snapshot.seq < this.snapshot.seq) {
          this.problems.push(`snapshot went back from seq ${this.snapshot.seq} to ${message.snapshot.seq}`);
        }
        this.snapshot = message.snapshot;
        break;
      case 'state':
        if (!this.snapshot) {
          this.problems.push(`state ${message.seq} before the welcome`);
        } else if (message.seq !== this.snapshot.seq + 1) {
          this.problems.push(`state ${message.seq} after ${this.snapshot.seq}`);
        } else {
          this.snapshot = applyState(this.snapshot, message);
        }
        break;
      case 'pong':
      case 'ack':
      case 'error':
        break;
      default: {
        const never: never = message;
        this.problems.push(`unknown frame ${JSON.stringify(never)}`);
      }
    }
  }

  send(message: ClientMessage | Record<string, unknown>) {
    this.outbox.push(JSON.stringify(message));
    return this;
  }

  sendRaw(text: string) {
    this.outbox.push(text);
    return this;
  }

  hello(roomId: string, userId: string, extra: { lastSeq?: number; protocolVersion?: number } = {}) {
    return this.send({ type: 'hello', protocolVersion: 1, token: tokenFor(userId), roomId, ...extra });
  }

  /** Sends a command with a fresh id and returns the id. */
  command(command: Record<string, unknown> & { op: string }): string {
    // Unique across clients, as the activity's are (a random prefix per page): the room applies a
    // member's command id once, so a second client of the same user must not reuse the first's ids.
    const id = `${this.name}-${++commandIds}`;
    this.send({ type: 'command', id, ...command });
    return id;
  }

  report(state: 'ready' | 'buffering' | 'away', positionMs = 0, rev = this.snapshot?.playback.rev ?? 0) {
    return this.send({ type: 'report', state, positionMs, rev });
  }

  /** Hands everything queued to the server, in order, and waits until the engine is idle. */
  async flush() {
    for (const text of this.outbox.splice(0)) this.connection.receive(text);
    await this.engine.idle();
  }

  /** The client goes away: 1000 when it leaves on purpose, 1006 when the connection drops. */
  async close(code = 1000) {
    if (!this.open) return;
    this.open = false;
    this.closeCode = code;
    this.connection.closed(code);
    await this.engine.idle();
  }

  last<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }> | undefined {
    return this.received.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type).at(-1);
  }

  replyTo(id: string) {
    return this.received.find((m) => (m.type === 'ack' || m.type === 'error') && m.id === id);
  }

  clear() {
    this.received.length = 0;
  }
}
