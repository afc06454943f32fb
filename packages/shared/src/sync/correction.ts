import { SYNC, type SyncTuning } from './constants.ts';
import { expectedPosition, isAdvancing, type PlaybackTiming } from './expected-position.ts';

/**
 * What the client should do to its player now. driftMs = player position − expected position.
 * `hold`: keep the paused player on its frame; the group reaches that frame at server time
 * `untilServerMs`, so start it then, early by its start latency (at once if that time has passed).
 */
export type Correction =
  | { kind: 'none'; driftMs: number }
  | { kind: 'rate'; rate: number; driftMs: number }
  | { kind: 'seek'; toMs: number; driftMs: number }
  | { kind: 'hold'; untilServerMs: number; driftMs: number };

export interface CorrectionInput {
  playback: PlaybackTiming;
  /** The client's estimate of server time now (ClockSync.serverNow). */
  serverNowMs: number;
  playerPositionMs: number;
  /**
   * The playbackRate the client last gave the player. A rate other than the room rate means a nudge
   * is running; that is the hysteresis state, so the decision needs no memory of its own.
   */
  playerRate: number;
  /** The client's seek-latency estimate (SeekLatencyEstimator.estimateMs). */
  seekLatencyMs: number;
  /** How much its seeks vary (SeekLatencyEstimator.deviationMs); 0 if unknown. */
  seekLatencyDeviationMs?: number;
  /**
   * False for players where small playbackRate changes are impossible or glitch (some mobile ones):
   * then only seeks correct. The room rate itself is still applied.
   */
  canNudgeRate?: boolean;
  durationMs?: number;
  /**
   * True for a client that, while the group plays, pauses for every seek, aims it a margin past
   * where the group will be once the seek and the start complete, and holds the frame until the
   * group arrives (`hold`). A seek then lands within the start latency's error instead of the seek
   * latency's. False (the default): seeks aim at where the group will be after `seekLatencyMs`,
   * and the client plays whenever the group moves.
   */
  canHold?: boolean;
  /** The player is paused, holding a frame (read only with canHold). */
  playerPaused?: boolean;
  /** How long play() takes to move frames (with canHold: held players start this early, seeks aim past it). */
  startLatencyMs?: number;
  /**
   * How long the player stands still when its rate leaves the room rate (0 if unknown): the group
   * moves on meanwhile. Chromium's audio renderer stands still for about 28 ms whenever
   * playbackRate leaves 1.0; returning to it, or moving between other rates, costs nothing. A
   * nudge that starts is sized for where that leaves the player.
   */
  nudgeStartCostMs?: number;
  /**
   * The player has just started (after a hold, a seek or a play) or is still paused, the media
   * ahead of the group is buffered, and it has not made such a seek for this state yet: with
   * canHold, a drift past settleSeekThresholdMs is then corrected by one more (cheap, unnoticed)
   * seek and hold rather than a nudge of a second or more.
   */
  settling?: boolean;
}

const RATE_EQUAL = 1e-9;

/**
 * The correction policy, evaluated on every tick (and on every state broadcast) while the player is
 * neither seeking nor stalled:
 * - |drift| past the seek threshold (for a player that cannot nudge: a lower one, but never below
 *   what its seeks miss by), or past the dead band while the group stands still: seek to where the
 *   group will be once the seek completes, expectedPosition(now + seek latency);
 * - otherwise, outside the dead band (enterBandMs), or inside it while a nudge runs and not yet
 *   within the exit band: play at room rate × (1 − drift / horizon), capped at ±maxRateDelta;
 * - a running nudge that reached the exit band returns to the room rate.
 * A nudge that starts from the room rate is sized for the drift less the player's nudge start cost.
 * With canHold, while the group plays (or is about to): seeks aim a margin further (see
 * SYNC.holdMarginMs), a paused player that is on the group's path ahead of it, by no more than
 * holdMaxMs of waiting, holds until the group arrives, and a player that is settling seeks again
 * past settleSeekThresholdMs.
 */
