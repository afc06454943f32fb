/**
 * The numbers of the synchronized-playback algorithm, in one place so the server, the activity, the
 * tests and docs/sync-algorithm.md agree. Times are milliseconds; rates are multipliers of the room rate.
 */
export const SYNC = {
  /** Clock samples kept; the estimate comes from the best of them. */
  clockWindow: 8,
  /** Samples in the join burst; the clock is `ready` once this many were accepted. */
  clockBurstSamples: 5,
  /** Spacing of the join burst's pings. */
  clockBurstIntervalMs: 100,
  /** Spacing of the pings after the burst. */
  clockPingIntervalMs: 2000,
  /**
   * How fast a client clock may drift from the server's, at most. A sample's RTT is inflated by the
   * drift its age may have accumulated (NTP's clock filter does the same), so a fresh sample beats a
   * stale one of almost equal RTT. Quartz clocks are usually within ±50 ppm; the simulation's
   * ±200 ppm clocks still hold the target band.
   */
  clockSkewBoundPpm: 100,

  /** How often the client evaluates the correction (also right after every state broadcast). */
  tickIntervalMs: 250,
  /**
   * The promise: every member within ±20 ms of where the group is. The simulation holds the
   * algorithm to it; the activity may use it for an "in sync" indicator.
   */
  targetBandMs: 20,
  /**
   * Dead band: no correction starts while the measured |drift| is within it. It sits 5 ms inside the
   * target band because the measurement itself is off by the clock estimate's error (a few ms).
   */
  enterBandMs: 15,
  /** Hysteresis: a running rate nudge continues until |drift| is within this band. */
  exitBandMs: 5,
  /** Proportional rate nudge: a drift of d ms asks for a rate change of d / rateHorizonMs. */
  rateHorizonMs: 500,
  /** Cap of the rate nudge, as a fraction of the room rate (0.1 = ±10%). */
  maxRateDelta: 0.1,
  /** Smaller rate changes than this fraction are not worth a `playbackRate` write. */
  minRateChange: 0.002,
  /** Past this |drift| a rate nudge would take too long: seek instead. */
  seekThresholdMs: 500,
  /** For players that cannot nudge their rate, seeks are the only tool: they seek past this |drift|. */
  seekThresholdNoNudgeMs: 100,
  /**
   * A compensated seek still lands off by the error of the latency estimate. A player that cannot
   * nudge would seek again and again if its threshold were below that, so its threshold is at least
   * this many mean deviations of its measured seek latency (× room rate). Players that can nudge
   * need no such guard: the nudge absorbs what a seek misses by.
   */
  seekSpreadFactor: 2,
  /**
   * A client that can hold (pause for a seek and keep the frame until the group arrives) aims its
   * seek this far past where the group will be when the seek and the start complete, or
   * seekSpreadFactor mean deviations of its seek latency if more. Landing early costs a still frame
   * for the difference and nothing else; landing late leaves a drift to nudge away at ≤ 10%
   * (about 1 s per 100 ms), so the aim errs early.
   */
  holdMarginMs: 60,
  /**
   * A paused player ahead of the group waits for it (exact: it starts as the group reaches its
   * frame) if that takes at most this long; further ahead, it seeks.
   */
  holdMaxMs: 1000,
  /**
   * How long play() takes to move frames, assumed before a start was measured (the client measures
   * each start 150 ms after play(), by how far the position fell short of the time passed).
   * Chromium measures 30–60 ms. Too high a guess is the cheaper error: a player that starts early
   * is slowed down, and leaving rate 1.0 costs Chromium ~28 ms anyway.
   */
  startLatencyInitialMs: 40,
  /**
   * Right after a start, with the media buffered, a holding client seeks once more past this
   * |drift| instead of nudging: the seek costs its latency plus the margin (~150–250 ms in
   * Chromium), while nudging 40 ms back at ≤ 10% takes about a second once the ~28 ms cost of
   * leaving rate 1.0 is added. A jump just after a seek or start goes unnoticed.
   */
  settleSeekThresholdMs: 40,
  /** Seek latency assumed before any seek was measured. */
  seekLatencyInitialMs: 300,
  /** Weight of a new measurement in the seek-latency EWMA. */
  seekLatencyAlpha: 0.25,
  /** A single measurement counts as at most this much (a seek that hung on the network is not typical). */
  seekLatencyMaxMs: 3000,

  /** Scheduling lead = slowest member's RTT + margin, bounded. */
  leadMarginMs: 100,
  leadMinMs: 150,
  leadMaxMs: 1500,
} as const;

/** The same numbers, as plain numbers, for experiments (tests and the report compare policies). */
export type SyncTuning = { readonly [K in keyof typeof SYNC]: number };
