import type { Clock, TimerHandle } from '../clock.ts';
import { every } from '../clock.ts';
import type { MemberState, Playback } from '../protocol.ts';
import { SYNC, type SyncTuning } from './constants.ts';
import { expectedPosition, isAdvancing } from './expected-position.ts';
import {
  measurementWindow,
  PlayerLatencies,
  START_MEASURE_AFTER_MS,
  type StillTimeSample,
} from './latency-learners.ts';
import { MemberReporter, type OutgoingReport } from './member-reporter.ts';
import { decideAction, type SyncAction } from './sync-decision.ts';

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
export interface ServerClock {
  readonly ready: boolean;
  serverNow(): number;
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

export interface SyncControllerOptions {
  media: MediaPort;
  /** Where the group is: the server clock's estimate. */
  serverClock: ServerClock;
  /** Local monotonic time and timers (in the browser a clock whose now is performance.now). */
  clock: Clock;
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
  /** The algorithm's numbers (default SYNC); the simulation compares others. */
  tuning?: SyncTuning;
}

/**
 * The player's source for an item. `local`: a reload this viewer caused (another quality, a retry)
 * of the item already playing: until it is ready again it buffers alone, the room does not wait.
 */
export type SourceState = { itemId: string; phase: 'loading' | 'loaded' | 'error'; local?: boolean } | null;

/**
 * What the player is in the middle of, as the controller asked it: nothing; a seek (until `seeked`
 * or the timeout); a start (measured START_MEASURE_AFTER_MS after play() unless `measure` is null,
 * and, for a hold, a pre-roll until the group reaches the frame); or a nudge whose start cost is
 * being measured. Any new operation ends the one before: a seek, a start or a rate change would
 * have spoiled its measurement anyway.
 */
type Operation =
  | { kind: 'none' }
  | { kind: 'seek'; startedAt: number; toMs: number }
  | {
      kind: 'start';
      rev: number;
      measure: StillTimeSample | null;
      preRoll: { rev: number; untilServerMs: number } | null;
    }
  | { kind: 'nudge'; measure: StillTimeSample };

const NONE: Operation = { kind: 'none' };

/**
 * Keeps one player in step with the room (docs/sync-algorithm.md). On every tick, on every state
 * broadcast and when a seek completes it measures (PlayerLatencies), decides (`decideAction`, with
 * `decideCorrection` holding on) and acts: a rate nudge, a seek (paused, aimed a margin past where
 * the group will be once the seek and the start complete) or a hold (keep the frame until the group
 * reaches it, started early by the measured start latency from a timer, so frames move on the
 * instant rather than at the next tick). The MemberReporter tells the server whether this member is
 * ready, buffering or away. No I/O: the media, the server clock, local time and timers are ports.
 */
export class SyncController {
  private readonly media: MediaPort;
  private readonly serverClock: ServerClock;
  private readonly clock: Clock;
  private readonly options: SyncControllerOptions;
  private readonly tuning: SyncTuning;
  private readonly latencies: PlayerLatencies;
  private readonly reporter: MemberReporter;
  private operation: Operation = NONE;
  /** The last start (for the settling window) and the rev of the last settling seek (one a rev). */
  private lastStart: { rev: number; at: number } | null = null;
  private settleSeekRev: number | null = null;
  /**
   * Paused by the controller while it played, and not sought since. Chromium resumes such a
   * player 40–60 ms ahead of the currentTime it showed while paused; after a seek it resumes from
   * the frame it shows. So a paused player seeks its frame once (unseen: the picture is still).
   */
  private frameUnsettled = false;
  private playback: Playback | null = null;
  private durationMs: number | undefined;
  private source: SourceState = null;
  private hidden = false;
  private appliedRate = 1;
  private stalledSince: number | null = null;
  private blocked = false;
  private playing: Promise<unknown> | null = null;
  private lastDrift: number | null = null;
  private seeks = 0;
  private stopTicking: (() => void) | null = null;
  private measureTimer: TimerHandle | undefined;
  private dueTimer: TimerHandle | undefined;
  private status: SyncStatus = { phase: 'idle', driftMs: null, rate: 1, seekLatencyMs: 0, startLatencyMs: 0, seeks: 0 };
  private lastPublished: SyncStatus | null = null;

