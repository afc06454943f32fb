import {
  CLOSE_CODES,
  type ClientMessage,
  type CloseReason,
  type CommandIntent,
  clientMessageSchema,
  ERROR_REASONS,
  type ErrorCode,
  type ErrorMessage,
  type Hello,
  PROTOCOL_LIMITS,
  PROTOCOL_VERSION,
  type Report,
  type ServerMessage,
} from '@dpp/shared';
import type { Clock, HelloVouch, RoomObserver, RoomSocket, RoomUser, TimerHandle } from './ports.ts';
import { TokenBucket } from './token-bucket.ts';

export interface ConnectionLimits {
  helloTimeoutMs: number;
  maxPayloadBytes: number;
  /** Sustained inbound messages per second, and the burst above it (the join ping burst fits). */
  messagesPerSecond: number;
  messageBurst: number;
  /** Messages dropped by the rate limit before the socket is closed (refilled slowly). */
  floodAllowance: number;
  floodRefillPerSecond: number;
  /** Invalid frames tolerated before the socket is closed (refilled slowly). */
  badFrameAllowance: number;
  badFrameRefillPerSecond: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  helloTimeoutMs: PROTOCOL_LIMITS.helloTimeoutMs,
  maxPayloadBytes: PROTOCOL_LIMITS.maxPayloadBytes,
  messagesPerSecond: 20,
  messageBurst: 40,
  floodAllowance: 100,
  floodRefillPerSecond: 5,
  badFrameAllowance: 10,
  badFrameRefillPerSecond: 0.2,
};

/**
 * What a connection asks of its room engine (`RoomEngine` is one): declared here, so the engine
 * depends on its connections and not the other way round.
 */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly limits: ConnectionLimits;
  readonly observer: RoomObserver;
  authenticate(token: string): RoomUser | undefined;
  authorizeJoin(user: RoomUser, roomId: string, instanceId: string | undefined): Promise<boolean>;
  join(connection: RoomConnection, user: RoomUser, hello: Hello): Promise<void>;
  leave(connection: RoomConnection, roomId: string, userId: string, intentional: boolean): Promise<void>;
  command(
    roomId: string,
    actor: RoomUser,
    intent: CommandIntent,
    options: { commandId: string },
  ): Promise<{ ok: true } | { ok: false; code: ErrorCode; message: string }>;
  report(connection: RoomConnection, roomId: string, userId: string, report: Report): Promise<void>;
  observeRtt(roomId: string, userId: string, rttMs: number): Promise<void>;
  track<T>(promise: Promise<T>): Promise<T>;
  forget(connection: RoomConnection): void;
}

type Phase = 'awaiting-hello' | 'joining' | 'joined' | 'closed';

/** Close code 1000 from the client means it left on purpose (closed the activity); anything else is a drop. */
const GOODBYE = 1000;
const TOO_BIG = 1009;

/**
 * One client connection, as an explicit state machine: awaiting-hello → joining → joined → closed.
 * It validates every inbound frame, applies the per-socket limits, and turns frames into engine calls,
 * one at a time and in order (pings are answered at once: their timestamps must not wait in line).
 */
export class RoomConnection {
  phase: Phase = 'awaiting-hello';
  membership: { roomId: string; user: RoomUser } | undefined;
  /** The seq of the last broadcast this connection's own writes produced (see RoomEngine.report). */
  lastWriteSeq = 0;
  /** The player drift its client last reported (ms, player − expected), for the admin dashboard. */
  lastDriftMs: number | undefined;
  private helloTimer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly messages: TokenBucket;
  private readonly flood: TokenBucket;
  private readonly badFrames: TokenBucket;
  private toldRateLimited = false;
  private recordedRtt: number | undefined;
  /** The heartbeat's latest measurement, kept from before the join (the first ping goes out at once). */
  private latestRtt: number | undefined;

