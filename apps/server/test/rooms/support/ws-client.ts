import { applyState, type RoomSnapshot, type ServerMessage, serverMessageSchema } from '@dpp/shared';
import WebSocket from 'ws';

type Of<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/**
 * A protocol client over a real WebSocket: keeps every frame, applies broadcasts to its snapshot,
 * notes any seq it cannot account for, and lets a test wait for the next frame of a kind.
 */
export class WsClient {
  readonly received: ServerMessage[] = [];
  readonly problems: string[] = [];
  snapshot: RoomSnapshot | undefined;
  closed: Promise<{ code: number; reason: string }>;
  pings = 0;
  private waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  private nextId = 1;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('ping', () => {
      this.pings += 1;
    });
    socket.on('message', (data) => this.onMessage(data.toString()));
  }

  static connect(url: string, options: { origin?: string } = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options.origin ? { origin: options.origin } : {});
      const client = new WsClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
  }

  private onMessage(text: string) {
    const parsed = serverMessageSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      this.problems.push(`invalid server frame ${text}`);
      return;
    }
    const message = parsed.data;
    this.received.push(message);
    if (message.type === 'welcome' || message.type === 'snapshot') {
      if (message.type === 'snapshot' && this.snapshot && message.snapshot.seq < this.snapshot.seq) {
        this.problems.push(`snapshot went back to ${message.snapshot.seq}`);
      }
      this.snapshot = message.snapshot;
    } else if (message.type === 'state') {
      if (!this.snapshot || message.seq !== this.snapshot.seq + 1) {
        this.problems.push(`state ${message.seq} after ${this.snapshot?.seq}`);
      } else {
        this.snapshot = applyState(this.snapshot, message);
      }
    }
    const matched = this.waiters.filter((w) => w.match(message));
    this.waiters = this.waiters.filter((w) => !matched.includes(w));
    for (const waiter of matched) waiter.resolve(message);
  }

  /** The next frame (from now on) that matches; fails after 5 s. */
  frame(match: (m: ServerMessage) => boolean, what = 'a frame'): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: ServerMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${what} within 5 s`));
      }, 5000);
      this.waiters.push(waiter);
    });
  }

  async next<T extends ServerMessage['type']>(type: T, match: (m: Of<T>) => boolean = () => true): Promise<Of<T>> {
    return (await this.frame((m) => m.type === type && match(m as Of<T>), `a ${type} frame`)) as Of<T>;
  }

  /** Resolves once the client's snapshot satisfies `check` (checked on every frame). */
  async until(check: (snapshot: RoomSnapshot) => boolean): Promise<RoomSnapshot> {
    if (this.snapshot && check(this.snapshot)) return this.snapshot;
    await this.frame(
      (m) => (m.type === 'state' || m.type === 'snapshot') && this.snapshot !== undefined && check(this.snapshot),
      'the awaited room state',
    );
    return this.snapshot as RoomSnapshot;
  }

  send(message: unknown) {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async hello(token: string, roomId: string, extra: Record<string, unknown> = {}) {
    const welcome = this.next('welcome');
    this.send({ type: 'hello', protocolVersion: 1, token, roomId, ...extra });
    return welcome;
  }

  /** Sends a command and resolves with its ack or error. */
  async command(command: Record<string, unknown>) {
    const id = `c${this.nextId++}`;
    const reply = this.frame((m) => (m.type === 'ack' || m.type === 'error') && m.id === id, `the reply to ${id}`);
    this.send({ type: 'command', id, ...command });
    return reply;
  }

  close(code = 1000) {
    this.socket.close(code);
    return this.closed;
  }
}
