import type { Random } from './random.ts';

export interface PlayerBehaviour {
  /** A rate change takes effect after a uniform delay in [0, rateDelayMs]. */
  rateDelayMs: number;
  /** play() starts moving frames after a uniform delay in [0, startDelayMs]. */
  startDelayMs: number;
  /** A seek takes a uniform time in [seekMinMs, seekMaxMs]. */
  seekMinMs: number;
  seekMaxMs: number;
  /** Reading the position is off by a uniform error in [−readNoiseMs, readNoiseMs]. */
  readNoiseMs: number;
  /** False: the client never nudges the rate (the room rate is still applied). */
  canNudgeRate: boolean;
}

/**
 * A video element in virtual time. Its media clock runs on the client's (drifting) clock; every
 * command takes effect late, like a real one.
 */
export class SimulatedPlayer {
  private position = 0;
  private effectiveRate = 1;
  private pendingRates: { at: number; rate: number }[] = [];
  private startsAt: number | undefined;
  private seekDoneAt: number | undefined;
  private seekStartedLocal = 0;
  private onSeeked: ((latencyLocalMs: number) => void) | undefined;
  private stallUntil = Number.NEGATIVE_INFINITY;
  paused = true;
  seeks = 0;
  rateChanges = 0;

  constructor(
    private readonly behaviour: PlayerBehaviour,
    private readonly random: Random,
  ) {}

  get seeking(): boolean {
    return this.seekDoneAt !== undefined;
  }

  stalled(now: number): boolean {
    return now < this.stallUntil;
  }

  /** Exact position, for measuring. */
  get truePositionMs(): number {
    return this.position;
  }

  /** What `currentTime` would say. */
  readPositionMs(): number {
    return this.position + this.random.uniform(-this.behaviour.readNoiseMs, this.behaviour.readNoiseMs);
  }

  play(now: number): void {
    if (!this.paused) return;
    this.paused = false;
    this.startsAt = now + this.random.uniform(0, this.behaviour.startDelayMs);
  }

  pause(): void {
    this.paused = true;
    this.startsAt = undefined;
  }

  setRate(now: number, rate: number): void {
    this.rateChanges += 1;
    this.pendingRates.push({ at: now + this.random.uniform(0, this.behaviour.rateDelayMs), rate });
  }

  seek(now: number, localNow: number, toMs: number, onSeeked: (latencyLocalMs: number) => void): void {
    this.seeks += 1;
    this.position = toMs;
    this.seekDoneAt = now + this.random.uniform(this.behaviour.seekMinMs, this.behaviour.seekMaxMs);
    this.seekStartedLocal = localNow;
    this.onSeeked = onSeeked;
  }

  stall(now: number, forMs: number): void {
    this.stallUntil = now + forMs;
  }

  /** Advances by dt of true time, of which the player's clock sees localDt. */
  advance(now: number, dt: number, localNow: number, localDt: number): void {
    while (this.pendingRates.length > 0 && this.pendingRates[0]!.at <= now) {
      this.effectiveRate = this.pendingRates.shift()!.rate;
    }
    if (this.seekDoneAt !== undefined) {
      if (now < this.seekDoneAt) return;
      // The seek completed within this step; play only the part of the step after it.
      const late = now - this.seekDoneAt;
      this.seekDoneAt = undefined;
      const callback = this.onSeeked;
      this.onSeeked = undefined;
      callback?.(localNow - (late * localDt) / dt - this.seekStartedLocal);
      if (!this.paused && this.startsAt === undefined && !this.stalled(now)) {
        this.position += (late * localDt * this.effectiveRate) / dt;
      }
      return;
    }
    if (this.paused || this.stalled(now)) return;
    if (this.startsAt !== undefined) {
      if (now < this.startsAt) return;
      const late = now - this.startsAt;
      this.startsAt = undefined;
      this.position += (Math.min(late, dt) * localDt * this.effectiveRate) / dt;
      return;
    }
    this.position += localDt * this.effectiveRate;
  }
}