  constructor(
    private readonly engine: ConnectionHost,
    private readonly socket: RoomSocket,
    readonly id: string,
    private readonly vouch?: HelloVouch,
  ) {
    const now = () => engine.clock.now();
    const limits = engine.limits;
    this.messages = new TokenBucket(limits.messageBurst, limits.messagesPerSecond, now);
    this.flood = new TokenBucket(limits.floodAllowance, limits.floodRefillPerSecond, now);
    this.badFrames = new TokenBucket(limits.badFrameAllowance, limits.badFrameRefillPerSecond, now);
    this.helloTimer = engine.clock.setTimeout(() => {
      if (this.phase === 'awaiting-hello') this.closeFor('helloTimeout', 'No hello within 5 s.');
    }, limits.helloTimeoutMs);
  }

  send(message: ServerMessage) {
    if (!this.socket.isOpen) return;
    this.engine.observer.socketMessage('out', message.type);
    this.socket.send(JSON.stringify(message));
  }

  /** The hub's fan-out: text serialized once for every local connection (the hub counts them). */
  sendText(text: string): boolean {
    if (!this.socket.isOpen) return false;
    this.socket.send(text);
    return true;
  }

  private sendError(code: ErrorCode, message: string = ERROR_REASONS[code], id?: string) {
    const frame: ErrorMessage = { type: 'error', code, message, ...(id === undefined ? {} : { id }) };
    this.send(frame);
  }

  isClosed() {
    return this.phase === 'closed';
  }

  /** A text frame from the client. */
  receive(text: string) {
    if (this.phase === 'closed') return;
    const receivedAt = this.engine.clock.now();
    if (text.length > this.engine.limits.maxPayloadBytes) {
      this.closeWith(TOO_BIG, 'Frame too large.');
      return;
    }
    if (!this.messages.take()) {
      this.engine.observer.socketMessage('in', 'rate_limited');
      if (!this.flood.take()) {
        this.closeFor('rateLimited', 'Too many messages.');
      } else if (!this.toldRateLimited) {
        this.toldRateLimited = true;
        this.sendError('rate_limited');
      }
      return;
    }
    this.toldRateLimited = false;

    let message: ClientMessage;
    try {
      const parsed = clientMessageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
        this.badFrame(`Invalid frame${where}: ${issue?.message ?? 'not a protocol message'}.`);
        return;
      }
      message = parsed.data;
    } catch {
      this.badFrame('The frame is not JSON.');
      return;
    }
    this.engine.observer.socketMessage('in', message.type);

