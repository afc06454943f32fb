import {
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

type SourceState = { itemId: string; phase: 'loading' | 'loaded' | 'error' } | null;

interface PendingSeek {
  startedAt: number;
  toMs: number;
}

/**
 * Keeps one player in step with the room (docs/sync-algorithm.md): on every tick, on every state
 * broadcast and when a seek completes it plays or holds by `isAdvancing`, then applies
 * `decideCorrection` (rate nudge or seek aimed where the group will be once the seek lands). A timer
 * fires at each scheduled instant, so a scheduled start does not wait for the next tick. It also
 * tells the server whether this member is ready, buffering or away, with a grace for blips.
 */
export class SyncController {
  private readonly media: MediaPort;
  private readonly clock: ClockPort;
  private readonly timers: Timers;
  private readonly options: SyncControllerOptions;
  private readonly seekLatency = new SeekLatencyEstimator();
  /** How long play() takes before frames move on this player, learned from its starts. */
  private startLatencyMs = 0;
  private startsMeasured = 0;
  private pendingStart: { calledAt: number; fromMs: number } | null = null;
  private preRollRev: number | null = null;
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
    const advancing = isAdvancing(playback, serverNowMs);
    // A scheduled start begins early by the player's start latency, so frames move at the instant.
    const shouldPlay = isAdvancing(playback, serverNowMs + this.startLatencyMs);
    if (this.stalledSince !== null && this.media.canPlay) this.stalledSince = null;
    if (advancing && !this.media.paused && !this.media.canPlay && this.stalledSince === null) this.stalledSince = now;
    if (this.stalledSince !== null && advancing) {
      this.setPhase('buffering', this.lastDrift);
      return;
    }

    // Pre-roll: started early on purpose from the held frame; corrections resume once the group moves.
    const atHold = Math.abs(this.media.positionMs - playback.positionMs) <= SYNC.enterBandMs;
    const preRoll = !advancing && shouldPlay && (this.preRollRev === playback.rev || atHold);
    const play = advancing || preRoll;
    if (play && this.media.paused) {
      if (this.blocked) {
        this.setPhase('needs-gesture', null);
        return;
      }
      this.startPlaying();
      if (preRoll) this.preRollRev = playback.rev;
    }
    if (!play && !this.media.paused) this.media.pause();
    if (preRoll) {
      this.setPhase('synced', this.lastDrift);
      this.scheduleDue(playback, serverNowMs);
      return;
    }

    const correction = decideCorrection({
      playback,
      serverNowMs,
      playerPositionMs: this.media.positionMs,
      playerRate: this.appliedRate,
      // Until frames move again: the seek, and for a paused player the start after it.
      seekLatencyMs: this.seekLatency.estimateMs + (this.media.paused ? this.startLatencyMs : 0),
      seekLatencyDeviationMs: this.seekLatency.deviationMs,
      canNudgeRate: this.options.canNudgeRate,
      durationMs: this.durationMs,
    });
    this.lastDrift = correction.driftMs;
    switch (correction.kind) {
      case 'none':
        break;
      case 'rate':
        this.appliedRate = correction.rate;
        this.media.setRate(correction.rate);
        break;
      case 'seek':
        this.seeks += 1;
        this.pendingSeek = { startedAt: now, toMs: correction.toMs };
        this.media.seek(correction.toMs);
        this.setPhase('seeking', correction.driftMs);
        return;
      default: {
        const never: never = correction;
        throw new Error(`unknown correction ${JSON.stringify(never)}`);
      }
    }
    const nudging = Math.abs(this.appliedRate - playback.rate) > 1e-9;
    this.setPhase(nudging ? 'nudging' : 'synced', correction.driftMs);
    this.scheduleDue(playback, serverNowMs);
  }

  /**
   * A scheduled start (atServerMs ahead) gets its own timers, the tick interval being too coarse:
   * one to start the player early by its start latency, one at the instant to resume corrections.
   */
  private scheduleDue(playback: Playback, serverNowMs: number): void {
    this.clearDue();
    if (playback.status !== 'playing' || playback.atServerMs <= serverNowMs) return;
    const startAt = playback.atServerMs - this.startLatencyMs;
    const delay = (startAt > serverNowMs ? startAt : playback.atServerMs) - serverNowMs;
    this.dueTimer = this.timers.setTimeout(() => {
      this.dueTimer = undefined;
      this.tick();
    }, delay);
  }

  private clearDue(): void {
    if (this.dueTimer !== undefined) this.timers.clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
  }

  private startPlaying(): void {
    if (this.playing) return;
    this.pendingStart = this.media.canPlay ? { calledAt: this.timers.now(), fromMs: this.media.positionMs } : null;
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

  /** Learns the start latency from the first movement after a play(): when did frames start moving? */
  private measureStart(now: number): void {
    const pending = this.pendingStart;
    if (!pending || this.media.paused) return;
    const moved = this.media.positionMs - pending.fromMs;
    if (moved < 0 || this.pendingSeek !== null || this.media.seeking) {
      this.pendingStart = null;
      return;
    }
    if (moved < 8) return;
    this.pendingStart = null;
    const latency = now - moved / (this.appliedRate || 1) - pending.calledAt;
    if (latency < 0 || latency > MAX_START_LATENCY_MS) return;
    this.startLatencyMs =
      this.startsMeasured === 0 ? latency : this.startLatencyMs + START_LATENCY_ALPHA * (latency - this.startLatencyMs);
    this.startsMeasured += 1;
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
    const report = { state, positionMs: Math.max(0, Math.round(this.media.positionMs)), rev };
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
