import type { ServerClock } from '@dpp/shared';
import {
  CLOSE_CODES,
  type Clock,
  ClockSync,
  type CommandIntent,
  type ErrorCode,
  type ErrorMessage,
  mayReconnect,
  PROTOCOL_VERSION,
  type Report,
  type SnapshotMessage,
  type StateMessage,
  SYNC,
  serverMessageSchema,
  type Welcome,
} from '@dpp/shared';

/** `ended`: the server ended the room (close 4007): the party is over, nothing to retry. */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'failed' | 'ended' | 'closed';

export interface SocketHandlers {
  open(): void;
  message(data: string): void;
  close(code: number, reason: string): void;
}

/** The transport, so tests can hand the connection an in-memory socket. */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

export interface ConnectionListener {
  status(status: ConnectionStatus, detail: { code?: number; reason?: string; attempt: number }): void;
  welcome(message: Welcome): void;
  state(message: StateMessage): void;
  snapshot(message: SnapshotMessage): void;
  /** An error frame that answers no command of ours (e.g. forbidden before a close). */
  error(message: ErrorMessage): void;
}

export interface RoomSocketClientOptions {
  url: string;
  roomId: string;
  instanceId?: string;
  /** The session token for `hello`. */
  token: () => string;
  /** Gets a fresh session after the server said the token is no good (4001); undefined = cannot. */
  renewSession?: () => Promise<void>;
  createSocket: SocketFactory;
  /** Local time (monotonic in the browser) and timers. */
  clock: Clock;
  listener: ConnectionListener;
  /** Reconnect delays: min(base·2^attempt, max) with ±25% jitter. */
  backoff?: { baseMs: number; maxMs: number };
  /** A socket that has been silent this long (no pong, nothing) is considered dead. */
  staleAfterMs?: number;
  /** How long a command waits for its ack. */
  commandTimeoutMs?: number;
  random?: () => number;
}

/** Why a command failed: a server error reason, or what happened to the connection. */
export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly code: ErrorCode | 'offline' | 'timeout' | 'connection_lost',
    message: string,
  ) {
    super(message);
  }
}

interface PendingCommand {
  resolve: () => void;
  reject: (error: CommandError) => void;
  timer: unknown;
}

const WS_OPEN_TIMEOUT_MS = 10_000;

/**
 * The room WebSocket, as a small state machine: connect → hello → welcome (open) → … → dropped →
 * reconnect with backoff and `lastSeq` → welcome with a fresh snapshot. It keeps the clock estimate
 * (a ping burst at every join, then periodic pings), matches command acks and errors to their
 * promises, and treats a gap in `seq` or a silent socket as a dropped connection.
 */
export class RoomSocketClient implements ServerClock {
  readonly clockSync = new ClockSync();
  private socket: SocketLike | null = null;
  private state: ConnectionStatus = 'connecting';
  private joined = false;
  private stopped = false;
  private attempt = 0;
  private lastSeq: number | undefined;
  private commandSeq = 0;
  /** Makes this client's command ids unique in the room (another tab of the same user counts from 1 too). */
  private readonly idPrefix: string;
  private pingSeq = 0;
  private pingsSent = 0;
  private readonly pendingPings = new Map<number, number>();
  private readonly pending = new Map<string, PendingCommand>();
  private pingTimer: unknown;
  private reconnectTimer: unknown;
  private openTimer: unknown;
  private lastInbound = 0;
  private coarseOffset: number | null = null;
  private renewedAfterUnauthorized = false;
  /** The player's latest drift while in step, carried on pings for the server's metrics. */
  private driftMs: number | undefined;

  constructor(private readonly options: RoomSocketClientOptions) {
    this.idPrefix = Math.floor((options.random ?? Math.random)() * 36 ** 8)
      .toString(36)
      .padStart(8, '0');
  }

  get status(): ConnectionStatus {
    return this.state;
  }

  /**
   * ServerClock: the join burst of pings is in. The estimate outlives a dropped connection, so the
   * player stays in step with the last known playback while the app reconnects.
   */
  get ready(): boolean {
    return this.clockSync.ready;
  }

  /** ServerClock: the server clock now; a coarse offset from the welcome until pings answer. */
  serverNow(): number {
    const local = this.options.clock.now();
    if (this.clockSync.sampleCount > 0) return this.clockSync.serverNow(local);
    return local + (this.coarseOffset ?? 0);
  }

  start(): void {
    this.connect();
  }

