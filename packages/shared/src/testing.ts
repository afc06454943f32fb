import type { Clock, TimerHandle } from './clock.ts';

/** Time that moves only when the test says so; due timers fire in order, each at its own instant. */
export class ManualClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now() {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle) {
    this.timers.delete(handle as number);
  }

  /** Moves time forward, firing every timer that comes due; `settle` runs after each one. */
  async advance(ms: number, settle: () => Promise<void> = async () => {}) {
    const end = this.current + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      const [id, timer] = due;
      this.timers.delete(id);
      this.current = Math.max(this.current, timer.at);
      timer.callback();
      await settle();
    }
    this.current = end;
    await settle();
  }

  pendingTimers() {
    return this.timers.size;
  }
}
