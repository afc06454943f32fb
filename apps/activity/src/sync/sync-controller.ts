import {
  type CorrectionInput,
  decideCorrection,
  expectedPosition,
  isAdvancing,
  type MemberState,
  type Playback,
  type ReportState,
  SeekLatencyEstimator,
  SYNC,
} from '@dpp/shared';

/**
 * The player as the sync controller sees it: a video element, a video.js player or, in tests, a
 * simulated one. Positions are milliseconds.
 */
export interface MediaPort {
  readonly positionMs: number;
  readonly paused: boolean;
  readonly seeking: boolean;
  /** Enough data to play on from here (readyState ≥ HAVE_FUTURE_DATA). */
  readonly canPlay: boolean;
  /** How much media is buffered from this position on (0 when it is not buffered). */
  bufferedAheadMs(positionMs: number): number;
  /** Starts playing; 'blocked' when the browser's autoplay policy refuses even a muted start. */
  play(): Promise<'playing' | 'blocked'>;
  pause(): void;
  seek(positionMs: number): void;
  setRate(rate: number): void;
}

/** The estimate of the server clock (the connection's ClockSync). */
export interface ClockPort {
  readonly ready: boolean;
  serverNow(): number;
}

export interface Timers {
  /** Monotonic local milliseconds (performance.now in the browser). */
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export type SyncPhase =
  | 'idle'
  | 'loading'
  | 'waiting-clock'
  | 'synced'
  | 'nudging'
  | 'seeking'
  | 'buffering'
  | 'needs-gesture'
  | 'error';

export interface SyncStatus {
  phase: SyncPhase;
  /** Player position − where the group is, from the last evaluation (null when not measured). */
  driftMs: number | null;
  /** The playbackRate the controller asked for. */
  rate: number;
  seekLatencyMs: number;
  /** How early the player is started before a scheduled instant (its measured start latency). */
  startLatencyMs: number;
  seeks: number;
}

export interface OutgoingReport {
  state: ReportState;
  positionMs: number;
  rev: number;
  /** Buffering for this viewer's own reason (a quality change): the room should not wait. */
  alone?: boolean;
}

export interface SyncControllerOptions {
  media: MediaPort;
  clock: ClockPort;
  timers: Timers;
  /** Sends a `report` frame. */
  report: (report: OutgoingReport) => void;
  onStatus?: (status: SyncStatus) => void;
  /** False on players where small rate changes glitch: then only seeks correct. */
  canNudgeRate?: boolean;
  /** A stall or slow seek shorter than this is not reported (the room would stop for a blip). */
  stallGraceMs?: number;
  /** A seek that has not completed after this long is given up (the next tick decides afresh). */
  seekTimeoutMs?: number;
  /** With the server disagreeing about this member's state, the report is repeated this often. */
  reportRetryMs?: number;
}

/** A start slower than this was a stall, not the player's usual latency. */
const MAX_START_LATENCY_MS = 250;
const START_LATENCY_ALPHA = 0.3;
/**
 * A start is measured this long after play(), by how far the position fell short of the time that
 * passed. Chromium's currentTime jumps ahead a few ms at play() and then stands still for 40–60 ms
 * before moving steadily; the first movement says nothing about when frames really keep pace.
 */
const START_MEASURE_AFTER_MS = 150;
/** Longer than this since play() without a measurement: something else (a stall) may be mixed in. */
const START_MEASURE_WITHIN_MS = 1000;
/**
 * After a start the player is settling for this long: one more seek (and hold) may fix what the
 * start missed, if this much media is buffered ahead of the group, so the seek is a quick one.
 */
const SETTLE_WINDOW_MS = 1500;
const SETTLE_BUFFERED_MS = 2000;
/** A nudge start that lost more than this was a stall, not the player's rate switch. */
const MAX_NUDGE_START_COST_MS = 100;

/**
 * The player's source for an item. `local`: a reload this viewer caused (another quality, a retry)
 * of the item already playing: until it is ready again it buffers alone, the room does not wait.
 */
type SourceState = { itemId: string; phase: 'loading' | 'loaded' | 'error'; local?: boolean } | null;

interface PendingSeek {
  startedAt: number;
  toMs: number;
}

/**
 * Keeps one player in step with the room (docs/sync-algorithm.md): on every tick, on every state
 * broadcast and when a seek completes it applies `decideCorrection` with holding on: a rate nudge,
 * a seek (paused, aimed a margin past where the group will be once the seek and the start complete)
 * or a hold (keep the frame until the group reaches it), and otherwise plays or pauses by
 * `isAdvancing`. A timer starts a held player early by its measured start latency, so frames move
 * on the instant rather than at the next tick. It also learns its player's seek and start latencies
 * and the cost of leaving the room rate, and tells the server whether this member is ready,
 * buffering or away, with a grace for blips.
 */
export class SyncController {
  private readonly media: MediaPort;
  private readonly clock: ClockPort;
  private readonly timers: Timers;
  private readonly options: SyncControllerOptions;
  private readonly seekLatency = new SeekLatencyEstimator();
  /** How long play() takes before frames move on this player, learned from its starts. */
  private startLatencyMs: number = SYNC.startLatencyInitialMs;
  private startsMeasured = 0;
  private pendingStart: { calledAt: number; fromMs: number; rate: number; rev: number } | null = null;
  private measureTimer: unknown;
  /**
   * How long the player stands still when its rate leaves the room rate (docs/sync-algorithm.md:
   * ~28 ms in Chromium), learned from the nudges it starts, measured like a start.
   */
  private nudgeStartCostMs = 0;
  private nudgeStartsMeasured = 0;
  private pendingNudge: { calledAt: number; fromMs: number; rate: number } | null = null;
  /** The last start (for the settling window) and the rev of the last settling seek (one a rev). */
  private lastStart: { rev: number; at: number } | null = null;
  private settleSeekRev: number | null = null;
  /**
   * Paused by the controller while it played, and not sought since. Chromium resumes such a
   * player 40–60 ms ahead of the currentTime it showed while paused; after a seek it resumes from
   * the frame it shows. So a paused player seeks its frame once (unseen: the picture is still).
   */
  private frameUnsettled = false;
  /** A hold's start, early by the start latency: no corrections until the group reaches the frame. */
  private preRoll: { rev: number; untilServerMs: number } | null = null;
  private playback: Playback | null = null;
  private durationMs: number | undefined;
  private source: SourceState = null;
  private serverView: MemberState | undefined;
  private hidden = false;
  private appliedRate = 1;
  private pendingSeek: PendingSeek | null = null;
  private stalledSince: number | null = null;
  private notOkSince: number | null = null;
  private blocked = false;
  private playing: Promise<unknown> | null = null;
  private lastReport: (OutgoingReport & { at: number }) | null = null;
  /** Reloading on this viewer's own account: buffering is reported as `alone` until ready again. */
  private alone = false;
  private lastDrift: number | null = null;
  private seeks = 0;
  private interval: unknown;
  private dueTimer: unknown;
  private running = false;
  private status: SyncStatus = { phase: 'idle', driftMs: null, rate: 1, seekLatencyMs: 0, startLatencyMs: 0, seeks: 0 };

