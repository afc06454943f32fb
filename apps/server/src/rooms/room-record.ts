import type {
  Member,
  Playback,
  QueueEntry,
  ReactionMark,
  RoomChanges,
  RoomSettings,
  RoomSnapshot,
  UpNext,
} from '@dpp/shared';
import { VOICE_CONNECTION } from './room-logic.ts';

/** A member as the store keeps it: the public fields plus what only the server needs. */
export interface MemberRecord extends Member {
  /** Open connections of this user in the room, on any instance. */
  connections: string[];
  joinedAt: number;
  /**
   * True while the member is not in step with the room: just joined, back from away, or lagging.
   * Such a member's buffering never makes the room wait (late joiners never pause the room).
   */
  catchingUp: boolean;
  /** When the last connection dropped; the member is removed after the away grace period. */
  awaySince: number | null;
  /** When the room last stopped waiting for this member; a stall soon after does not make it wait again. */
  laggedAt: number | null;
  /** Round-trip time measured by the heartbeat, for the scheduling lead. */
  rttMs: number | null;
}

/** The whole room in the RoomStore. Live state only; watch history goes to PostgreSQL. */
export interface RoomRecord {
  schema: 1;
  roomId: string;
  /** Changes when the room is deleted and created again, so a stale mirror notices. */
  epoch: string;
  createdAt: number;
  /** Who created the room: a host whenever present. */
  creatorId: string | null;
  /** The Discord activity instance the room belongs to, when known. */
  instanceId: string | null;
  /** watch_sessions.id */
  sessionId: string;
  seq: number;
  playback: Playback;
  queue: QueueEntry[];
  members: MemberRecord[];
  settings: RoomSettings;
  nextEntry: number;
  /**
   * The last commands applied from sockets, as `<userId>/<command id>`: a client that sends a command
   * again under the same id (its retry after `unavailable`) gets an ack, and the room changes once.
   * Rooms written before this field existed have none.
   */
  recentCommands?: string[];
  /** The "Up next" countdown (absent in rooms stored before it existed). */
  upNext?: UpNext | null;
  /** The queue entry whose "Up next" someone cancelled: it is not offered again for that entry. */
  upNextDismissed?: string | null;
  /** Users a host removed: they stay out for the room's life (room-remote.ts). */
  removed?: string[];
  /** Reactions pinned to the items' timelines, newest last (room-reactions.ts). */
  reactions?: ReactionMark[];
}

export function newRoom(options: {
  roomId: string;
  epoch: string;
  sessionId: string;
  creatorId: string | null;
  instanceId: string | null;
  now: number;
  /** Who may control it at first (the guild's default); everyone when unsaid. */
  control?: RoomSettings['control'];
}): RoomRecord {
  return {
    schema: 1,
    roomId: options.roomId,
    epoch: options.epoch,
    createdAt: options.now,
    creatorId: options.creatorId,
    instanceId: options.instanceId,
    sessionId: options.sessionId,
    seq: 0,
    playback: {
      rev: 0,
      itemId: null,
      status: 'paused',
      positionMs: 0,
      atServerMs: options.now,
      rate: 1,
      waitUntil: null,
    },
    queue: [],
    members: [],
    settings: { control: options.control ?? 'everyone' },
    nextEntry: 1,
  };
}

export const publicMember = (m: MemberRecord): Member => ({
  userId: m.userId,
  name: m.name,
  avatar: m.avatar,
  role: m.role,
  state: m.state,
  ...(m.asking ? { asking: true as const } : {}),
});

export function toSnapshot(room: RoomRecord): RoomSnapshot {
  return {
    roomId: room.roomId,
    seq: room.seq,
    playback: { ...room.playback },
    queue: room.queue.map((entry) => ({ ...entry })),
    members: room.members.map(publicMember),
    settings: { ...room.settings },
    ...(room.upNext ? { upNext: { ...room.upNext } } : {}),
    // Present once the room has reacted (older clients and snapshots without reactions stay as they were).
    ...(room.reactions?.length ? { reactions: room.reactions.map((mark) => ({ ...mark })) } : {}),
  };
}

const SECTIONS = ['playback', 'queue', 'members', 'settings', 'reactions'] as const;

/** The public sections that differ between two snapshots (all of them when there was none before). */
export function diffSnapshots(before: RoomSnapshot | undefined, after: RoomSnapshot): RoomChanges {
  const changes: RoomChanges = {};
  for (const section of SECTIONS) {
    // A section a room does not have yet (reactions before the first) is not a change.
    if (after[section] === undefined) continue;
    if (!before || JSON.stringify(before[section]) !== JSON.stringify(after[section])) {
      Object.assign(changes, { [section]: after[section] });
    }
  }
  // Absent when none runs; a countdown that ended is sent as null so clients drop it.
  if (JSON.stringify(before?.upNext ?? null) !== JSON.stringify(after.upNext ?? null)) {
    changes.upNext = after.upNext ?? null;
  }
  return changes;
}

/**
 * How far seq jumps when a room is restored from its durable copy. The copy is written up to a second
 * behind the room, so clients may have seen broadcasts it never got; the jump is more than a room
 * broadcasts in that second, so a client's `lastSeq` never looks newer than the restored room.
 */
export const RESTORE_SEQ_GAP = 10_000;

/**
 * The room as it comes back from its durable copy: same item, queue, settings, creator and hosts;
 * a playing room's position advanced to `savedAt` (the last instant an instance vouched for it, so
 * the restart instant), then held paused; everyone who was in it away for the grace period (they
 * come back as they reconnect) and seq above anything a client saw.
 */
export function restoreRoom(saved: RoomRecord, options: { savedAt: number; now: number; epoch: string }): RoomRecord {
  const { playback } = saved;
  const entry = playback.itemId === null ? undefined : saved.queue[0];
  let positionMs = playback.positionMs;
  if (playback.status === 'playing') {
    positionMs += Math.max(0, options.savedAt - playback.atServerMs) * playback.rate;
    if (entry?.durationMs != null) positionMs = Math.min(positionMs, entry.durationMs);
  }
  return {
    ...structuredClone(saved),
    epoch: options.epoch,
    seq: saved.seq + RESTORE_SEQ_GAP,
    playback: {
      rev: playback.rev + 1,
      itemId: playback.itemId,
      status: 'paused',
      positionMs: Math.round(positionMs),
      atServerMs: options.now,
      rate: playback.rate,
      waitUntil: null,
      ...(playback.itemId === null ? {} : { restored: true as const }),
    },
    // A countdown does not survive a restart: the room holds paused.
    upNext: null,
    members: saved.members.map((m) => ({
      ...structuredClone(m),
      // The bot's voice presence outlives the server; sockets do not.
      connections: m.connections.filter((c) => c === VOICE_CONNECTION),
      state: m.connections.includes(VOICE_CONNECTION) ? 'ready' : 'away',
      awaySince: m.connections.includes(VOICE_CONNECTION) ? null : options.now,
      catchingUp: true,
      laggedAt: null,
    })),
  };
}
