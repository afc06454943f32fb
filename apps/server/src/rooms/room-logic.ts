/**
 * The room's rules as pure functions on a draft record: no I/O, no clock of their own. The engine
 * clones the stored record, applies one of these, and writes the result with compare-and-set.
 */
import {
  type Cause,
  type CommandIntent,
  type ErrorCode,
  expectedPosition,
  type QueueEntry,
  type ReportState,
  schedulingLead,
} from '@dpp/shared';
import { addReaction, reactionsOn } from './room-reactions.ts';
import type { MemberRecord, RoomRecord } from './room-record.ts';
import { applyRemote, isRemoteIntent, remoteNeedsHost, removedUsers } from './room-remote.ts';
import { announceUpNext, cancelUpNext, type NextEpisode, playUpNext } from './up-next.ts';

export interface RoomTuning {
  /** How long a room waits for buffering members before it plays on without them. */
  waitTimeoutMs: number;
  /** How long a member whose connections all dropped stays (as away) before being removed. */
  awayGraceMs: number;
  /** A member the room stopped waiting for, who stalls again within this window, catches up alone. */
  lagStrikeWindowMs: number;
  maxQueueLength: number;
  /** A timer that fires this close to its instant counts as on time (timers and clocks are coarse). */
  timerToleranceMs: number;
  /** Reactions per member: a burst, then this many a second (across their connections on one instance). */
  reactionBurst: number;
  reactionsPerSecond: number;
}

export const DEFAULT_TUNING: RoomTuning = {
  waitTimeoutMs: 8_000,
  awayGraceMs: 30_000,
  lagStrikeWindowMs: 60_000,
  maxQueueLength: 200,
  timerToleranceMs: 5,
  reactionBurst: 6,
  reactionsPerSecond: 1,
};

export interface Context {
  now: number;
  tuning: RoomTuning;
}

/** What a library lookup says about an item, copied into the queue entry. */
export interface ItemInfo {
  title: string;
  durationMs: number | null;
  thumb: string | null;
  /** Where the credits start (ms), when the library knows. */
  creditsAtMs?: number;
}

export interface Actor {
  userId: string;
  name: string;
}

export type Outcome =
  | { kind: 'changed'; cause: Cause }
  | { kind: 'unchanged' }
  | { kind: 'rejected'; code: ErrorCode; message?: string }
  /** A timer fired before its instant (another instance's clock, coarse timers): try again later. */
  | { kind: 'early'; remainingMs: number };

const changed = (cause: Cause): Outcome => ({ kind: 'changed', cause });
const unchanged: Outcome = { kind: 'unchanged' };
const rejected = (code: ErrorCode, message?: string): Outcome => ({ kind: 'rejected', code, message });

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const isPresent = (m: MemberRecord) => m.connections.length > 0;

/**
 * The bot reports someone in the room's voice channel as this pseudo-connection: it keeps them
 * present in the room, but they have no player, so the room never waits for them.
 */
export const VOICE_CONNECTION = 'voice';

/** Present with a player (an activity connection), not only in the voice channel. */
const isWatching = (m: MemberRecord) => m.connections.some((c) => c !== VOICE_CONNECTION);

/** Members whose readiness the room waits for: watching, in step with the room, and buffering. */
export const blockingMembers = (room: RoomRecord) =>
  room.members.filter((m) => isWatching(m) && !m.catchingUp && m.state === 'buffering');

export function leadFor(room: RoomRecord): number {
  return schedulingLead(room.members.filter((m) => isWatching(m) && m.rttMs !== null).map((m) => m.rttMs as number));
}

type Timing = Pick<RoomRecord, 'playback' | 'queue'>;

const currentEntry = (room: Timing): QueueEntry | undefined =>
  room.playback.itemId === null ? undefined : room.queue[0];

export function positionAt(room: Timing, now: number): number {
  return expectedPosition(room.playback, now, currentEntry(room)?.durationMs ?? undefined);
}