  constructor(options: SyncControllerOptions) {
    this.options = options;
    this.media = options.media;
    this.clock = options.clock;
    this.timers = options.timers;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.interval = this.timers.setInterval(() => this.tick(), SYNC.tickIntervalMs);
    this.tick();
  }

  stop(): void {
    this.running = false;
    this.timers.clearInterval(this.interval);
    this.clearDue();
    if (this.measureTimer !== undefined) this.timers.clearTimeout(this.measureTimer);
    this.measureTimer = undefined;
  }

  /** A new room playback (welcome, broadcast or snapshot). */
  setPlayback(playback: Playback | null, durationMs?: number): void {
    const itemChanged = playback?.itemId !== this.playback?.itemId;
    this.playback = playback;
    this.durationMs = durationMs ?? undefined;
    if (itemChanged) {
      this.pendingSeek = null;
      this.stalledSince = null;
      this.lastDrift = null;
    }
    this.tick();
  }

  /** Where the player's source stands for an item (the player view loads it). */
  setSource(source: SourceState): void {
    const changed = source?.itemId !== this.source?.itemId || source?.phase !== this.source?.phase;
    if (source?.itemId !== this.source?.itemId) this.alone = false;
    if (source?.local) this.alone = true;
    this.source = source;
    if (changed) {
      this.pendingSeek = null;
      this.stalledSince = null;
      this.lastDrift = null;
      if (source?.phase === 'loading') this.resetRate();
      this.tick();
    }
  }

