import { SYNC, type SyncTuning } from './constants.ts';
import { expectedPosition, isAdvancing, type PlaybackTiming } from './expected-position.ts';

/** What the client should do to its player now. driftMs = player position − expected position. */
export type Correction =
  | { kind: 'none'; driftMs: number }
  | { kind: 'rate'; rate: number; driftMs: number }
  | { kind: 'seek'; toMs: number; driftMs: number };

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
 */
export function decideCorrection(input: CorrectionInput, tuning: SyncTuning = SYNC): Correction {
  const { playback, serverNowMs, playerPositionMs, playerRate, durationMs } = input;
  const canNudgeRate = input.canNudgeRate !== false;
  const baseRate = playback.rate;
  const driftMs = playerPositionMs - expectedPosition(playback, serverNowMs, durationMs);
  const magnitude = Math.abs(driftMs);
  const nudging = Math.abs(playerRate - baseRate) > RATE_EQUAL * Math.max(1, baseRate);
  const seek = (): Correction => ({
    kind: 'seek',
    toMs: expectedPosition(playback, serverNowMs + Math.max(0, input.seekLatencyMs), durationMs),
    driftMs,
  });
  const reset = (): Correction => (nudging ? { kind: 'rate', rate: baseRate, driftMs } : { kind: 'none', driftMs });

  if (!isAdvancing(playback, serverNowMs)) {
    // Standing still (paused, waiting, or before a scheduled start): only an exact frame will do,
    // and a seek on a still picture costs nothing visible.
    return magnitude > tuning.enterBandMs ? seek() : reset();
  }
  const spread = tuning.seekSpreadFactor * Math.max(0, input.seekLatencyDeviationMs ?? 0) * baseRate;
  if (!canNudgeRate) return magnitude > Math.max(tuning.seekThresholdNoNudgeMs, spread) ? seek() : reset();
  if (magnitude > tuning.seekThresholdMs) return seek();
  if (nudging ? magnitude <= tuning.exitBandMs : magnitude <= tuning.enterBandMs) return reset();

  const delta = Math.min(tuning.maxRateDelta, Math.max(-tuning.maxRateDelta, driftMs / tuning.rateHorizonMs));
  const rate = baseRate * (1 - delta);
  if (Math.abs(rate - playerRate) < tuning.minRateChange * baseRate) return { kind: 'none', driftMs };
  return { kind: 'rate', rate, driftMs };
}