/** When the current item's time is up, in server time (undefined when it never ends on its own). */
export function itemEndsAt(room: Timing): number | undefined {
  const entry = currentEntry(room);
  if (!entry || entry.durationMs === null || room.playback.status !== 'playing') return undefined;
  const { positionMs, atServerMs, rate } = room.playback;
  return atServerMs + Math.max(0, entry.durationMs - positionMs) / rate;
}

function setPlayback(room: RoomRecord, patch: Partial<RoomRecord['playback']>) {
  // Any change of playback is someone going on from a restored room: the notice has done its job.
  const { restored: _, ...playback } = room.playback;
  room.playback = { ...playback, ...patch, rev: room.playback.rev + 1 };
}

/** Resume playing, or wait first when someone in step with the room is still buffering. */
function resume(room: RoomRecord, ctx: Context) {
  if (blockingMembers(room).length > 0) {
    setPlayback(room, { status: 'waiting', atServerMs: ctx.now, waitUntil: ctx.now + ctx.tuning.waitTimeoutMs });
  } else {
    setPlayback(room, { status: 'playing', atServerMs: ctx.now + leadFor(room), waitUntil: null });
  }
}

/** A waiting room with nobody left to wait for plays, scheduled with the lead. */
export function settle(room: RoomRecord, ctx: Context) {
  if (room.playback.status === 'waiting' && blockingMembers(room).length === 0) {
    setPlayback(room, { status: 'playing', atServerMs: ctx.now + leadFor(room), waitUntil: null });
  }
}

/** Makes `entry` current (or nothing) from the start; the room waits until everyone present has loaded it. */
export function startItem(room: RoomRecord, entry: QueueEntry | undefined, ctx: Context) {
  if (entry) room.upNext = null;
  if (!entry) {
    room.queue = [];
    setPlayback(room, { itemId: null, status: 'paused', positionMs: 0, atServerMs: ctx.now, waitUntil: null });
    for (const m of room.members) {
      if (isPresent(m) && m.state !== 'away') Object.assign(m, { state: 'ready', catchingUp: false });
    }
    return;
  }
  for (const m of room.members) {
    if (isWatching(m) && m.state !== 'away') Object.assign(m, { state: 'buffering', catchingUp: false });
  }
  setPlayback(room, {
    itemId: entry.itemId,
    status: 'waiting',
    positionMs: 0,
    atServerMs: ctx.now,
    waitUntil: ctx.now + ctx.tuning.waitTimeoutMs,
  });
}

/** Drops the current item and starts the next one, if any. */
export function advance(room: RoomRecord, ctx: Context) {
  room.queue = room.queue.slice(1);
  startItem(room, room.queue[0], ctx);
}

export function newEntry(room: RoomRecord, itemId: string, item: ItemInfo, actor: Actor): QueueEntry {
  const entryId = `e${room.nextEntry}`;
  room.nextEntry += 1;
  return {
    entryId,
    itemId,
    title: item.title,
    durationMs: item.durationMs,
    thumb: item.thumb,
    addedBy: actor.name,
    ...(item.creditsAtMs === undefined ? {} : { creditsAtMs: item.creditsAtMs }),
  };
}

/** Removes a member; a departing host hands the role to whoever has been here longest. */
function removeMember(room: RoomRecord, userId: string) {
  const leaving = room.members.find((m) => m.userId === userId);
  if (!leaving) return;
  room.members = room.members.filter((m) => m.userId !== userId);
  if (leaving.role === 'host' && !room.members.some((m) => m.role === 'host')) {
    const heir = [...room.members].sort(
      (a, b) => Number(isPresent(b)) - Number(isPresent(a)) || a.joinedAt - b.joinedAt,
    )[0];
    if (heir) heir.role = 'host';
  }
}

// ---------------------------------------------------------------------------------------------
// Membership
// ---------------------------------------------------------------------------------------------

