import { applyState, type RoomSnapshot } from '@dpp/shared';
import type { EventBus } from '../infra/event-bus.ts';
import { type Envelope, envelopeSchema, roomChannel } from './bus-messages.ts';
import type { Clock, RoomLogger, RoomObserver, TimerHandle } from './ports.ts';
import { itemEndsAt } from './room-logic.ts';
import type { RoomRecord } from './room-record.ts';
import { toSnapshot } from './room-record.ts';
import { creditsStartAt } from './up-next.ts';

/** A connection as the hub sees it: somewhere to send text. */
export interface HubMember {
  /** Whether it was sent (the socket was open). */
  sendText(text: string): boolean;
}

/** The room timers an instance runs: end of item, end of a wait, credits reached, "Up next" due. */
export type TimerKind = 'item' | 'wait' | 'credits' | 'upnext';

/** What the hub needs from its engine. */
export interface HubHost {
  readonly clock: Clock;
  readonly bus: Pick<EventBus, 'subscribe'>;
  readonly observer: Pick<RoomObserver, 'broadcast' | 'socketMessage'>;
  readonly log: RoomLogger;
  readRoom(roomId: string): Promise<RoomRecord | undefined>;
  /**
   * A room timer ran out (`rev`: the playback it was armed for; 0 for "Up next"): the engine re-checks
   * against the store, so a duplicate from another instance is a no-op.
   */
  fired(roomId: string, kind: TimerKind, rev: number): void;
  /** Local connections whose member the store no longer has (the store lost data): join them again. */
  rejoin(roomId: string, members: HubMember[]): void;
}

type Position =
  | { kind: 'pending' }
  | { kind: 'active'; epoch: string; seq: number; connectionId: string; userId: string };

const perfNow = () => performance.timeOrigin + performance.now();

/**
 * The room on this instance: one bus subscription, a mirror of the public state, and the local
 * connections. Each connection gets the broadcasts in seq order with no gap: a connection that
 * would see one (it joined while broadcasts were in flight, the bus dropped a message, the room was
 * recreated) gets a snapshot instead. The mirror also drives the room's timers on this instance.
 */
export class RoomHub {
  mirror: RoomSnapshot | undefined;
  private creditsFiredRev: number | undefined;

  /** The credits of playback `rev` were handled: their timer is not armed again for that rev. */
  creditsHandled(rev: number) {
    this.creditsFiredRev = rev;
  }
  epoch: string | undefined;
  private readonly positions = new Map<HubMember, Position>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private buffered: Envelope[] = [];
  private timers: TimerHandle[] = [];
  private closed = false;

  constructor(
    readonly roomId: string,
    private readonly host: HubHost,
  ) {}

  get size() {
    return this.positions.size;
  }

  async open(): Promise<void> {
    this.unsubscribe = await this.host.bus.subscribe(roomChannel(this.roomId), (message) => this.receive(message));
    await this.resync();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    this.positions.clear();
    await this.unsubscribe?.();
  }

  /** A connection that is joining: it gets nothing until `activate` (after its welcome). */
  attach(member: HubMember) {
    this.positions.set(member, { kind: 'pending' });
  }

  detach(member: HubMember) {
    this.positions.delete(member);
  }

  /** The connection got a welcome with this room state; from here on it follows the broadcasts. */
  activate(member: HubMember, record: RoomRecord, connectionId: string, userId: string) {
    if (!this.positions.has(member)) return;
    this.positions.set(member, { kind: 'active', epoch: record.epoch, seq: record.seq, connectionId, userId });
    // Broadcasts that came while it was joining went past it: a snapshot covers them. A mirror of
    // another incarnation of the room (or none) is re-read; the resync then catches everyone up.
    if (!this.mirror || this.epoch !== record.epoch) void this.resync();
    else if (this.mirror.seq > record.seq) this.sendSnapshot(member, 'gap');
  }

  /** Re-reads the room after the bus may have lost messages (it reconnected). */
  refresh() {
    void this.resync();
  }

  private receive(message: unknown) {
    if (this.closed) return;
    const parsed = envelopeSchema.safeParse(message);
    if (!parsed.success) {
      this.host.log.warn({ roomId: this.roomId, err: parsed.error }, 'dropped a malformed room broadcast');
      return;
    }
    const envelope = parsed.data;
    if (this.resyncing) {
      this.buffered.push(envelope);
      return;
    }
    this.apply(envelope);
  }

