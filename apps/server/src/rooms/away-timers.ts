import type { Clock, TimerHandle } from './ports.ts';

/**
 * The grace periods of members who turned away (every connection gone): when one runs out, the room
 * is swept (`expire`; every write removes the members whose grace is over). One timer per member and
 * room, on the engine's clock; a member who comes back cancels theirs.
 */
export class AwayTimers {
  private readonly timers = new Map<string, TimerHandle>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly expire: (roomId: string) => void,
  ) {}

  /** The member turned away at `awaySince`: their grace runs out `graceMs` later. */
  schedule(roomId: string, userId: string, awaySince: number) {
    this.cancel(roomId, userId);
    if (this.closed) return;
    const key = `${roomId}\n${userId}`;
    const delay = Math.max(0, awaySince + this.graceMs - this.clock.now());
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.expire(roomId);
    }, delay);
    this.timers.set(key, timer);
  }

  cancel(roomId: string, userId: string) {
    const key = `${roomId}\n${userId}`;
    const timer = this.timers.get(key);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.timers.delete(key);
  }

  close() {
    this.closed = true;
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
  }
}
