import { SYNC } from './constants.ts';

/**
 * How long this client's player takes to seek (from setting the position until it plays again), so a
 * seek can aim at where the group will be once it completes. Like TCP's RTO estimator: an EWMA of
 * the measured seeks and an EWMA of their deviation from it, which says how far a compensated seek
 * may still land off (and so how big a drift must be before a seek can improve on it).
 */
export class SeekLatencyEstimator {
  private mean: number;
  private deviation = 0;
  private measured = 0;

  constructor(
    initialMs: number = SYNC.seekLatencyInitialMs,
    private readonly alpha: number = SYNC.seekLatencyAlpha,
    private readonly maxMs: number = SYNC.seekLatencyMaxMs,
  ) {
    this.mean = initialMs;
  }

  /** Records one measured seek; nonsense (negative, non-finite) is ignored, outliers are capped. */
  observe(latencyMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
    const sample = Math.min(latencyMs, this.maxMs);
    if (this.measured === 0) {
      this.mean = sample;
    } else {
      this.deviation += this.alpha * (Math.abs(sample - this.mean) - this.deviation);
      this.mean += this.alpha * (sample - this.mean);
    }
    this.measured += 1;
  }

  get estimateMs(): number {
    return this.mean;
  }

  /** Mean absolute deviation of the measured seeks from the estimate (0 until two were measured). */
  get deviationMs(): number {
    return this.deviation;
  }

  get count(): number {
    return this.measured;
  }
}
