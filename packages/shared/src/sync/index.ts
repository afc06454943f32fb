export { type ClockEstimate, type ClockSample, ClockSync, type ClockSyncOptions, estimateClock } from './clock-sync.ts';
export { SYNC, type SyncTuning } from './constants.ts';
export { type Correction, type CorrectionInput, decideCorrection } from './correction.ts';
export { expectedPosition, isAdvancing, type PlaybackTiming } from './expected-position.ts';
export {
  measurementWindow,
  PlayerLatencies,
  START_MEASURE_AFTER_MS,
  StillTimeLearner,
  type StillTimeSample,
} from './latency-learners.ts';
export { MemberReporter, type MemberReporterOptions, type MemberView, type OutgoingReport } from './member-reporter.ts';
export { schedulingLead } from './scheduling-lead.ts';
export { SeekLatencyEstimator } from './seek-latency.ts';
export {
  type MediaPort,
  type ServerClock,
  type SourceState,
  SyncController,
  type SyncControllerOptions,
  type SyncPhase,
  type SyncStatus,
} from './sync-controller.ts';
export { decideAction, type SyncAction, type SyncView } from './sync-decision.ts';
