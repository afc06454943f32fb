export { type ClockEstimate, type ClockSample, ClockSync, type ClockSyncOptions, estimateClock } from './clock-sync.ts';
export { SYNC, type SyncTuning } from './constants.ts';
export { type Correction, type CorrectionInput, decideCorrection } from './correction.ts';
export { expectedPosition, isAdvancing, type PlaybackTiming } from './expected-position.ts';
export { schedulingLead } from './scheduling-lead.ts';
export { SeekLatencyEstimator } from './seek-latency.ts';
