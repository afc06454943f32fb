/**
 * What the room engine needs from the world, as small interfaces: a socket, a clock, the library,
 * the guild's permissions and the watch history. The Fastify host wires the real ones; tests pass fakes.
 */
import type { ItemInfo } from './room-logic.ts';
import type { RoomRecord } from './room-record.ts';
import type { NextEpisode } from './up-next.ts';

/** The transport, reduced to what the engine uses (a `ws` socket, or an in-memory pair in tests). */
export interface RoomSocket {
  readonly isOpen: boolean;
  send(text: string): void;
  close(code: number, reason: string): void;
}

export { type Clock, systemClock, type TimerHandle } from '@dpp/shared';

/** A signed-in user, as the rooms know them. */
export interface RoomUser {
  userId: string;
  name: string;
  avatar: string | null;
}

/**
 * The transport's word on a hello's (valid) session token: undefined to let it in, or why not
 * (`unauthorized`: it did not come the way this user must come; `forbidden`: it came for someone else).
 */
export type HelloVouch = (token: string) => { reason: 'unauthorized' | 'forbidden'; message: string } | undefined;

/**
 * Title, duration and thumbnail of a library item, for queue entries. Resolves undefined for an
 * id the library does not know; rejects when the library cannot answer.
 */
export type ItemLookup = (itemId: string, roomId: string) => Promise<ItemInfo | undefined>;

/** Until a library is wired in, every item is unknown (loads and queue adds answer `unknown_item`). */
export const noLibrary: ItemLookup = async () => undefined;

/** The episode after `itemId` (across seasons), undefined after the last one or for a film; rejects when the library cannot answer. */
export type NextEpisodeLookup = (itemId: string, roomId: string) => Promise<NextEpisode | undefined>;

export const noNextEpisode: NextEpisodeLookup = async () => undefined;

/**
 * Sees every write of a room (before and after), to keep where each item was left (play_progress).
 * Never throws and never holds the room.
 */
export interface ProgressObserver {
  observe(before: RoomRecord | undefined, after: RoomRecord | undefined, now: number): void;
  /**
   * How to read a room as the store has it now (given by the engine): a room may change on another
   * instance, so a periodic write reads it first rather than trusting the last write it saw here.
   * `track` hands the engine work it waits for when it goes idle or closes.
   */
  bind?(read: (roomId: string) => Promise<RoomRecord | undefined>, track: <T>(promise: Promise<T>) => Promise<T>): void;
}

/** Whether the guild grants this user host powers (DJ role, Manage Server). Discord mode fills this in. */
export type PrivilegeCheck = (roomId: string, userId: string) => Promise<boolean>;

export const noPrivileges: PrivilegeCheck = async () => false;

/** Watch history in PostgreSQL. Best effort: implementations never throw and never block a command. */
export interface WatchLog {
  started(session: { sessionId: string; roomId: string; instanceId: string | null; at: number }): void;
  item(sessionId: string, roomId: string, item: { itemId: string; title: string; startedAt: number }): void;
  ended(sessionId: string, roomId: string, at: number): void;
}

export const noWatchLog: WatchLog = { started() {}, item() {}, ended() {} };

/**
 * The audit log (PostgreSQL's `audit_log`): who changed who holds the remote, who removed whom.
 * Best effort, like the watch log: never throws, never holds a command.
 */
export interface RoomAudit {
  record(entry: { roomId: string; actorId: string; action: string; details: Record<string, unknown> }): void;
}

export const noAudit: RoomAudit = { record() {} };

/**
 * The durable copy of each room (the database), written behind the live RoomStore: what a restart or
 * a Redis that lost its data restores the room from. `save` and `remove` never throw and never hold a
 * command: they are coalesced per room and written off the command path.
 */
export interface RoomArchive {
  /** The room's last saved state and the last instant an instance vouched for it; rejects when unreadable. */
  load(roomId: string): Promise<{ record: RoomRecord; savedAt: number } | undefined>;
  save(record: RoomRecord): void;
  /** The room ended: its copy goes (only that incarnation's, so a newer one is kept). */
  remove(roomId: string, epoch: string): void;
  /** Rooms this instance holds live: their copies stay current (a playing room's restart instant). */
  vouch(roomIds: string[]): void;
  /** Writes everything pending now (clean shutdown); resolves when written or given up. */
  flush(): Promise<void>;
}

/** Counters and timings for /metrics, without tying the engine to prom-client. */
export interface RoomObserver {
  socketMessage(direction: 'in' | 'out', type: string, count?: number): void;
  /** Time from accepting an input to handing its broadcast to every local socket. */
  broadcast(latencyMs: number): void;
  /** Rooms with members on this instance. */
  localRooms(count: number): void;
  /** A member's player drift (player position − expected), as its client measured and reported it. */
  drift(driftMs: number): void;
  /** A command from a room socket, handled: for traces. `outcome` is `ok` or the error code sent back. */
  command(event: { op: string; roomId: string; startedAt: number; durationMs: number; outcome: string }): void;
}

export const noObserver: RoomObserver = {
  socketMessage() {},
  broadcast() {},
  localRooms() {},
  drift() {},
  command() {},
};

export interface RoomLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Liveness of the instances that share a room store (Redis). Every instance renews its own lease;
 * one whose lease has lapsed died without a clean shutdown, and the living take its connections
 * out of the rooms (its members turn away, and leave after the grace period as usual).
 */
export interface InstanceLeases {
  /** Marks the instance alive for `ttlMs`; false when its lease had lapsed (it was taken for dead). */
  renew(instanceId: string, ttlMs: number): Promise<boolean>;
  alive(instanceId: string): Promise<boolean>;
}

/** Leases as cache entries with a TTL: the shared Redis cache when configured. */
export function cacheLeases(cache: {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
}): InstanceLeases {
  const key = (instanceId: string) => `roomlease:${instanceId}`;
  return {
    async renew(instanceId, ttlMs) {
      const held = (await cache.get<number>(key(instanceId))) !== undefined;
      await cache.set(key(instanceId), 1, ttlMs);
      return held;
    },
    async alive(instanceId) {
      return (await cache.get<number>(key(instanceId))) !== undefined;
    },
  };
}