  constructor(options: SyncControllerOptions) {
    this.options = options;
    this.media = options.media;
    this.serverClock = options.serverClock;
    this.clock = options.clock;
    this.tuning = options.tuning ?? SYNC;
    this.latencies = new PlayerLatencies(this.tuning.startLatencyInitialMs);
    this.reporter = new MemberReporter({
      send: options.report,
      stallGraceMs: options.stallGraceMs,
      reportRetryMs: options.reportRetryMs,
    });
  }

  start(): void {
    if (this.stopTicking) return;
    this.stopTicking = every(this.clock, this.tuning.tickIntervalMs, () => this.tick());
    this.tick();
  }

  stop(): void {
    this.stopTicking?.();
    this.stopTicking = null;
    this.clearDue();
    if (this.measureTimer !== undefined) this.clock.clearTimeout(this.measureTimer);
    this.measureTimer = undefined;
  }

  /** A new room playback (welcome, broadcast or snapshot). */
  setPlayback(playback: Playback | null, durationMs?: number): void {
    const itemChanged = playback?.itemId !== this.playback?.itemId;
    this.playback = playback;
    this.durationMs = durationMs ?? undefined;
    if (itemChanged) this.forgetSeekAndStall();
    this.tick();
  }

  /** Where the player's source stands for an item (the player view loads it). */
  setSource(source: SourceState): void {
    const changed = source?.itemId !== this.source?.itemId || source?.phase !== this.source?.phase;
    if (source?.itemId !== this.source?.itemId) this.reporter.alone = false;
    if (source?.local) this.reporter.alone = true;
    this.source = source;
    if (changed) {
      this.forgetSeekAndStall();
      if (source?.phase === 'loading') this.resetRate();
      this.tick();
    }
  }

  /** What the server last said about this member (for reconciling reports). */
  setServerView(state: MemberState | undefined): void {
    this.reporter.setServerView(state);
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
    return expectedPosition(this.playback, this.serverClock.serverNow(), this.durationMs);
  }

  // Media events ------------------------------------------------------------------------------

  onSeeked(): void {
    if (this.operation.kind === 'seek') {
      this.latencies.seek.observe(this.clock.now() - this.operation.startedAt);
      this.operation = NONE;
    }
    this.tick();
  }

  onWaiting(): void {
    if (this.stalledSince === null) this.stalledSince = this.clock.now();
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
    if (!this.stopTicking) return;
    this.evaluate();
    this.reconcileReport();
    this.publish();
  }

  private forgetSeekAndStall(): void {
    if (this.operation.kind === 'seek') this.operation = NONE;
    this.stalledSince = null;
    this.lastDrift = null;
  }

  private evaluate(): void {
    const playback = this.playback;
    const now = this.clock.now();
    if (!playback || playback.itemId === null) {
      if (!this.media.paused) this.media.pause();
      this.setPhase('idle', null);
      return;
    }
    if (this.source?.itemId !== playback.itemId || this.source.phase !== 'loaded') {
      this.setPhase(this.source?.phase === 'error' ? 'error' : 'loading', null);
      return;
    }
    if (!this.serverClock.ready) {
      this.setPhase('waiting-clock', null);
      return;
    }
    const operation = this.operation;
    if (operation.kind === 'seek') {
      if (now - operation.startedAt < (this.options.seekTimeoutMs ?? 8000)) {
        this.setPhase('seeking', this.lastDrift);
        return;
      }
      this.operation = NONE;
    }
    if (this.media.seeking) {
      this.setPhase('seeking', this.lastDrift);
      return;
    }

    const serverNowMs = this.serverClock.serverNow();
    this.measure(now);
    const advancing = isAdvancing(playback, serverNowMs);
    if (this.stalledSince !== null && this.media.canPlay) this.stalledSince = null;
    if (advancing && !this.media.paused && !this.media.canPlay && this.stalledSince === null) this.stalledSince = now;
    if (this.stalledSince !== null && advancing) {
      this.setPhase('buffering', this.lastDrift);
      return;
    }

    const current = this.operation;
    const action = decideAction(
      {
        playback,
        durationMs: this.durationMs,
        now,
        serverNowMs,
        positionMs: this.media.positionMs,
        paused: this.media.paused,
        bufferedAheadMs: (positionMs) => this.media.bufferedAheadMs(positionMs),
        appliedRate: this.appliedRate,
        canNudgeRate: this.options.canNudgeRate,
        blocked: this.blocked,
        frameUnsettled: this.frameUnsettled,
        lastDriftMs: this.lastDrift,
        preRoll: current.kind === 'start' ? current.preRoll : null,
        startMeasure: current.kind === 'start' && current.measure ? { rev: current.rev, ...current.measure } : null,
        lastStart: this.lastStart,
        settleSeekRev: this.settleSeekRev,
        seekLatencyMs: this.latencies.seek.estimateMs,
        seekLatencyDeviationMs: this.latencies.seek.deviationMs,
        startLatencyMs: this.latencies.start.estimateMs,
        nudgeStartCostMs: this.latencies.nudgeStart.estimateMs,
      },
      this.tuning,
    );
    this.act(action, playback, now, serverNowMs);
  }