  /** Closes for good (a deliberate goodbye: the server removes the member at once). */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.rejectAll('connection_lost', 'The connection was closed.');
    this.socket?.close(1000, 'bye');
    this.socket = null;
    this.setStatus('closed', {});
  }

  /** Drops the socket as if the network had (for the reconnect path and tests). */
  drop(): void {
    this.socket?.close(4999, 'dropped by client');
    this.onClose(4999, 'dropped by client');
  }

  /**
   * A command id no other command of this client uses: the server applies a command once per id, so
   * sending it again under the same id (a retry) can never apply it twice.
   */
  newCommandId(): string {
    this.commandSeq += 1;
    return `${this.idPrefix}-${this.commandSeq}`;
  }

  command(intent: CommandIntent, id: string = this.newCommandId()): Promise<void> {
    if (!this.joined || !this.socket) {
      return Promise.reject(new CommandError('offline', 'Not connected to the room right now; try again in a moment.'));
    }
    return new Promise<void>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new CommandError('timeout', 'The server did not answer in time.'));
      }, this.options.commandTimeoutMs ?? 10_000);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ type: 'command', id, ...intent });
    });
  }

  /** The player's drift while it plays in step (null when it does not): sent along with the next ping. */
  noteDrift(driftMs: number | null): void {
    this.driftMs = driftMs === null || !Number.isFinite(driftMs) ? undefined : Math.round(driftMs);
  }

  report(report: Omit<Report, 'type'>): boolean {
    if (!this.joined) return false;
    this.send({ type: 'report', ...report });
    return true;
  }

  // ------------------------------------------------------------------------------------------

  private connect(): void {
    if (this.stopped) return;
    this.joined = false;
    this.setStatus(this.attempt === 0 ? 'connecting' : 'reconnecting', {});
    const socket = this.options.createSocket(this.options.url, {
      open: () => {
        if (this.socket !== socket) return;
        this.lastInbound = this.options.clock.now();
        this.send({
          type: 'hello',
          protocolVersion: PROTOCOL_VERSION,
          token: this.options.token(),
          roomId: this.options.roomId,
          ...(this.options.instanceId ? { instanceId: this.options.instanceId } : {}),
          ...(this.lastSeq !== undefined ? { lastSeq: this.lastSeq } : {}),
        });
      },
      message: (data) => {
        if (this.socket === socket) this.onMessage(data);
      },
      close: (code, reason) => {
        if (this.socket === socket) this.onClose(code, reason);
      },
    });
    this.socket = socket;
    // Neither a welcome nor a close in time (a black-holed network): try again.
    this.openTimer = this.options.clock.setTimeout(() => {
      if (this.socket === socket && !this.joined) {
        socket.close(4998, 'join timed out');
        this.onClose(4998, 'join timed out');
      }
    }, WS_OPEN_TIMEOUT_MS);
  }

  private send(frame: object): void {
    try {
      this.socket?.send(JSON.stringify(frame));
    } catch (error) {
      console.warn('Could not send on the room socket', error);
    }
  }

  private onMessage(data: string): void {
    this.lastInbound = this.options.clock.now();
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      console.warn('Ignoring a frame that is not JSON');
      return;
    }
    const parsed = serverMessageSchema.safeParse(json);
    if (!parsed.success) {
      console.warn('Ignoring an unexpected frame', parsed.error.issues);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'welcome':
        this.onWelcome(message);
        return;
      case 'pong': {
        const sentAt = this.pendingPings.get(message.id);
        if (sentAt === undefined) return;
        this.pendingPings.delete(message.id);
        this.clockSync.addSample({ t0: sentAt, t1: message.t1, t2: message.t2, t3: this.options.clock.now() });
        return;
      }
      case 'state':
        if (this.lastSeq !== undefined && message.seq <= this.lastSeq) return;
        if (this.lastSeq !== undefined && message.seq !== this.lastSeq + 1) {
          // Something was lost: rejoin with lastSeq and the server answers with the whole room.
          this.drop();
          return;
        }
        this.lastSeq = message.seq;
        this.options.listener.state(message);
        return;
      case 'snapshot':
        this.lastSeq = message.snapshot.seq;
        this.options.listener.snapshot(message);
        return;
      case 'ack': {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        this.options.clock.clearTimeout(pending.timer);
        pending.resolve();
        return;
      }
      case 'error': {
        const pending = message.id === undefined ? undefined : this.pending.get(message.id);
        if (pending && message.id !== undefined) {
          this.pending.delete(message.id);
          this.options.clock.clearTimeout(pending.timer);
          pending.reject(new CommandError(message.code, message.message));
          return;
        }
        this.options.listener.error(message);
        return;
      }
      default: {
        const never: never = message;
        console.warn('Unknown frame', never);
      }
    }
  }

  private onWelcome(message: Welcome): void {
    this.options.clock.clearTimeout(this.openTimer);
    this.joined = true;
    this.attempt = 0;
    this.renewedAfterUnauthorized = false;
    this.lastSeq = message.snapshot.seq;
    // The kept samples stay: server clocks are NTP-disciplined, and the estimator ages old samples
    // out (their uncertainty grows with age), so a fresh burst takes over within a second.
    this.pendingPings.clear();
    this.coarseOffset = message.serverTime - this.options.clock.now();
    this.pingsSent = 0;
    this.options.listener.welcome(message);
    this.setStatus('open', {});
    this.schedulePing(0);
  }

  private schedulePing(delay: number): void {
    this.options.clock.clearTimeout(this.pingTimer);
    this.pingTimer = this.options.clock.setTimeout(() => this.ping(), delay);
  }

  private ping(): void {
    if (!this.joined) return;
    const now = this.options.clock.now();
    const staleAfter = this.options.staleAfterMs ?? 3 * SYNC.clockPingIntervalMs + 1500;
    if (now - this.lastInbound > staleAfter) {
      this.drop();
      return;
    }
    this.pingSeq += 1;
    this.pingsSent += 1;
    this.pendingPings.set(this.pingSeq, now);
    if (this.pendingPings.size > 16) {
      const oldest = this.pendingPings.keys().next().value;
      if (oldest !== undefined) this.pendingPings.delete(oldest);
    }
    this.send({
      type: 'ping',
      id: this.pingSeq,
      t0: now,
      ...(this.driftMs === undefined ? {} : { driftMs: this.driftMs }),
    });
    this.schedulePing(this.pingsSent < SYNC.clockBurstSamples ? SYNC.clockBurstIntervalMs : SYNC.clockPingIntervalMs);
  }

  private onClose(code: number, reason: string): void {
    if (this.stopped) return;
    this.socket = null;
    this.joined = false;
    this.clearTimers();
    this.rejectAll('connection_lost', 'The connection dropped before the server answered.');
    if (code === CLOSE_CODES.unauthorized.code && this.options.renewSession && !this.renewedAfterUnauthorized) {
      this.renewedAfterUnauthorized = true;
      this.setStatus('reconnecting', { code, reason, attempt: this.attempt });
      this.options.renewSession().then(
        () => this.connect(),
        () => this.setStatus('failed', { code, reason: 'Your session expired. Reload to sign in again.', attempt: 0 }),
      );
      return;
    }
    if (code === CLOSE_CODES.roomEnded.code) {
      this.setStatus('ended', { code, reason: reason || undefined, attempt: this.attempt });
      return;
    }
    if (!mayReconnect(code)) {
      this.setStatus('failed', { code, reason: reason || undefined, attempt: this.attempt });
      return;
    }
    this.attempt += 1;
    const { baseMs, maxMs } = this.options.backoff ?? { baseMs: 250, maxMs: 5000 };
    const random = this.options.random ?? Math.random;
    const exponent = Math.min(this.attempt - 1, 10);
    const delay = Math.min(maxMs, baseMs * 2 ** exponent) * (0.75 + random() * 0.5);
    this.setStatus('reconnecting', { code, reason, attempt: this.attempt });
    this.reconnectTimer = this.options.clock.setTimeout(() => this.connect(), delay);
  }

  private rejectAll(code: 'connection_lost', message: string): void {
    for (const [id, pending] of this.pending) {
      this.options.clock.clearTimeout(pending.timer);
      pending.reject(new CommandError(code, message));
      this.pending.delete(id);
    }
  }

  private clearTimers(): void {
    this.options.clock.clearTimeout(this.pingTimer);
    this.options.clock.clearTimeout(this.reconnectTimer);
    this.options.clock.clearTimeout(this.openTimer);
  }

  private setStatus(status: ConnectionStatus, detail: { code?: number; reason?: string; attempt?: number }): void {
    this.state = status;
    this.options.listener.status(status, { ...detail, attempt: detail.attempt ?? this.attempt });
  }
}

/** The browser transport: a WebSocket on the page's own origin (`/ws`; Discord proxies it). */
export function browserSocketFactory(url: string, handlers: SocketHandlers): SocketLike {
  const socket = new WebSocket(url);
  socket.onopen = () => handlers.open();
  socket.onmessage = (event: MessageEvent) => {
    if (typeof event.data === 'string') handlers.message(event.data);
  };
  let closed = false;
  socket.onclose = (event: CloseEvent) => {
    if (closed) return;
    closed = true;
    handlers.close(event.code, event.reason);
  };
  return {
    send: (data) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(data);
    },
    close: (code, reason) => {
      closed = true;
      try {
        // Browsers only allow 1000 and 3000–4999 from scripts.
        socket.close(code !== undefined && (code === 1000 || (code >= 3000 && code <= 4999)) ? code : 1000, reason);
      } catch {
        // already closing
      }
    },
  };
}

/** `ws(s)://<this origin>/ws` */
export function roomSocketUrl(location: Location): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}
