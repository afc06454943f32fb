import type { Playback } from '../protocol.ts';
import { SYNC, type SyncTuning } from './constants.ts';
import { type CorrectionInput, decideCorrection } from './correction.ts';
import { expectedPosition, isAdvancing } from './expected-position.ts';
import { START_MEASURE_AFTER_MS } from './latency-learners.ts';

/**
 * After a start the player is settling for this long: one more seek (and hold) may fix what the
 * start missed, if this much media is buffered ahead of the group, so the seek is a quick one.
 */
const SETTLE_WINDOW_MS = 1500;
const SETTLE_BUFFERED_MS = 2000;

/** What the controller measured, once the player is loaded, on a ready clock, not seeking or stalled. */
export interface SyncView {
  playback: Playback;
  durationMs: number | undefined;
  /** Local monotonic time, and the estimate of server time at that instant. */
  now: number;
  serverNowMs: number;
  positionMs: number;
  paused: boolean;
  /** Media buffered from a position on (the MediaPort's bufferedAheadMs). */
  bufferedAheadMs: (positionMs: number) => number;
  /** The playbackRate the controller last gave the player. */
  appliedRate: number;
  canNudgeRate: boolean | undefined;
  /** The browser refused to start the player until a gesture. */
  blocked: boolean;
  /** Paused by the controller while it played, and not sought since (see SyncController). */
  frameUnsettled: boolean;
  /** Drift measured at the last evaluation (null when not measured). */
  lastDriftMs: number | null;
  /** A hold's pre-roll under way: started early, until the group reaches the frame. */
  preRoll: { rev: number; untilServerMs: number } | null;
  /** A start being measured (its reads are unreliable until then). */
  startMeasure: { rev: number; calledAt: number } | null;
  /** The last start, and the rev of the last settling seek (one a rev). */
  lastStart: { rev: number; at: number } | null;
  settleSeekRev: number | null;
  seekLatencyMs: number;
  seekLatencyDeviationMs: number;
  startLatencyMs: number;
  nudgeStartCostMs: number;
}

/**
 * What to do with the player now. Every kind but `pre-roll` ends a pre-roll under way.
 * - `pre-roll`: started early for a hold; nothing to correct until the group reaches the frame.
 * - `measure-start`: just started; no correction on its unreliable reads.
 * - `needs-gesture`: the group plays but the browser will not start the player.
 * - `seek`: pause and seek (`settles`: the one settling seek of this rev is spent on it; `frame`:
 *   the paused frame is sought once, with no new measurement).
 * - `hold`: keep the paused frame until the group reaches it, starting early by the start latency:
 *   `next` says whether to wait (until startAtServerMs), start now, or ask for a gesture.
 * - `steer`: apply `rate` (if any), then play, pause or ask for a gesture (if any).
 */
export type SyncAction =
  | { kind: 'pre-roll'; untilServerMs: number }
  | { kind: 'measure-start' }
  | { kind: 'needs-gesture' }
  | { kind: 'seek'; toMs: number; driftMs: number; frame: boolean; settles: boolean }
  | {
      kind: 'hold';
      driftMs: number;
      untilServerMs: number;
      startAtServerMs: number;
      next: 'wait' | 'start' | 'needs-gesture';
    }
  | { kind: 'steer'; driftMs: number; rate: number | null; next: 'play' | 'pause' | 'needs-gesture' | null };

/**
 * The controller's decision, a pure function of what it measured: first the moments when nothing
 * may be corrected (a pre-roll, a start being measured, a refused autoplay), the paused frame's one
 * seek, then `decideCorrection` with holding on, and for `none` or `rate` whether the player must
 * play or pause to follow the group (`isAdvancing`).
 */
export function decideAction(view: SyncView, tuning: SyncTuning = SYNC): SyncAction {
  const { playback, serverNowMs, now, durationMs } = view;
  const advancing = isAdvancing(playback, serverNowMs);
  const preRoll = view.preRoll;
  if (preRoll && preRoll.rev === playback.rev && !view.paused && serverNowMs < preRoll.untilServerMs) {
    return { kind: 'pre-roll', untilServerMs: preRoll.untilServerMs };
  }
  const start = view.startMeasure;
  if (start && advancing && start.rev === playback.rev && now - start.calledAt < START_MEASURE_AFTER_MS) {
    return { kind: 'measure-start' };
  }
  // Nothing to steer until a gesture lets the player start.
  if (view.blocked && playback.status === 'playing' && view.paused) return { kind: 'needs-gesture' };
  if (view.frameUnsettled && view.paused && !advancing) {
    const toMs = expectedPosition(playback, serverNowMs, durationMs);
    return { kind: 'seek', toMs, driftMs: view.lastDriftMs ?? 0, frame: true, settles: false };
  }
  // Just started, or not started yet (paused: a seek is unseen): one more seek may fix a miss.
  const justStarted =
    view.lastStart !== null && view.lastStart.rev === playback.rev && now - view.lastStart.at < SETTLE_WINDOW_MS;
  const settling =
    (view.paused || justStarted) &&
    view.settleSeekRev !== playback.rev &&
    view.bufferedAheadMs(expectedPosition(playback, serverNowMs, durationMs)) >= SETTLE_BUFFERED_MS;
  const input: CorrectionInput = {
    playback,
    serverNowMs,
    playerPositionMs: view.positionMs,
    playerRate: view.appliedRate,
    seekLatencyMs: view.seekLatencyMs,
    seekLatencyDeviationMs: view.seekLatencyDeviationMs,
    canNudgeRate: view.canNudgeRate,
    durationMs,
    canHold: true,
    playerPaused: view.paused,
    startLatencyMs: view.startLatencyMs,
    nudgeStartCostMs: view.nudgeStartCostMs,
    settling,
  };
  const correction = decideCorrection(input, tuning);
  const { driftMs } = correction;
  switch (correction.kind) {
    case 'seek': {
      // The one settling seek of this state is spent only if settling is why it seeks.
      const settles = settling && decideCorrection({ ...input, settling: false }, tuning).kind !== 'seek';
      return { kind: 'seek', toMs: correction.toMs, driftMs, frame: false, settles };
    }
    case 'hold': {
      const startAtServerMs = correction.untilServerMs - view.startLatencyMs;
      const next = serverNowMs < startAtServerMs ? 'wait' : view.blocked ? 'needs-gesture' : 'start';
      return { kind: 'hold', driftMs, untilServerMs: correction.untilServerMs, startAtServerMs, next };
    }
    case 'none':
    case 'rate': {
      const rate = correction.kind === 'rate' ? correction.rate : null;
      if (advancing && view.paused)
        return { kind: 'steer', driftMs, rate, next: view.blocked ? 'needs-gesture' : 'play' };
      return { kind: 'steer', driftMs, rate, next: !advancing && !view.paused ? 'pause' : null };
    }
    default: {
      const never: never = correction;
      throw new Error(`unknown correction ${JSON.stringify(never)}`);
    }
  }
}
