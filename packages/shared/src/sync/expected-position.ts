/** The timing part of a room's playback state (structurally the protocol's `playback`). */
export interface PlaybackTiming {
  status: 'playing' | 'paused' | 'waiting';
  positionMs: number;
  /** Server time at which the group is at positionMs; may lie in the future (a scheduled transition). */
  atServerMs: number;
  rate: number;
}

/**
 * True when the group's position moves at server time T: playing, and the scheduled instant has come.
 * Before atServerMs a scheduled play or seek has not happened yet: everyone holds at positionMs.
 */
export function isAdvancing(playback: PlaybackTiming, serverNowMs: number): boolean {
  return playback.status === 'playing' && serverNowMs >= playback.atServerMs;
}

/**
 * Where the group is at server time T:
 * positionMs + (playing ? (T − atServerMs) × rate : 0), held at positionMs before atServerMs,
 * clamped to [0, durationMs].
 */
export function expectedPosition(playback: PlaybackTiming, serverNowMs: number, durationMs?: number): number {
  const elapsed = isAdvancing(playback, serverNowMs) ? (serverNowMs - playback.atServerMs) * playback.rate : 0;
  const position = Math.max(0, playback.positionMs + elapsed);
  return durationMs !== undefined && durationMs >= 0 ? Math.min(position, durationMs) : position;
}