  private act(action: SyncAction, playback: Playback, now: number, serverNowMs: number): void {
    // A pre-roll lasts only while the decision says so.
    if (action.kind !== 'pre-roll' && this.operation.kind === 'start' && this.operation.preRoll) {
      this.operation = this.operation.measure ? { ...this.operation, preRoll: null } : NONE;
    }
    switch (action.kind) {
      case 'pre-roll':
        this.setPhase('synced', this.lastDrift);
        this.wakeAt(action.untilServerMs, serverNowMs);
        return;
      case 'measure-start':
        this.setPhase('synced', this.lastDrift);
        return;
      case 'needs-gesture':
        this.setPhase('needs-gesture', null);
        return;
      case 'seek':
        if (action.frame) {
          this.seekTo(action.toMs, now, action.driftMs);
          return;
        }
        this.lastDrift = action.driftMs;
        // Paused through the seek: the frame is then held until the group reaches it.
        if (!this.media.paused) this.media.pause();
        if (action.settles) this.settleSeekRev = playback.rev;
        this.seekTo(action.toMs, now, action.driftMs);
        return;
      case 'hold':
        this.lastDrift = action.driftMs;
        this.hold(action, playback.rev, serverNowMs);
        return;
      case 'steer':
        this.lastDrift = action.driftMs;
        this.steer(action, playback, now, serverNowMs);
        return;
      default: {
        const never: never = action;
        throw new Error(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }

  private steer(action: Extract<SyncAction, { kind: 'steer' }>, playback: Playback, now: number, serverNowMs: number) {
    if (action.rate !== null) {
      if (this.appliedRate === playback.rate && !this.media.paused) {
        this.operation = {
          kind: 'nudge',
          measure: { calledAt: now, fromMs: this.media.positionMs, rate: action.rate },
        };
        this.measureSoon();
      } else if (this.operation.kind === 'start' && this.operation.measure) {
        // A rate change spoils the start's measurement.
        this.operation = NONE;
      }
      this.appliedRate = action.rate;
      this.media.setRate(action.rate);
    }
    switch (action.next) {
      case 'needs-gesture':
        this.setPhase('needs-gesture', null);
        return;
      case 'play':
        this.startPlaying();
        break;
      case 'pause':
        this.media.pause();
        this.frameUnsettled = true;
        // Seek the frame, and for a scheduled start hold, now rather than at the next tick.
        this.wakeAt(serverNowMs, serverNowMs);
        break;
      case null:
        break;
      default: {
        const never: never = action.next;
        throw new Error(`unknown step ${String(never)}`);
      }
    }
    const nudging = Math.abs(this.appliedRate - playback.rate) > 1e-9;
    this.setPhase(nudging ? 'nudging' : 'synced', action.driftMs);
  }

  private seekTo(toMs: number, now: number, driftMs: number): void {
    this.frameUnsettled = false;
    this.seeks += 1;
    this.operation = { kind: 'seek', startedAt: now, toMs };
    this.media.seek(toMs);
    this.setPhase('seeking', driftMs);
  }

  /**
   * Keeps the paused player on its frame until the group reaches it at `untilServerMs`, and starts
   * it early by its start latency so frames move on that instant. Until then a timer, not the tick
   * interval, decides the moment.
   */
  private hold(action: Extract<SyncAction, { kind: 'hold' }>, rev: number, serverNowMs: number): void {
    this.resetRate();
    switch (action.next) {
      case 'wait':
        this.setPhase('synced', this.lastDrift);
        this.wakeAt(action.startAtServerMs, serverNowMs);
        return;
      case 'needs-gesture':
        this.setPhase('needs-gesture', null);
        return;
      case 'start':
        this.startPlaying();
        if (serverNowMs < action.untilServerMs) {
          const measure = this.operation.kind === 'start' ? this.operation.measure : null;
          this.operation = { kind: 'start', rev, measure, preRoll: { rev, untilServerMs: action.untilServerMs } };
          this.wakeAt(action.untilServerMs, serverNowMs);
        }
        this.setPhase('synced', this.lastDrift);
        return;
      default: {
        const never: never = action.next;
        throw new Error(`unknown hold step ${String(never)}`);
      }
    }
  }

  /** One timer, for the next moment a hold or a pre-roll ends (server time). */
  private wakeAt(serverMs: number, serverNowMs: number): void {
    this.clearDue();
    this.dueTimer = this.clock.setTimeout(
      () => {
        this.dueTimer = undefined;
        this.tick();
      },
      Math.max(0, serverMs - serverNowMs),
    );
  }

  private clearDue(): void {
    if (this.dueTimer !== undefined) this.clock.clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
  }

  private startPlaying(): void {
    if (this.playing) return;
    const now = this.clock.now();
    const rev = this.playback?.rev ?? -1;
    this.lastStart = { rev, at: now };
    const measure = this.media.canPlay
      ? { calledAt: now, fromMs: this.media.positionMs, rate: this.appliedRate }
      : null;
    this.operation = { kind: 'start', rev, measure, preRoll: null };
    if (measure) this.measureSoon();
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
   * Learns from the start or nudge under way, once the player has run long enough at one rate: the
   * time since it began less the media time it covered is how long the player stood still.
   */
  private measure(now: number): void {
    const operation = this.operation;
    const sample = operation.kind === 'start' || operation.kind === 'nudge' ? operation.measure : null;
    if (!sample) return;
    const disturbed =
      this.media.paused || this.media.seeking || this.stalledSince !== null || this.appliedRate !== sample.rate;
    const elapsed = measurementWindow(sample, now, disturbed);
    if (elapsed === 'wait') return;
    if (operation.kind === 'start') {
      this.operation = operation.preRoll ? { ...operation, measure: null } : NONE;
      if (elapsed !== 'disturbed') this.latencies.observeStart(sample, elapsed, this.media.positionMs);
    } else {
      this.operation = NONE;
      if (elapsed !== 'disturbed') this.latencies.observeNudgeStart(sample, elapsed, this.media.positionMs);
    }
  }

  /** An evaluation once a start or a nudge has run long enough to be measured. */
  private measureSoon(): void {
    if (this.measureTimer !== undefined) this.clock.clearTimeout(this.measureTimer);
    this.measureTimer = this.clock.setTimeout(() => {
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

  // Reports and status ------------------------------------------------------------------------

  private reconcileReport(): void {
    const playback = this.playback;
    if (!this.stopTicking || !playback || playback.itemId === null) return;
    const loaded = this.source?.itemId === playback.itemId && this.source.phase === 'loaded';
    this.reporter.reconcile({
      now: this.clock.now(),
      rev: playback.rev,
      positionMs: this.media.positionMs,
      away: this.hidden || this.blocked,
      loaded,
      inStep:
        loaded &&
        this.serverClock.ready &&
        this.media.canPlay &&
        this.operation.kind !== 'seek' &&
        !this.media.seeking &&
        this.stalledSince === null &&
        this.lastDrift !== null &&
        Math.abs(this.lastDrift) <= this.tuning.seekThresholdMs,
    });
  }

  private setPhase(phase: SyncPhase, driftMs: number | null): void {
    this.status = {
      phase,
      driftMs,
      rate: this.appliedRate,
      seekLatencyMs: Math.round(this.latencies.seek.estimateMs),
      startLatencyMs: Math.round(this.latencies.start.estimateMs),
      seeks: this.seeks,
    };
  }

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