    if (message.type === 'ping') {
      this.send({ type: 'pong', id: message.id, t0: message.t0, t1: receivedAt, t2: this.engine.clock.now() });
      if (message.driftMs !== undefined && this.phase === 'joined') {
        this.lastDriftMs = message.driftMs;
        this.engine.observer.drift(message.driftMs);
      }
      return;
    }
    this.enqueue(() => this.handle(message));
  }

  /** A binary frame: the protocol is text only. */
  receiveBinary() {
    if (this.phase === 'closed') return;
    this.badFrame('Frames are JSON text.');
  }

  /** The transport reports the socket closed (by either side). */
  closed(code: number) {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.teardown(code === GOODBYE);
  }

  /** Heartbeat round trip measured by the transport. */
  observeRtt(rttMs: number) {
    this.latestRtt = rttMs;
    const membership = this.membership;
    if (!membership || this.phase !== 'joined') return;
    const last = this.recordedRtt;
    if (last !== undefined && Math.abs(rttMs - last) < Math.max(10, last * 0.25)) return;
    this.recordedRtt = rttMs;
    void this.engine.track(this.engine.observeRtt(membership.roomId, membership.user.userId, rttMs));
  }

  /** Closes the socket with one of the protocol's close codes. */
  closeFor(reason: CloseReason, text: string = reason) {
    this.closeWith(CLOSE_CODES[reason].code, text);
  }

  private closeWith(code: number, text: string) {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.socket.close(code, text.slice(0, 120));
    this.teardown(false);
  }

  private teardown(intentional: boolean) {
    if (this.helloTimer !== undefined) this.engine.clock.clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    // After whatever is queued (a join in flight must finish before it can be undone).
    this.enqueue(async () => {
      const membership = this.membership;
      if (membership) await this.engine.leave(this, membership.roomId, membership.user.userId, intentional);
      this.engine.forget(this);
    });
  }

  private badFrame(message: string) {
    this.engine.observer.socketMessage('in', 'invalid');
    if (!this.badFrames.take()) {
      this.closeFor('badFrames', 'Too many invalid frames.');
      return;
    }
    this.sendError('bad_frame', message);
  }

  private enqueue(task: () => Promise<void>) {
    this.chain = this.engine.track(this.chain.then(task, task));
  }

  private async handle(message: Exclude<ClientMessage, { type: 'ping' }>): Promise<void> {
    switch (message.type) {
      case 'hello': {
        if (this.phase !== 'awaiting-hello') {
          if (this.phase !== 'closed') this.sendError('already_joined');
          return;
        }
        this.phase = 'joining';
        if (this.helloTimer !== undefined) this.engine.clock.clearTimeout(this.helloTimer);
        if (message.protocolVersion !== PROTOCOL_VERSION) {
          this.sendError(
            'unsupported_version',
            `This server speaks protocol version ${PROTOCOL_VERSION}, not ${message.protocolVersion}.`,
          );
          this.closeFor('unsupportedVersion');
          return;
        }
        const user = this.engine.authenticate(message.token);
        if (!user) {
          this.sendError('unauthorized');
          this.closeFor('unauthorized');
          return;
        }
        const refusal = this.vouch?.(message.token);
        if (refusal) {
          this.sendError(refusal.reason, refusal.message);
          this.closeFor(refusal.reason, refusal.message);
          return;
        }
        let allowed: boolean;
        try {
          allowed = await this.engine.authorizeJoin(user, message.roomId, message.instanceId);
        } catch {
          // The check could not be made (Discord unreachable): a retry may succeed.
          this.sendError('unavailable', 'Could not confirm your activity instance with Discord; try again shortly.');
          this.closeFor('unavailable');
          return;
        }
        if (!allowed) {
          this.sendError('forbidden');
          this.closeFor('forbidden');
          return;
        }
        if (this.isClosed()) return;
        try {
          this.membership = { roomId: message.roomId, user };
          await this.engine.join(this, user, message);
          if (!this.isClosed()) {
            this.phase = 'joined';
            if (this.latestRtt !== undefined) this.observeRtt(this.latestRtt);
          }
        } catch {
          this.membership = undefined;
          this.sendError('unavailable');
          this.closeFor('unavailable');
        }
        return;
      }
      case 'command': {
        const membership = this.membership;
        if (this.phase !== 'joined' || !membership) {
          if (this.phase !== 'closed') this.sendError('not_joined', ERROR_REASONS.not_joined, message.id);
          return;
        }
        const startedAt = Date.now();
        const began = performance.now();
        const result = await this.engine.command(membership.roomId, membership.user, message, {
          commandId: message.id,
        });
        if (result.ok) this.send({ type: 'ack', id: message.id });
        else this.sendError(result.code, result.message, message.id);
        this.engine.observer.command({
          op: message.op,
          roomId: membership.roomId,
          startedAt,
          durationMs: performance.now() - began,
          outcome: result.ok ? 'ok' : result.code,
        });
        return;
      }
      case 'report': {
        const membership = this.membership;
        if (this.phase !== 'joined' || !membership) {
          if (this.phase !== 'closed') this.sendError('not_joined');
          return;
        }
        await this.engine.report(this, membership.roomId, membership.user.userId, message);
        return;
      }
      default: {
        const never: never = message;
        throw new Error(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }
}