  /** What the server last said about this member (for reconciling reports). */
  setServerView(state: MemberState | undefined): void {
    this.serverView = state;
    this.reconcileReport();
  }

  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    this.tick();
  }

  /** A user gesture happened after autoplay was refused: try again. */
  gesture(): void {
    this.blocked = false;
    this.tick();
  }

  get currentStatus(): SyncStatus {
    return this.status;
  }

  /** Where the group is now (null without a playback or clock). */
  expectedPositionMs(): number | null {
    if (!this.playback) return null;
    return expectedPosition(this.playback, this.clock.serverNow(), this.durationMs);
  }

  // Media events ------------------------------------------------------------------------------

  onSeeked(): void {
    const pending = this.pendingSeek;
    if (pending) {
      this.seekLatency.observe(this.timers.now() - pending.startedAt);
      this.pendingSeek = null;
    }
    this.tick();
  }

  onWaiting(): void {
    if (this.stalledSince === null) this.stalledSince = this.timers.now();
    this.tick();
  }

  onPlaying(): void {
    this.stalledSince = null;
    this.tick();
  }

  onCanPlay(): void {
    if (this.media.canPlay) this.stalledSince = null;
    this.tick();
  }

  // The loop ----------------------------------------------------------------------------------

  tick(): void {
    if (!this.running) return;
    this.evaluate();
    this.reconcileReport();
    this.publish();
  }