export function decideCorrection(input: CorrectionInput, tuning: SyncTuning = SYNC): Correction {
  const { playback, serverNowMs, playerPositionMs, playerRate, durationMs } = input;
  const canNudgeRate = input.canNudgeRate !== false;
  const baseRate = playback.rate;
  const driftMs = playerPositionMs - expectedPosition(playback, serverNowMs, durationMs);
  const magnitude = Math.abs(driftMs);
  const nudging = Math.abs(playerRate - baseRate) > RATE_EQUAL * Math.max(1, baseRate);
  const deviationMs = Math.max(0, input.seekLatencyDeviationMs ?? 0);
  const holding = input.canHold === true && playback.status === 'playing' && baseRate > 0;
  // A holding client aims past its start as well, by a margin it is unlikely to overrun.
  const aimAheadMs = holding
    ? Math.max(0, input.startLatencyMs ?? 0) + Math.max(tuning.holdMarginMs, tuning.seekSpreadFactor * deviationMs)
    : 0;
  const seek = (): Correction => ({
    kind: 'seek',
    toMs: expectedPosition(playback, serverNowMs + Math.max(0, input.seekLatencyMs) + aimAheadMs, durationMs),
    driftMs,
  });
  const reset = (): Correction => (nudging ? { kind: 'rate', rate: baseRate, driftMs } : { kind: 'none', driftMs });
  const advancing = isAdvancing(playback, serverNowMs);

  if (holding && input.playerPaused === true) {
    // Where the group's path starts from this player's point of view: now, or the scheduled instant.
    const fromServerMs = Math.max(serverNowMs, playback.atServerMs);
    const aheadMs = playerPositionMs - expectedPosition(playback, fromServerMs, durationMs);
    if (aheadMs >= -tuning.enterBandMs) {
      const waitMs = Math.max(0, aheadMs) / baseRate;
      // Never less than a seek's own aim, or a seek that lands early would be followed by another.
      const maxWaitMs = Math.max(tuning.holdMaxMs, Math.max(0, input.seekLatencyMs) + aimAheadMs);
      if (waitMs <= maxWaitMs) return { kind: 'hold', untilServerMs: fromServerMs + waitMs, driftMs };
      return seek();
    }
    // Behind the group's path: a still group is snapped below; a moving one is caught up as usual.
  }

  if (!advancing) {
    // Standing still (paused, waiting, or before a scheduled start): only an exact frame will do,
    // and a seek on a still picture costs nothing visible.
    return magnitude > tuning.enterBandMs ? seek() : reset();
  }
  if (holding && input.settling === true && magnitude > tuning.settleSeekThresholdMs) return seek();
  const spread = tuning.seekSpreadFactor * deviationMs * baseRate;
  if (!canNudgeRate) return magnitude > Math.max(tuning.seekThresholdNoNudgeMs, spread) ? seek() : reset();
  if (magnitude > tuning.seekThresholdMs) return seek();
  if (nudging ? magnitude <= tuning.exitBandMs : magnitude <= tuning.enterBandMs) return reset();

  // Starting a nudge costs the player its start cost; a running one changes rate for free.
  const aimMs = nudging ? driftMs : driftMs - Math.max(0, input.nudgeStartCostMs ?? 0) * baseRate;
  const delta = Math.min(tuning.maxRateDelta, Math.max(-tuning.maxRateDelta, aimMs / tuning.rateHorizonMs));
  const rate = baseRate * (1 - delta);
  if (Math.abs(rate - playerRate) >= tuning.minRateChange * baseRate) return { kind: 'rate', rate, driftMs };
  if (nudging || aimMs === driftMs) return { kind: 'none', driftMs };
  // The start cost alone brings the player back: any rate write will do, the smallest one is kindest.
  return { kind: 'rate', rate: baseRate * (1 - Math.sign(aimMs || 1) * tuning.minRateChange), driftMs };
}