/** Removes members who have been away (no connection) longer than the grace period. */
export function sweepAway(room: RoomRecord, ctx: Context): string[] {
  const expired = room.members.filter(
    (m) => !isPresent(m) && m.awaySince !== null && ctx.now - m.awaySince >= ctx.tuning.awayGraceMs,
  );
  for (const m of expired) removeMember(room, m.userId);
  return expired.map((m) => m.userId);
}

export function addConnection(
  room: RoomRecord,
  user: { userId: string; name: string; avatar: string | null },
  connectionId: string,
  ctx: Context,
): { outcome: Outcome; returned: boolean } {
  const existing = room.members.find((m) => m.userId === user.userId);
  if (existing) {
    const wasAway = existing.connections.length === 0;
    existing.connections = [...existing.connections.filter((c) => c !== connectionId), connectionId];
    Object.assign(existing, { name: user.name, avatar: user.avatar, awaySince: null });
    if (!wasAway) return { outcome: unchanged, returned: true };
    // Back from a dropped connection: the client reloads at the room's position, alone.
    Object.assign(existing, { state: 'buffering', catchingUp: true });
    return { outcome: changed({ type: 'member', event: 'returned', userId: user.userId }), returned: true };
  }
  const hasHost = room.members.some((m) => m.role === 'host');
  room.members.push({
    ...user,
    role: user.userId === room.creatorId || !hasHost ? 'host' : 'member',
    state: 'buffering',
    connections: [connectionId],
    joinedAt: ctx.now,
    catchingUp: true,
    awaySince: null,
    laggedAt: null,
    rttMs: null,
  });
  return { outcome: changed({ type: 'member', event: 'joined', userId: user.userId }), returned: false };
}

/**
 * A connection closed. The member stays while another of their connections is open; otherwise
 * they leave at once when they said goodbye, or turn away for the grace period when it dropped.
 */
export function dropConnection(
  room: RoomRecord,
  userId: string,
  connectionId: string,
  intentional: boolean,
  ctx: Context,
): Outcome {
  const member = room.members.find((m) => m.userId === userId);
  if (!member?.connections.includes(connectionId)) return unchanged;
  member.connections = member.connections.filter((c) => c !== connectionId);
  if (member.connections.length > 0) return unchanged;
  if (intentional) {
    removeMember(room, userId);
    return changed({ type: 'member', event: 'left', userId });
  }
  Object.assign(member, { state: 'away', catchingUp: true, awaySince: ctx.now });
  return changed({ type: 'member', event: 'away', userId });
}

/** Someone is in the room's voice channel: present (a member, the room's host if it has none). */
export function voiceJoined(
  room: RoomRecord,
  user: { userId: string; name: string; avatar: string | null },
  ctx: Context,
): Outcome {
  const existing = room.members.find((m) => m.userId === user.userId);
  if (existing?.connections.includes(VOICE_CONNECTION)) return unchanged;
  // Removed by a host: still in the voice channel, but not in the room while it lasts.
  if (removedUsers(room).includes(user.userId)) return unchanged;
  const { outcome } = addConnection(room, user, VOICE_CONNECTION, ctx);
  const member = room.members.find((m) => m.userId === user.userId);
  // Only in voice: nothing to load, so ready, and never in step (the room does not wait for them).
  if (member && !isWatching(member)) Object.assign(member, { state: 'ready', catchingUp: true });
  return outcome;
}

/** They left the voice channel: away for the grace period unless their activity is still open. */
export const voiceLeft = (room: RoomRecord, userId: string, ctx: Context): Outcome =>
  dropConnection(room, userId, VOICE_CONNECTION, false, ctx);

