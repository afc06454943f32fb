import type { Clock, MediaPort, ServerClock } from '@dpp/shared';

interface Task {
  id: number;
  at: number;
  run: () => void;
}

/**
 * The shared `Clock` in 1 ms steps, with things that move with time (a playing video) stepped before
 * timers fire: what a media test needs beyond `ManualClock`.
 */
export class VirtualTimers implements Clock {
  private time = 0;
  private nextId = 1;
  private tasks: Task[] = [];
  /** Things that move with time (a playing video), stepped before timers fire. */
  readonly tickers: ((dt: number) => void)[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(run: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.tasks.push({ id, at: this.time + Math.max(0, ms), run });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.tasks = this.tasks.filter((t) => t.id !== handle);
  }

  /** Moves time forward in 1 ms steps, running whatever falls due. */
  advance(ms: number): void {
    const end = this.time + ms;
    while (this.time < end) {
      this.time += 1;
      for (const ticker of this.tickers) ticker(1);
      for (;;) {
        const due = this.tasks.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        this.tasks = this.tasks.filter((t) => t !== due);
        due.run();
      }
    }
  }
}

/** A server clock `offsetMs` ahead of the virtual local clock. */
export class FixedClock implements ServerClock {
  ready = true;
  constructor(
    private readonly timers: VirtualTimers,
    public offsetMs: number,
  ) {}
  serverNow(): number {
    return this.timers.now() + this.offsetMs;
  }
}

/** A video element in virtual time: plays at its rate, seeks take `seekMs`, can stall. */
export class FakeMedia implements MediaPort {
  positionMs = 0;
  paused = true;
  seeking = false;
  canPlay = true;
  rate = 1;
  seekMs = 100;
  /** play() moves frames only after this long. */
  startDelayMs = 0;
  /** Media buffered ahead of any position. */
  bufferedMs = 60_000;
  /** What Chromium does at play(): currentTime runs ahead by this much at once, then waits out startDelayMs. */
  startJumpMs = 0;
  /** What Chromium does when playbackRate leaves 1.0: the position stands still this long. */
  rateSwitchFreezeMs = 0;
  private movingAt = 0;
  autoplay: 'allowed' | 'blocked' = 'allowed';
  readonly seeks: number[] = [];
  readonly rates: number[] = [];
  plays = 0;
  onSeeked: () => void = () => undefined;

  constructor(private readonly timers: VirtualTimers) {
    timers.tickers.push((dt) => {
      if (!this.paused && !this.seeking && this.canPlay && timers.now() > this.movingAt)
        this.positionMs += dt * this.rate;
    });
  }

  bufferedAheadMs(): number {
    return this.bufferedMs;
  }

  async play(): Promise<'playing' | 'blocked'> {
    this.plays += 1;
    if (this.autoplay === 'blocked') return 'blocked';
    if (this.paused) {
      this.movingAt = this.timers.now() + this.startDelayMs;
      this.positionMs += this.startJumpMs;
    }
    this.paused = false;
    return 'playing';
  }

  pause(): void {
    this.paused = true;
  }

  seek(positionMs: number): void {
    this.seeks.push(positionMs);
    this.positionMs = positionMs;
    this.seeking = true;
    this.timers.setTimeout(() => {
      this.seeking = false;
      this.onSeeked();
    }, this.seekMs);
  }

  setRate(rate: number): void {
    if (this.rate === 1 && rate !== 1)
      this.movingAt = Math.max(this.movingAt, this.timers.now() + this.rateSwitchFreezeMs);
    this.rates.push(rate);
    this.rate = rate;
  }
}

/** Lets pending promise callbacks (play() resolutions) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}