  private evaluate(): void {
    const playback = this.playback;
    const now = this.timers.now();
    if (!playback || playback.itemId === null) {
      if (!this.media.paused) this.media.pause();
      this.setPhase('idle', null);
      return;
    }
    if (this.source?.itemId !== playback.itemId || this.source.phase !== 'loaded') {
      this.setPhase(this.source?.phase === 'error' ? 'error' : 'loading', null);
      return;
    }
    if (!this.clock.ready) {
      this.setPhase('waiting-clock', null);
      return;
    }
    if (this.pendingSeek) {
      if (now - this.pendingSeek.startedAt < (this.options.seekTimeoutMs ?? 8000)) {
        this.setPhase('seeking', this.lastDrift);
        return;
      }
      this.pendingSeek = null;
    }
    if (this.media.seeking) {
      this.setPhase('seeking', this.lastDrift);
      return;
    }

    const serverNowMs = this.clock.serverNow();
    this.measureStart(now);
    this.measureNudgeStart(now);
    const advancing = isAdvancing(playback, serverNowMs);
    if (this.stalledSince !== null && this.media.canPlay) this.stalledSince = null;
    if (advancing && !this.media.paused && !this.media.canPlay && this.stalledSince === null) this.stalledSince = now;
    if (this.stalledSince !== null && advancing) {
      this.setPhase('buffering', this.lastDrift);
      return;
    }

    // Pre-roll: started early on purpose, by the start latency, for a hold that ends when the group
    // reaches the frame; corrections resume from then on.
    const preRoll = this.preRoll;
    if (preRoll && (preRoll.rev !== playback.rev || this.media.paused || serverNowMs >= preRoll.untilServerMs)) {
      this.preRoll = null;
    }
    if (this.preRoll) {
      this.setPhase('synced', this.lastDrift);
      this.wakeAt(this.preRoll.untilServerMs, serverNowMs);
      return;
    }
    // Just started: the position reads are unreliable until the start is measured (see
    // START_MEASURE_AFTER_MS), and a nudge started now would add its own cost to the start's.
    const start = this.pendingStart;
    if (start && advancing && start.rev === playback.rev && now - start.calledAt < START_MEASURE_AFTER_MS) {
      this.setPhase('synced', this.lastDrift);
      return;
    }

    if (this.blocked && playback.status === 'playing' && this.media.paused) {
      // Nothing to steer until a gesture lets the player start.
      this.setPhase('needs-gesture', null);
      return;
    }
    if (this.frameUnsettled && this.media.paused && !advancing) {
      this.frameUnsettled = false;
      this.seekTo(expectedPosition(playback, serverNowMs, this.durationMs), now, this.lastDrift ?? 0);
      return;
    }
    // Just started, or not started yet (paused: a seek is unseen): one more seek may fix a miss.
    const justStarted =
      this.lastStart !== null && this.lastStart.rev === playback.rev && now - this.lastStart.at < SETTLE_WINDOW_MS;
    const settling =
      (this.media.paused || justStarted) &&
      this.settleSeekRev !== playback.rev &&
      this.media.bufferedAheadMs(expectedPosition(playback, serverNowMs, this.durationMs)) >= SETTLE_BUFFERED_MS;
    const input: CorrectionInput = {
      playback,
      serverNowMs,
      playerPositionMs: this.media.positionMs,
      playerRate: this.appliedRate,
      seekLatencyMs: this.seekLatency.estimateMs,
      seekLatencyDeviationMs: this.seekLatency.deviationMs,
      canNudgeRate: this.options.canNudgeRate,
      durationMs: this.durationMs,
      canHold: true,
      playerPaused: this.media.paused,
      startLatencyMs: this.startLatencyMs,
      nudgeStartCostMs: this.nudgeStartCostMs,
      settling,
    };
    const correction = decideCorrection(input);
    this.lastDrift = correction.driftMs;
    switch (correction.kind) {
      case 'none':
        break;
      case 'rate':
        if (this.appliedRate === playback.rate && !this.media.paused) {
          this.pendingNudge = { calledAt: now, fromMs: this.media.positionMs, rate: correction.rate };
          this.measureSoon();
        }
        this.appliedRate = correction.rate;
        this.media.setRate(correction.rate);
        break;
      case 'seek':
        // Paused through the seek: the frame is then held until the group reaches it.
        if (!this.media.paused) this.media.pause();
        // The one settling seek of this state is spent only if settling is why it seeks.
        if (settling && decideCorrection({ ...input, settling: false }).kind !== 'seek') {
          this.settleSeekRev = playback.rev;
        }
        this.seekTo(correction.toMs, now, correction.driftMs);
        return;
      case 'hold':
        this.hold(playback.rev, correction.untilServerMs, serverNowMs);
        return;
      default: {
        const never: never = correction;
        throw new Error(`unknown correction ${JSON.stringify(never)}`);
      }
    }
    if (advancing && this.media.paused) {
      if (this.blocked) {
        this.setPhase('needs-gesture', null);
        return;
      }
      this.startPlaying();
    }
    if (!advancing && !this.media.paused) {
      this.media.pause();
      this.frameUnsettled = true;
      // Seek the frame, and for a scheduled start hold, now rather than at the next tick.
      this.wakeAt(serverNowMs, serverNowMs);
    }
    const nudging = Math.abs(this.appliedRate - playback.rate) > 1e-9;
    this.setPhase(nudging ? 'nudging' : 'synced', correction.driftMs);
  }

  private seekTo(toMs: number, now: number, driftMs: number): void {
    this.frameUnsettled = false;
    this.seeks += 1;
    this.pendingSeek = { startedAt: now, toMs };
    this.media.seek(toMs);
    this.setPhase('seeking', driftMs);
  }

