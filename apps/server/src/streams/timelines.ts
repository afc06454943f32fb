import type { TimelineReport } from '../media/media-source.ts';
import type { OwnedStream, SessionsLogger, StreamKey } from './stream-sessions.ts';

/** How often Plex wants a timeline from a player on a LAN or WAN (its spec: every 10 s). */
export const TIMELINE_INTERVAL_MS = 10_000;

/** The room's playback as a timeline needs it; undefined when the room is gone. */
export interface RoomPlayback {
  itemId: string | null;
  state: 'playing' | 'paused' | 'buffering';
  timeMs: number;
}

export interface TimelineDeps {
  /** The streams whose upstream session this instance owns (one per room, item and quality). */
  streams(): OwnedStream[];
  playback(roomId: string): Promise<RoomPlayback | undefined>;
  /** Sends one report for a stream's session (a no-op for sources without timelines). */
  report(key: StreamKey, sessionKey: string, report: TimelineReport): Promise<void>;
  log: SessionsLogger;
  /** Repeats `tick` every `ms` until the returned function is called (injected so tests drive it). */
  every(ms: number, tick: () => void): () => void;
  intervalMs?: number;
}

/** A plain repeating timer that does not keep the process alive. */
export function everyInterval(ms: number, tick: () => void): () => void {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * What Plex is told about the party: one timeline per room stream (not per viewer), every 10 s,
 * with the room's state and position, under the stream's session key (the transcode's session,
 * so the dashboard pairs them); `stopped` when the room moves on or empties. Only the instance
 * that started a stream's session reports it, so several instances make one report stream.
 */
export class StreamTimelines {
  private readonly cancel: () => void;
  /** The last position reported per session, for the `stopped` report after the room moved on. */
  private readonly lastTime = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: TimelineDeps) {
    this.cancel = deps.every(deps.intervalMs ?? TIMELINE_INTERVAL_MS, () => void this.report());
  }

  /** One round: a report for every owned stream whose room still plays its item. */
  async report(): Promise<void> {
    await Promise.all(
      this.deps.streams().map(async ({ key, sessionKey }) => {
        const playback = await this.deps.playback(key.roomId).catch(() => undefined);
        if (!playback || playback.itemId !== key.itemId) return;
        this.lastTime.set(sessionKey, playback.timeMs);
        await this.send(key, sessionKey, { state: playback.state, timeMs: playback.timeMs });
      }),
    );
  }

  /** The stream ended: Plex is told the session stopped (at the room's last position, if known). */
  stopped(stream: OwnedStream, continuing: boolean): Promise<void> {
    const timeMs = this.lastTime.get(stream.sessionKey) ?? 0;
    this.lastTime.delete(stream.sessionKey);
    const sent = this.send(stream.key, stream.sessionKey, { state: 'stopped', timeMs, continuing });
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
    return sent;
  }

  /** Stops reporting; resolves once the `stopped` reports already under way are sent. */
  async close(): Promise<void> {
    this.cancel();
    await Promise.all([...this.pending]);
  }

  private async send(key: StreamKey, sessionKey: string, report: TimelineReport): Promise<void> {
    try {
      await this.deps.report(key, sessionKey, report);
    } catch (error) {
      this.deps.log.warn(
        { roomId: key.roomId, state: report.state, err: error instanceof Error ? error.message : String(error) },
        'could not report a timeline to the media server',
      );
    }
  }
}
