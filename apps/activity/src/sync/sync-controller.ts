/**
 * The sync controller lives in @dpp/shared (packages/shared/src/sync/sync-controller.ts, no I/O):
 * the activity gives it the video.js player (player/video-media.ts), the connection's server clock
 * and a clock whose now is performance.now (room/session.ts). This module keeps the names the
 * activity imports.
 */
export {
  type MediaPort,
  type OutgoingReport,
  type ServerClock as ClockPort,
  SyncController,
  type SyncPhase,
  type SyncStatus,
} from '@dpp/shared';

/** The timers room/ injects today: the shared `Clock` plus a repeating timer. */
export interface Timers {
  /** Monotonic local milliseconds (performance.now in the browser). */
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}