  /**
   * Keeps the paused player on its frame until the group reaches it at `untilServerMs`, and starts
   * it early by its start latency so frames move on that instant. Until then a timer, not the tick
   * interval, decides the moment.
   */
  private hold(rev: number, untilServerMs: number, serverNowMs: number): void {
    this.resetRate();
    const startAt = untilServerMs - this.startLatencyMs;
    if (serverNowMs < startAt) {
      this.setPhase('synced', this.lastDrift);
      this.wakeAt(startAt, serverNowMs);
      return;
    }
    if (this.blocked) {
      this.setPhase('needs-gesture', null);
      return;
    }
    this.startPlaying();
    if (serverNowMs < untilServerMs) {
      this.preRoll = { rev, untilServerMs };
      this.wakeAt(untilServerMs, serverNowMs);
    }
    this.setPhase('synced', this.lastDrift);
  }

  /** One timer, for the next moment a hold or a pre-roll ends (server time). */
  private wakeAt(serverMs: number, serverNowMs: number): void {
    this.clearDue();
    this.dueTimer = this.timers.setTimeout(
      () => {
        this.dueTimer = undefined;
        this.tick();
      },
      Math.max(0, serverMs - serverNowMs),
    );
  }

  private clearDue(): void {
    if (this.dueTimer !== undefined) this.timers.clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
  }

  private startPlaying(): void {
    if (this.playing) return;
    const now = this.timers.now();
    const rev = this.playback?.rev ?? -1;
    this.lastStart = { rev, at: now };
    this.pendingStart = this.media.canPlay
      ? { calledAt: now, fromMs: this.media.positionMs, rate: this.appliedRate, rev }
      : null;
    if (this.pendingStart) this.measureSoon();
    const attempt = this.media.play().then(
      (result) => {
        if (result === 'blocked') this.blocked = true;
      },
      () => {
        this.blocked = true;
      },
    );
    this.playing = attempt;
    void attempt.finally(() => {
      if (this.playing === attempt) this.playing = null;
      this.tick();
    });
  }

  /**
   * Where a start (or rate change) measurement stands: the ms since it began once the player has run
   * long enough at one rate, 'wait' before that, 'disturbed' when anything else moved the player.
   */
  private measurementWindow(pending: { calledAt: number; rate: number }, now: number): number | 'wait' | 'disturbed' {
    const elapsed = now - pending.calledAt;
    const disturbed =
      this.media.paused ||
      this.media.seeking ||
      this.pendingSeek !== null ||
      this.stalledSince !== null ||
      this.appliedRate !== pending.rate ||
      elapsed > START_MEASURE_WITHIN_MS;
    if (disturbed) return 'disturbed';
    return elapsed < START_MEASURE_AFTER_MS ? 'wait' : elapsed;
  }

  /**
   * Learns the start latency: once the player has played a while at one rate, the time since play()
   * less the media time it covered is how late frames started to keep pace.
   */
  private measureStart(now: number): void {
    const pending = this.pendingStart;
    if (!pending) return;
    const elapsed = this.measurementWindow(pending, now);
    if (elapsed === 'wait') return;
    this.pendingStart = null;
    if (elapsed === 'disturbed') return;
    // A start a few ms early (a read that ran ahead) counts as immediate.
    const latency = Math.max(0, elapsed - (this.media.positionMs - pending.fromMs) / (pending.rate || 1));
    if (latency > MAX_START_LATENCY_MS) return;
    this.startLatencyMs =
      this.startsMeasured === 0 ? latency : this.startLatencyMs + START_LATENCY_ALPHA * (latency - this.startLatencyMs);
    this.startsMeasured += 1;
  }

  /** Like a start: the rate's media time since it was set, against the media time covered. */
  private measureNudgeStart(now: number): void {
    const pending = this.pendingNudge;
    if (!pending) return;
    const elapsed = this.measurementWindow(pending, now);
    if (elapsed === 'wait') return;
    this.pendingNudge = null;
    if (elapsed === 'disturbed') return;
    // Media time short of the new rate's path, in the wall time the player stood still.
    const lost = Math.max(0, elapsed * pending.rate - (this.media.positionMs - pending.fromMs)) / pending.rate;
    if (lost > MAX_NUDGE_START_COST_MS) return;
    this.nudgeStartCostMs =
      this.nudgeStartsMeasured === 0
        ? lost
        : this.nudgeStartCostMs + START_LATENCY_ALPHA * (lost - this.nudgeStartCostMs);
    this.nudgeStartsMeasured += 1;
  }