export function setRtt(room: RoomRecord, userId: string, rttMs: number): Outcome {
  const member = room.members.find((m) => m.userId === userId);
  if (!member) return unchanged;
  member.rttMs = Math.round(rttMs);
  return unchanged;
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

export function applyReport(
  room: RoomRecord,
  userId: string,
  report: { state: ReportState; positionMs: number; rev: number; alone?: boolean },
  ctx: Context,
): Outcome {
  const member = room.members.find((m) => m.userId === userId);
  // A report about an earlier playback (an older item, a position since changed) says nothing now,
  // nor does one that arrives after its member's connections closed.
  if (!member || !isPresent(member) || report.rev !== room.playback.rev) return unchanged;
  const cause: Cause = { type: 'member', event: 'state', userId };
  const before = { state: member.state, catchingUp: member.catchingUp };

  switch (report.state) {
    case 'ready':
      Object.assign(member, { state: 'ready', catchingUp: false });
      break;
    case 'away':
      Object.assign(member, { state: 'away', catchingUp: true });
      break;
    case 'buffering': {
      if (report.alone) {
        // Their own reload (a quality change): never a reason to hold everyone.
        if (member.state !== 'lagging') member.state = 'buffering';
        member.catchingUp = true;
        break;
      }
      const inStep = !member.catchingUp && member.state === 'ready';
      if (room.playback.status === 'playing' && inStep) {
        const struckRecently = member.laggedAt !== null && ctx.now - member.laggedAt < ctx.tuning.lagStrikeWindowMs;
        if (struckRecently) {
          Object.assign(member, { state: 'lagging', catchingUp: true, laggedAt: ctx.now });
          break;
        }
        // Hold everyone where the stalled member is (when the report is recent enough to trust).
        const expected = positionAt(room, ctx.now);
        const hold = Math.min(expected, Math.max(report.positionMs, expected - 1000));
        member.state = 'buffering';
        setPlayback(room, {
          status: 'waiting',
          positionMs: hold,
          atServerMs: ctx.now,
          waitUntil: ctx.now + ctx.tuning.waitTimeoutMs,
        });
        return changed(cause);
      }
      // Someone catching up stalls on their own; a lagging member stays lagging until ready.
      if (member.state !== 'lagging') member.state = 'buffering';
      break;
    }
    default: {
      const never: never = report.state;
      throw new Error(`unknown report state ${String(never)}`);
    }
  }
  return before.state === member.state && before.catchingUp === member.catchingUp ? unchanged : changed(cause);
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

/** Hosts: the member with the host role, the room's creator, and whoever the guild says (DJ role, Manage Server). */
export function isHost(room: RoomRecord, actor: Actor, privileged: boolean): boolean {
  if (privileged || actor.userId === room.creatorId) return true;
  return room.members.find((m) => m.userId === actor.userId)?.role === 'host';
}

/** Whether the actor may control playback and the queue; only hosts change settings. */
export function canControl(room: RoomRecord, actor: Actor, privileged: boolean): boolean {
  return room.settings.control === 'everyone' || isHost(room, actor, privileged);
}

/** How many applied command ids a room remembers (a client retries within half a minute). */
export const REMEMBERED_COMMANDS = 64;

/**
 * Applies a command once per `key` (`<userId>/<command id>`, or undefined for callers without ids):
 * a key the room has applied before answers `unchanged`, so a retried command is acknowledged and
 * the room does not change twice. The key is kept in the same write as the change it made.
 */
export function applyCommandOnce(
  room: RoomRecord,
  key: string | undefined,
  actor: Actor,
  privileged: boolean,
  intent: CommandIntent,
  item: ItemInfo | undefined,
  ctx: Context,
): Outcome {
  if (key !== undefined && room.recentCommands?.includes(key)) return unchanged;
  const outcome = applyCommand(room, actor, privileged, intent, item, ctx);
  if (key !== undefined && outcome.kind === 'changed') {
    room.recentCommands = [...(room.recentCommands ?? []), key].slice(-REMEMBERED_COMMANDS);
  }
  return outcome;
}

/** Who may run a command: hosts change settings and the remote; any member reacts or asks; control is the mode's. */
export function mayRun(room: RoomRecord, actor: Actor, privileged: boolean, intent: CommandIntent): boolean {
  if (!privileged && removedUsers(room).includes(actor.userId)) return false;
  const member = room.members.some((m) => m.userId === actor.userId);
  if (intent.op === 'react') return member;
  if (intent.op === 'settings') return isHost(room, actor, privileged);
  if (isRemoteIntent(intent)) return remoteNeedsHost(intent.op) ? isHost(room, actor, privileged) : member;
  return canControl(room, actor, privileged);
}

/**
 * Applies a command. `item` is the library's answer for `load`/`queue.add` (looked up before the
 * write, since a compare-and-set retry must not call the library again).
 */
export function applyCommand(
  room: RoomRecord,
  actor: Actor,
  privileged: boolean,
  intent: CommandIntent,
  item: ItemInfo | undefined,
  ctx: Context,
): Outcome {
  if (!mayRun(room, actor, privileged, intent)) return rejected('not_allowed');
  const cause: Cause = { type: 'command', op: intent.op, userId: actor.userId };
  const current = currentEntry(room);
  const { playback } = room;

  switch (intent.op) {
    case 'play':
      if (!current) return rejected('no_item');
      if (playback.status !== 'paused') return unchanged;
      resume(room, ctx);
      return changed(cause);

    case 'pause':
      if (!current) return rejected('no_item');
      if (playback.status === 'paused') return unchanged;
      // A pause holds the party, so the countdown stops too; it is offered afresh when play goes on.
      room.upNext = null;
      setPlayback(room, {
        status: 'paused',
        positionMs: positionAt(room, ctx.now),
        atServerMs: ctx.now,
        waitUntil: null,
      });
      return changed(cause);

    case 'seek': {
      if (!current) return rejected('no_item');
      const positionMs = Math.min(intent.positionMs, current.durationMs ?? Number.POSITIVE_INFINITY);
      switch (playback.status) {
        case 'playing':
          // Scheduled: everyone seeks now and starts from there at the same instant.
          setPlayback(room, { positionMs, atServerMs: ctx.now + leadFor(room) });
          break;
        case 'paused':
          setPlayback(room, { positionMs, atServerMs: ctx.now });
          break;
        case 'waiting':
          setPlayback(room, { positionMs, atServerMs: ctx.now, waitUntil: ctx.now + ctx.tuning.waitTimeoutMs });
          break;
        default: {
          const never: never = playback.status;
          throw new Error(`unknown status ${String(never)}`);
        }
      }
      return changed(cause);
    }

    case 'load': {
      if (!item) return rejected('unknown_item');
      const entry = newEntry(room, intent.itemId, item, actor);
      room.queue = current ? [entry, ...room.queue.slice(1)] : [entry, ...room.queue];
      startItem(room, entry, ctx);
      return changed(cause);
    }

    case 'queue.add': {
      if (!item) return rejected('unknown_item');
      if (room.queue.length >= ctx.tuning.maxQueueLength) return rejected('queue_full');
      const entry = newEntry(room, intent.itemId, item, actor);
      room.queue = [...room.queue, entry];
      if (!current) startItem(room, entry, ctx);
      return changed(cause);
    }

    case 'queue.remove': {
      const index = room.queue.findIndex((e) => e.entryId === intent.entryId);
      if (index < 0) return rejected('unknown_entry');
      if (index === 0 && current) advance(room, ctx);
      else room.queue = room.queue.filter((e) => e.entryId !== intent.entryId);
      return changed(cause);
    }

    case 'queue.move': {
      const index = room.queue.findIndex((e) => e.entryId === intent.entryId);
      if (index < 0) return rejected('unknown_entry');
      if (index === 0 && current) return rejected('invalid_move');
      const target = Math.min(intent.index, room.queue.length - 1);
      if (target === index) return unchanged;
      const queue = [...room.queue];
      const [moved] = queue.splice(index, 1);
      if (moved) queue.splice(target, 0, moved);
      room.queue = queue;
      return changed(cause);
    }

    case 'next':
      if (!current) return rejected('no_item');
      advance(room, ctx);
      return changed(cause);

    case 'rate':
      if (intent.rate === playback.rate) return unchanged;
      // Immediate, rebased at now (a rate change scheduled ahead would make clients hold meanwhile);
      // a start still scheduled ahead keeps its instant.
      if (playback.atServerMs > ctx.now) setPlayback(room, { rate: intent.rate });
      else setPlayback(room, { positionMs: positionAt(room, ctx.now), atServerMs: ctx.now, rate: intent.rate });
      return changed(cause);

    case 'settings': {
      const settings = { ...room.settings };
      if (intent.control !== undefined) settings.control = intent.control;
      if (intent.autoplayNext !== undefined) settings.autoplayNext = intent.autoplayNext;
      if (intent.reactions !== undefined) settings.reactions = intent.reactions;
      if (JSON.stringify(settings) === JSON.stringify(room.settings)) return unchanged;
      room.settings = settings;
      if (settings.autoplayNext === false) room.upNext = null;
      return changed(cause);
    }

    case 'upnext.cancel':
      return cancelUpNext(room, cause);

    case 'upnext.play':
      return playUpNext(room, actor, cause, ctx);

    case 'react': {
      if (!current) return rejected('no_item');
      if (!reactionsOn(room)) return rejected('reactions_off');
      // Shown everywhere at one instant, as far ahead as a scheduled play (the slowest member's lead).
      const at = Math.max(ctx.now + leadFor(room), playback.atServerMs);
      addReaction(room, { itemId: current.itemId, positionMs: positionAt(room, at), emoji: intent.emoji, at });
      return changed(cause);
    }

    case 'host.grant':
    case 'host.resign':
    case 'remote.pass':
    case 'control.request':
    case 'control.answer':
    case 'member.remove': {
      const result = applyRemote(room, actor.userId, intent);
      if (!result.ok) return rejected(result.code, result.message);
      return result.changed ? changed(cause) : unchanged;
    }

    default: {
      const never: never = intent;
      throw new Error(`unknown op ${JSON.stringify(never)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Timers
// ---------------------------------------------------------------------------------------------

/** The room waited long enough: whoever still buffers is marked lagging and catches up alone. */
export function waitTimedOut(room: RoomRecord, rev: number, ctx: Context): Outcome {
  const { playback } = room;
  if (playback.rev !== rev || playback.status !== 'waiting' || playback.waitUntil === null) return unchanged;
  const remainingMs = playback.waitUntil - ctx.now;
  if (remainingMs > ctx.tuning.timerToleranceMs) return { kind: 'early', remainingMs };
  for (const m of blockingMembers(room)) Object.assign(m, { state: 'lagging', catchingUp: true, laggedAt: ctx.now });
  setPlayback(room, { status: 'playing', atServerMs: ctx.now + leadFor(room), waitUntil: null });
  return changed({ type: 'system', event: 'wait-timeout' });
}

/**
 * The current item's time is up: the server moves the queue on by itself. `next` is the next
 * episode (looked up before the write): with nothing queued, it is announced "Up next".
 */
export function itemEnded(room: RoomRecord, rev: number, ctx: Context, next?: NextEpisode): Outcome {
  if (room.playback.rev !== rev) return unchanged;
  const endsAt = itemEndsAt(room);
  if (endsAt === undefined) return unchanged;
  const remainingMs = endsAt - ctx.now;
  if (remainingMs > ctx.tuning.timerToleranceMs) return { kind: 'early', remainingMs };
  announceUpNext(room, next, ctx);
  advance(room, ctx);
  return changed({ type: 'system', event: 'item-ended' });
}