  private apply(envelope: Envelope) {
    const { frame } = envelope;
    if (!this.mirror || envelope.epoch !== this.epoch) {
      this.buffered.push(envelope);
      void this.resync();
      return;
    }
    if (frame.seq <= this.mirror.seq) return;
    if (frame.seq > this.mirror.seq + 1) {
      this.buffered.push(envelope);
      void this.resync();
      return;
    }
    this.mirror = applyState(this.mirror, frame);
    const text = JSON.stringify(frame);
    let sent = 0;
    for (const [member, position] of this.positions) {
      if (position.kind !== 'active') continue;
      if (position.epoch !== envelope.epoch || frame.seq > position.seq + 1) {
        this.sendSnapshot(member, 'gap');
      } else if (frame.seq === position.seq + 1) {
        position.seq = frame.seq;
        if (member.sendText(text)) sent += 1;
      }
    }
    if (sent > 0) this.host.observer.socketMessage('out', 'state', sent);
    this.host.observer.broadcast(perfNow() - envelope.acceptedAt);
    this.schedule();
  }

  private sendSnapshot(member: HubMember, reason: 'gap' | 'resync') {
    const position = this.positions.get(member);
    if (!this.mirror || !this.epoch || position?.kind !== 'active') return;
    position.epoch = this.epoch;
    position.seq = this.mirror.seq;
    if (member.sendText(JSON.stringify({ type: 'snapshot', reason, snapshot: this.mirror }))) {
      this.host.observer.socketMessage('out', 'snapshot', 1);
    }
  }

  /** One resync at a time; a request while one runs makes it run once more. */
  private resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = this.runResync();
    return this.resyncing;
  }

  private async runResync(): Promise<void> {
    try {
      do {
        this.resyncAgain = false;
        await this.resyncOnce();
      } while (this.resyncAgain && !this.closed);
    } finally {
      this.resyncing = undefined;
    }
    // In the same tick as `resyncing` is cleared: nothing can slip into the buffer unseen.
    const pending = this.buffered;
    this.buffered = [];
    for (const envelope of pending) this.apply(envelope);
    // Connections activated while the store was being read may be behind the mirror now.
    for (const [member, position] of this.positions) {
      if (position.kind !== 'active' || !this.mirror) continue;
      if (position.epoch !== this.epoch || position.seq < this.mirror.seq) this.sendSnapshot(member, 'resync');
    }
  }

  private async resyncOnce(): Promise<void> {
    let record: RoomRecord | undefined;
    try {
      record = await this.host.readRoom(this.roomId);
    } catch (error) {
      // The store is unreachable: keep what we have; the next message or reconnect tries again.
      this.host.log.warn({ err: error, roomId: this.roomId }, 'room resync failed');
      return;
    }
    if (this.closed) return;
    this.mirror = record && toSnapshot(record);
    this.epoch = record?.epoch;
    const pending = this.buffered;
    this.buffered = [];
    for (const [member, position] of this.positions) {
      if (position.kind !== 'active') continue;
      if (position.epoch !== this.epoch || position.seq < (this.mirror?.seq ?? 0)) this.sendSnapshot(member, 'resync');
    }
    for (const envelope of pending) {
      if (this.mirror && envelope.epoch === this.epoch && envelope.frame.seq > this.mirror.seq) this.apply(envelope);
    }
    this.schedule();
    const orphans = [...this.positions].filter(
      ([, p]) =>
        p.kind === 'active' &&
        !record?.members.some((m) => m.userId === p.userId && m.connections.includes(p.connectionId)),
    );
    if (orphans.length > 0) {
      this.host.rejoin(
        this.roomId,
        orphans.map(([member]) => member),
      );
    }
  }

  private clearTimers() {
    for (const timer of this.timers) this.host.clock.clearTimeout(timer);
    this.timers = [];
  }

  /** (Re)arms the timers this instance runs for the room: end of item, end of a wait, credits, "Up next". */
  schedule(retry?: { kind: TimerKind; inMs: number }) {
    this.clearTimers();
    const room = this.mirror;
    if (this.closed || !room) return;
    const now = this.host.clock.now();
    const { rev } = room.playback;
    const creditsAt = creditsStartAt(room);
    // Once per playback rev: a broadcast that re-arms the timers does not announce twice.
    if (creditsAt !== undefined && !room.upNext && this.creditsFiredRev !== rev) {
      const inMs = retry?.kind === 'credits' ? retry.inMs : creditsAt - now;
      this.arm('credits', rev, inMs);
    }
    if (room.upNext) {
      const inMs = retry?.kind === 'upnext' ? retry.inMs : room.upNext.startsAt - now;
      this.arm('upnext', 0, inMs);
    }
    const endsAt = itemEndsAt(room);
    if (endsAt !== undefined) {
      const inMs = retry?.kind === 'item' ? retry.inMs : endsAt - now;
      this.arm('item', rev, inMs);
    }
    if (room.playback.status === 'waiting' && room.playback.waitUntil !== null) {
      const inMs = retry?.kind === 'wait' ? retry.inMs : room.playback.waitUntil - now;
      this.arm('wait', rev, inMs);
    }
  }

  private arm(kind: TimerKind, rev: number, inMs: number) {
    this.timers.push(this.host.clock.setTimeout(() => this.host.fired(this.roomId, kind, rev), Math.max(0, inMs)));
  }
}