  /** An evaluation once a start or a nudge has run long enough to be measured. */
  private measureSoon(): void {
    if (this.measureTimer !== undefined) this.timers.clearTimeout(this.measureTimer);
    this.measureTimer = this.timers.setTimeout(() => {
      this.measureTimer = undefined;
      this.tick();
    }, START_MEASURE_AFTER_MS);
  }

  private resetRate(): void {
    const rate = this.playback?.rate ?? 1;
    if (this.appliedRate !== rate) {
      this.appliedRate = rate;
      this.media.setRate(rate);
    }
  }

  // Reports -----------------------------------------------------------------------------------

  /** What this member is, from the player's point of view. */
  private localState(now: number): ReportState | null {
    const playback = this.playback;
    if (!playback || playback.itemId === null) return null;
    if (this.hidden || this.blocked) return 'away';
    const loaded = this.source?.itemId === playback.itemId && this.source.phase === 'loaded';
    const ok =
      loaded &&
      this.clock.ready &&
      this.media.canPlay &&
      this.pendingSeek === null &&
      !this.media.seeking &&
      this.stalledSince === null &&
      this.lastDrift !== null &&
      Math.abs(this.lastDrift) <= SYNC.seekThresholdMs;
    if (ok) {
      this.notOkSince = null;
      return 'ready';
    }
    // Ready → buffering only after the grace: a corrective seek or a short stall must not stop the room.
    if (this.notOkSince === null) this.notOkSince = now;
    const previous = this.lastReport?.rev === playback.rev ? this.lastReport.state : this.serverViewAsReport();
    if (previous === 'ready' && loaded && now - this.notOkSince < (this.options.stallGraceMs ?? 600)) return 'ready';
    return 'buffering';
  }

  private serverViewAsReport(): ReportState | undefined {
    switch (this.serverView) {
      case undefined:
        return undefined;
      case 'ready':
        return 'ready';
      case 'away':
        return 'away';
      case 'buffering':
      case 'lagging':
        return 'buffering';
      default: {
        const never: never = this.serverView;
        throw new Error(`unknown member state ${String(never)}`);
      }
    }
  }

  private reconcileReport(): void {
    if (!this.running || !this.playback) return;
    const now = this.timers.now();
    const state = this.localState(now);
    if (state === null) return;
    const rev = this.playback.rev;
    const last = this.lastReport;
    const changed = !last || last.state !== state || last.rev !== rev;
    const disagrees = this.serverView !== undefined && this.serverViewAsReport() !== state;
    const retry = disagrees && last !== null && now - last.at >= (this.options.reportRetryMs ?? 2000);
    if (!changed && !retry) return;
    if (state === 'ready') this.alone = false;
    const report: OutgoingReport = { state, positionMs: Math.max(0, Math.round(this.media.positionMs)), rev };
    if (state === 'buffering' && this.alone) report.alone = true;
    this.lastReport = { ...report, at: now };
    this.options.report(report);
  }

  // Status ------------------------------------------------------------------------------------

  private setPhase(phase: SyncPhase, driftMs: number | null): void {
    this.status = {
      phase,
      driftMs,
      rate: this.appliedRate,
      seekLatencyMs: Math.round(this.seekLatency.estimateMs),
      startLatencyMs: Math.round(this.startLatencyMs),
      seeks: this.seeks,
    };
  }

  private lastPublished: SyncStatus | null = null;

  private publish(): void {
    const previous = this.lastPublished;
    const status = this.status;
    if (
      previous &&
      previous.phase === status.phase &&
      previous.rate === status.rate &&
      previous.seeks === status.seeks &&
      (previous.driftMs === null) === (status.driftMs === null) &&
      Math.abs((previous.driftMs ?? 0) - (status.driftMs ?? 0)) < 1
    )
      return;
    this.lastPublished = status;
    this.options.onStatus?.(status);
  }
}
