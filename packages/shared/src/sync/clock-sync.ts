import { SYNC } from './constants.ts';

/**
 * One ping/pong exchange: t0 client send, t1 server receive, t2 server send (server clock),
 * t3 client receive (client clock). The client clock must be monotonic (`performance.now()`).
 */
export interface ClockSample {
  t0: number;
  t1: number;
  t2: number;
  t3: number;
}

export interface ClockEstimate {
  /** Server clock minus client clock: serverNow = localNow + offsetMs. */
  offsetMs: number;
  /** Round trip minus the server's own processing time. */
  rttMs: number;
}

/**
 * NTP's estimate from one exchange. Its error is half the asymmetry of the two one-way delays, so
 * it is never wrong by more than rtt / 2.
 */
export function estimateClock({ t0, t1, t2, t3 }: ClockSample): ClockEstimate {
  return { offsetMs: (t1 - t0 + (t2 - t3)) / 2, rttMs: t3 - t0 - (t2 - t1) };
}

export interface ClockSyncOptions {
  window?: number;
  readyAfter?: number;
  skewBoundPpm?: number;
}

interface KeptSample extends ClockEstimate {
  receivedAt: number;
}

/**
 * Estimates the server clock from the minimum-RTT sample of the last few: the exchange that waited
 * least in queues is the one whose delays were most nearly symmetric.
 */
export class ClockSync {
  private readonly samples: KeptSample[] = [];
  private readonly window: number;
  private readonly readyAfter: number;
  private readonly skewBound: number;
  private accepted = 0;
  private best: KeptSample | undefined;

  constructor(options: ClockSyncOptions = {}) {
    this.window = Math.max(1, options.window ?? SYNC.clockWindow);
    this.readyAfter = Math.max(1, options.readyAfter ?? SYNC.clockBurstSamples);
    this.skewBound = (options.skewBoundPpm ?? SYNC.clockSkewBoundPpm) / 1e6;
  }

  /** Adds an exchange; returns false (and ignores it) when it cannot be right: non-finite or negative RTT. */
  addSample(sample: ClockSample): boolean {
    const { t0, t1, t2, t3 } = sample;
    if (![t0, t1, t2, t3].every(Number.isFinite)) return false;
    const estimate = estimateClock(sample);
    if (estimate.rttMs < 0 || t3 < t0 || t2 < t1) return false;
    this.samples.push({ ...estimate, receivedAt: t3 });
    if (this.samples.length > this.window) this.samples.shift();
    this.accepted += 1;
    this.best = this.select(t3);
    return true;
  }

  private select(now: number): KeptSample | undefined {
    let best: KeptSample | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const sample of this.samples) {
      // Uncertainty of a sample = rtt/2 + drift since it was taken; compare doubled.
      const score = sample.rttMs + 2 * this.skewBound * Math.max(0, now - sample.receivedAt);
      if (score < bestScore) {
        bestScore = score;
        best = sample;
      }
    }
    return best;
  }

  /** Server minus local clock; 0 before the first sample. */
  get offset(): number {
    return this.best?.offsetMs ?? 0;
  }

  /** RTT of the sample the offset comes from; undefined before the first sample. */
  get rtt(): number | undefined {
    return this.best?.rttMs;
  }

  /** True once the join burst is in: before that the offset may still be a poor one. */
  get ready(): boolean {
    return this.accepted >= this.readyAfter;
  }

  get sampleCount(): number {
    return this.accepted;
  }

  serverNow(localNow: number): number {
    return localNow + this.offset;
  }

  /** Forgets everything, e.g. after reconnecting to another server instance. */
  reset(): void {
    this.samples.length = 0;
    this.accepted = 0;
    this.best = undefined;
  }
}
