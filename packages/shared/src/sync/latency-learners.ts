import { SYNC } from './constants.ts';
import { SeekLatencyEstimator } from './seek-latency.ts';

/**
 * What a player's latencies are learned from. A start (play()) or a nudge (a rate leaving the room
 * rate) is measured this long after it began, by how far the position fell short of the time that
 * passed. Chromium's currentTime jumps ahead a few ms at play() and then stands still for 40–60 ms
 * before moving steadily; the first movement says nothing about when frames really keep pace.
 */
export const START_MEASURE_AFTER_MS = 150;
/** Longer than this since the start without a measurement: something else (a stall) may be mixed in. */
const START_MEASURE_WITHIN_MS = 1000;
/** A start slower than this was a stall, not the player's usual latency. */
const MAX_START_LATENCY_MS = 250;
/** A nudge start that lost more than this was a stall, not the player's rate switch. */
const MAX_NUDGE_START_COST_MS = 100;
const STILL_TIME_ALPHA = 0.3;

/** A start or a nudge being measured: when it began, from where, at what rate. */
export interface StillTimeSample {
  calledAt: number;
  fromMs: number;
  rate: number;
}

/**
 * Where a measurement stands at `now`: the ms since it began once the player has run long enough at
 * one rate, 'wait' before that, 'disturbed' when anything else moved the player meanwhile.
 */
export function measurementWindow(
  sample: StillTimeSample,
  now: number,
  disturbed: boolean,
): number | 'wait' | 'disturbed' {
  const elapsed = now - sample.calledAt;
  if (disturbed || elapsed > START_MEASURE_WITHIN_MS) return 'disturbed';
  return elapsed < START_MEASURE_AFTER_MS ? 'wait' : elapsed;
}

/**
 * How long a player stands still after an action before it keeps pace: an EWMA of the measured
 * times (the first taken as is), ignoring any longer than `maxMs` (a stall, not the player).
 */
export class StillTimeLearner {
  private measured = 0;

  constructor(
    private estimate: number,
    private readonly maxMs: number,
  ) {}

  observe(ms: number): void {
    if (ms > this.maxMs) return;
    this.estimate = this.measured === 0 ? ms : this.estimate + STILL_TIME_ALPHA * (ms - this.estimate);
    this.measured += 1;
  }

  get estimateMs(): number {
    return this.estimate;
  }
}

/**
 * What a player has taught the controller about itself: how long its seeks take, how long play()
 * takes to move frames, and how long it stands still when its rate leaves the room rate (~28 ms in
 * Chromium; docs/sync-algorithm.md).
 */
export class PlayerLatencies {
  readonly seek = new SeekLatencyEstimator();
  readonly start: StillTimeLearner;
  readonly nudgeStart = new StillTimeLearner(0, MAX_NUDGE_START_COST_MS);

  constructor(startLatencyInitialMs: number = SYNC.startLatencyInitialMs) {
    this.start = new StillTimeLearner(startLatencyInitialMs, MAX_START_LATENCY_MS);
  }

  /** A start measured `elapsedMs` after play(), the player now at `positionMs`. */
  observeStart(sample: StillTimeSample, elapsedMs: number, positionMs: number): void {
    // A start a few ms early (a read that ran ahead) counts as immediate.
    this.start.observe(Math.max(0, elapsedMs - (positionMs - sample.fromMs) / (sample.rate || 1)));
  }

  /** A nudge measured `elapsedMs` after its rate was set: media time short of the rate's path, in wall time. */
  observeNudgeStart(sample: StillTimeSample, elapsedMs: number, positionMs: number): void {
    this.nudgeStart.observe(Math.max(0, elapsedMs * sample.rate - (positionMs - sample.fromMs)) / sample.rate);
  }
}
