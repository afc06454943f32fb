import { guildOfRoom } from '@dpp/shared';
/**
 * Resume: where each room left each item, kept per guild and per user (`play_progress`). The engine
 * shows every write of a room to the recorder; it writes the position on every pause (and paused
 * seek), when the item changes or the room stops, and every `intervalMs` while the room plays.
 * Writes go to a `ProgressSink`, which queues them and retries through a database outage.
 */
import type { Clock, ProgressObserver, TimerHandle } from './ports.ts';
import { positionAt, VOICE_CONNECTION } from './room-logic.ts';
import type { RoomRecord } from './room-record.ts';

/** At most this often while a room plays (and at every pause, stop and item change). */
export const PROGRESS_INTERVAL_MS = 10_000;
/** Nearer the start than this is not worth resuming: not written, so it never hides a later position. */
export const MIN_RESUME_MS = 5_000;
/** An item played this far (without credits markers) counts as watched. */
export const WATCHED_FRACTION = 0.95;

/** The scope of a guild's progress: its id, or `standalone` for the dev rooms (no guild). */
export const guildScope = (guildId: string | undefined) => guildId ?? 'standalone';
/** The guild scope of a room's progress. */
export const progressScope = (roomId: string) => guildScope(guildOfRoom(roomId));

export interface ProgressWrite {
  scope: string;
  /** users.id of those watching when it was written. */
  userIds: string[];
  itemId: string;
  title: string;
  positionMs: number;
  durationMs: number | null;
  watched: boolean;
}

/** Where progress goes (the database); never throws, never holds a room. */
export interface ProgressSink {
  write(entry: ProgressWrite): void;
}

/** Past the credits marker, or 95 % in when the item has none. */
export function isWatched(positionMs: number, durationMs: number | null, creditsAtMs: number | undefined): boolean {
  if (creditsAtMs !== undefined && positionMs >= creditsAtMs) return true;
  return durationMs !== null && durationMs > 0 && positionMs >= durationMs * WATCHED_FRACTION;
}

const current = (room: RoomRecord | undefined) => (room && room.playback.itemId !== null ? room.queue[0] : undefined);

export class PlayProgressRecorder implements ProgressObserver {
  private readonly playing = new Map<string, { room: RoomRecord; timer: TimerHandle }>();
  private read: ((roomId: string) => Promise<RoomRecord | undefined>) | undefined;
  private track: <T>(promise: Promise<T>) => Promise<T> = (promise) => promise;

  constructor(
    private readonly sink: ProgressSink,
    private readonly clock: Clock,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  observe(before: RoomRecord | undefined, after: RoomRecord | undefined, now: number) {
    const roomId = (after ?? before)?.roomId;
    if (!roomId) return;
    const was = current(before);
    const is = current(after);
    // Deleted, or its last member left (a room the bot drives may have none yet: not a stop).
    const stopping = !after || (after.members.length === 0 && (before?.members.length ?? 0) > 0);
    // The item changed, or the room stopped: where the old one was left.
    if (before && was && (stopping || was.entryId !== is?.entryId)) this.record(before, now);
    if (stopping || !is) {
      this.stopTimer(roomId);
      return;
    }
    const status = after.playback.status;
    if (status === 'playing') {
      const held = this.playing.get(roomId);
      if (held) held.room = after;
      else this.playing.set(roomId, { room: after, timer: this.arm(roomId) });
      return;
    }
    this.stopTimer(roomId);
    // A pause, or a seek while paused: a new playback rev of the same item.
    if (status === 'paused' && was?.entryId === is.entryId && before?.playback.rev !== after.playback.rev) {
      this.record(after, now);
    }
  }

  bind(read: (roomId: string) => Promise<RoomRecord | undefined>, track: <T>(promise: Promise<T>) => Promise<T>) {
    this.read = read;
    this.track = track;
  }

  /** Stops every timer (the engine closes). */
  close() {
    for (const roomId of [...this.playing.keys()]) this.stopTimer(roomId);
  }

  private arm(roomId: string): TimerHandle {
    return this.clock.setTimeout(() => void this.track(this.tick(roomId)), this.intervalMs);
  }

  /** The periodic write: of the room as the store has it now (another instance may have changed it). */
  private async tick(roomId: string) {
    const held = this.playing.get(roomId);
    if (!held) return;
    held.timer = this.arm(roomId);
    let room: RoomRecord | undefined = held.room;
    try {
      room = this.read ? await this.read(roomId) : held.room;
    } catch {
      // The store did not answer: what this instance saw last will do.
    }
    if (this.playing.get(roomId) !== held) return;
    const was = current(held.room);
    const is = current(room);
    if (room?.playback.status !== 'playing' || is?.entryId !== was?.entryId) {
      // Changed elsewhere: whichever instance changed it writes from here on.
      this.stopTimer(roomId);
      return;
    }
    held.room = room;
    this.record(room, this.clock.now());
  }

  private stopTimer(roomId: string) {
    const held = this.playing.get(roomId);
    if (!held) return;
    this.clock.clearTimeout(held.timer);
    this.playing.delete(roomId);
  }

  private record(room: RoomRecord, now: number) {
    const entry = current(room);
    if (!entry) return;
    const positionMs = Math.round(positionAt(room, now));
    const watched = isWatched(positionMs, entry.durationMs, entry.creditsAtMs);
    if (positionMs < MIN_RESUME_MS && !watched) return;
    const userIds = room.members
      .filter((m) => m.state !== 'away' && m.connections.some((c) => c !== VOICE_CONNECTION))
      .map((m) => m.userId);
    this.sink.write({
      scope: progressScope(room.roomId),
      userIds,
      itemId: entry.itemId,
      title: entry.title,
      positionMs,
      durationMs: entry.durationMs,
      watched,
    });
  }
}
