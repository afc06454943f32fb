/**
 * The sync controller lives in @dpp/shared (packages/shared/src/sync/sync-controller.ts, no I/O):
 * the activity gives it the video.js player (player/video-media.ts), the connection's server clock
 * and the page's Clock (lib/browser-clock.ts). This module keeps the names the
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
