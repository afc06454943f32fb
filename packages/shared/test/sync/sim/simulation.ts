import type { Playback } from '../../../src/protocol.ts';
import {
  ClockSync,
  type ClockSyncOptions,
  decideCorrection,
  expectedPosition,
  isAdvancing,
  type MediaPort,
  type PlaybackTiming,
  SeekLatencyEstimator,
  SYNC,
  SyncController,
  type SyncTuning,
  schedulingLead,
} from '../../../src/sync/index.ts';
import { ManualClock } from '../../../src/testing.ts';
import { Random } from './random.ts';
import { type PlayerBehaviour, SimulatedPlayer } from './simulated-player.ts';

/**
 * A deterministic world of one server and one client, stepped in virtual time: the client's clock
 * runs fast or slow and is offset by seconds, every message crosses a jittery, asymmetric, in-order
 * link, and the player obeys late. The client estimates the server clock with ClockSync from
 * ping/pong. With `hold` it is the activity's client: the real SyncController
 * (packages/shared/src/sync/sync-controller.ts) steers the simulated player, on a ManualClock that
 * reads the client's local time. Without it, a plain client applies decideCorrection alone on every
 * tick, state broadcast and seek completion (play/pause by isAdvancing, no hold): the policy by
 * itself, for comparison.
 */
export interface SimParams {
  seed: number;
  /** Client clock rate error: local time runs (1 + ppm·1e-6) times as fast as server time. */
  clockSkewPpm: number;
  /** Client clock reading when the server clock reads 0. */
  clockOffsetMs: number;
  /** RTT without queueing. */
  minRttMs: number;
  /** Fixed one-way asymmetry (upstream − downstream). No protocol can observe it: offsets are off by half of it. */
  asymmetryMs: number;
  /** Mean exponential queueing delay, drawn independently for each message in each direction. */
  jitterMs: number;
  /** Chance that a message is held up by a further 100–400 ms. */
  spikeChance: number;
  /** Client event-loop lag before it timestamps a received message, uniform in [0, clientLagMs]. */
  clientLagMs: number;
  player: PlayerBehaviour;
  /** Length of the stall injected at the `stall` event. */
  stallMs: number;
  /** Policy under test (default: SYNC). */
  tuning?: SyncTuning;
  /** Clock estimator options (window, skew bound) under test. */
  clockOptions?: ClockSyncOptions;
  /** Called at every drift sample, for debugging and plots. */
  trace?: (sample: TraceSample) => void;
  /**
   * The client is the activity's SyncController (docs/sync-algorithm.md, "Seek ahead and hold"): it
   * pauses for each seek, aims past its seek and start latencies by a margin, keeps the frame until
   * the group reaches it and starts early by the start latency it measures. Default: the plain
   * decideCorrection client.
   */
  hold?: boolean;
}

export interface TraceSample {
  now: number;
  /** Player position − expected position, less the unobservable asymmetry bias. */
  driftMs: number;
  trueDriftMs: number;
  clockErrorMs: number;
  playerRate: number;
  seeking: boolean;
}

export type EventKind = 'join' | 'pause' | 'play' | 'seek' | 'stall' | 'rate' | 'end';

export interface ScriptEvent {
  at: number;
  kind: EventKind;
  toMs?: number;
  rate?: number;
}

/** Joins a room that is already playing, then pause, resume, seek, stall, room rate 1.5×, seek back. */
export const SCRIPT: readonly ScriptEvent[] = [
  { at: 0, kind: 'join' },
  { at: 30_000, kind: 'pause' },
  { at: 40_000, kind: 'play' },
  { at: 100_000, kind: 'seek', toMs: 1_800_000 },
  { at: 160_000, kind: 'stall' },
  { at: 220_000, kind: 'rate', rate: 1.5 },
  { at: 250_000, kind: 'seek', toMs: 600_000 },
  { at: 310_000, kind: 'end' },
];

const DURATION_MS = 7_200_000;
const STEP_MS = 5;
const SAMPLE_EVERY_MS = 20;
export const HOLD_MS = 1_000;
const ITEM_ID = 'sim-item';

export interface SegmentResult {
  kind: EventKind;
  startMs: number;
  /** When the command took effect (scheduled instant, end of the stall). */
  effectiveMs: number;
  /**
   * Settling time, from the command: the first instant, once the command took effect, from which
   * |drift| stays within the target band for HOLD_MS. Undefined if it never settles in the segment.
   */
  convergedAfterMs: number | undefined;
  /** |drift| samples (one per SAMPLE_EVERY_MS) from settling to the end of the segment. */
  steady: number[];
  /** |drift| samples from the moment the command took effect (recovery included). */
  afterEffect: number[];
}

export interface DriftStats {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Share of samples outside the target band. */
  outsideBand: number;
  samples: number;
}

export interface SimResult {
  params: SimParams;
  segments: SegmentResult[];
  /** After settling: how well the client stays in sync. */
  steady: DriftStats;
  /** From each command's effect on: includes the recoveries (what a viewer sees over the run). */
  afterEffect: DriftStats;
  /** |clock offset error| once ready, asymmetry bias included. */
  clock: { p95: number; max: number };
  seeks: number;
  rateChanges: number;
  leadMs: number[];
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function driftStats(samples: readonly number[], bandMs: number): DriftStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? 0,
    outsideBand: sorted.filter((d) => d > bandMs).length / Math.max(1, sorted.length),
    samples: sorted.length,
  };
}

interface InFlight {
  arriveAt: number;
  deliver: (arriveAt: number) => void;
}

/** Builds a segment's result from its |drift| samples, taken every SAMPLE_EVERY_MS from its start. */
function segmentResult(
  kind: EventKind,
  startMs: number,
  effectiveMs: number,
  drifts: readonly number[],
  bandMs: number,
): SegmentResult {
  const first = Math.max(0, Math.ceil((effectiveMs - startMs) / SAMPLE_EVERY_MS));
  const result: SegmentResult = {
    kind,
    startMs,
    effectiveMs,
    convergedAfterMs: undefined,
    steady: [],
    afterEffect: drifts.slice(first),
  };
  const hold = HOLD_MS / SAMPLE_EVERY_MS;
  let inBandSince = -1;
  for (let i = first; i < drifts.length; i += 1) {
    if (drifts[i]! > bandMs) {
      inBandSince = -1;
      continue;
    }
    if (inBandSince < 0) inBandSince = i;
    if (i - inBandSince >= hold) {
      result.convergedAfterMs = inBandSince * SAMPLE_EVERY_MS;
      result.steady = drifts.slice(inBandSince);
      break;
    }
  }
  return result;
}

function assertNever(value: never): never {
  throw new Error(`unexpected correction ${JSON.stringify(value)}`);
}

export async function simulate(params: SimParams, script: readonly ScriptEvent[] = SCRIPT): Promise<SimResult> {
  const tuning = params.tuning ?? SYNC;
  const random = new Random(params.seed);
  const skew = params.clockSkewPpm / 1e6;
  const local = (t: number) => params.clockOffsetMs + t * (1 + skew);
  const trueOffset = (t: number) => t - local(t);

  // Link: in order per direction (one WebSocket), each message delayed by fixed + queueing (+ spike).
  const fixedUp = (params.minRttMs + params.asymmetryMs) / 2;
  const fixedDown = (params.minRttMs - params.asymmetryMs) / 2;
  const delay = (fixed: number) =>
    fixed + random.exponential(params.jitterMs) + (random.chance(params.spikeChance) ? random.uniform(100, 400) : 0);
  const up: InFlight[] = [];
  const down: InFlight[] = [];
  const send = (queue: InFlight[], now: number, fixed: number, deliver: InFlight['deliver']) => {
    const last = queue.at(-1)?.arriveAt ?? Number.NEGATIVE_INFINITY;
    queue.push({ arriveAt: Math.max(last, now + delay(fixed)), deliver });
  };

  // Server.
  let roomPlayback: Playback = {
    rev: 1,
    itemId: ITEM_ID,
    status: 'playing',
    positionMs: 120_000,
    atServerMs: 0,
    rate: 1,
    waitUntil: null,
  };
  const leads: number[] = [];

  // Client: its clock estimate and its player, whichever client steers it.
  const clock = new ClockSync(params.clockOptions);
  const player = new SimulatedPlayer(params.player, random);
  let nextPingLocal = local(0);
  let pingsSent = 0;
  // The bare client's own state: the playback it last received, its seek latency, the rate it set.
  let clientPlayback: PlaybackTiming | undefined;
  const seekLatency = new SeekLatencyEstimator();
  let appliedRate = 1;
  let nextTickLocal = local(0);

  const broadcast = (now: number) => {
    const state = { ...roomPlayback };
    send(down, now, fixedDown, (arriveAt) => {
      clientPlayback = state;
      if (controller) controller.setPlayback(state, DURATION_MS);
      else tick(arriveAt);
    });
  };

  const sendPing = (now: number) => {
    const t0 = local(now);
    send(up, now, fixedUp, (t1) => {
      const t2 = t1 + random.uniform(0, 2);
      send(down, t2, fixedDown, (arriveAt) => {
        clock.addSample({ t0, t1, t2, t3: local(arriveAt + random.uniform(0, params.clientLagMs)) });
      });
    });
  };

  // The activity's client: the real SyncController on the client's local clock. Its timers fire
  // at 5 ms steps of true time; the player's promises settle before time moves on.
  let trueNow = 0;
  let seeked = false;
  const localClock = new ManualClock(local(0));
  const media: MediaPort = {
    get positionMs() {
      return player.readPositionMs();
    },
    get paused() {
      return player.paused;
    },
    get seeking() {
      return player.seeking;
    },
    get canPlay() {
      return !player.stalled(trueNow);
    },
    // Nothing is buffered ahead: the simulated seeks (200–600 ms) are network seeks, never cheap.
    bufferedAheadMs: () => 0,
    play: () => {
      player.play(trueNow);
      playPending = true;
      return Promise.resolve('playing');
    },
    pause: () => player.pause(),
    seek: (toMs) =>
      player.seek(trueNow, local(trueNow), toMs, () => {
        seeked = true;
      }),
    setRate: (rate) => player.setRate(trueNow, rate),
  };
  const controller =
    params.hold === true
      ? new SyncController({
          media,
          serverClock: {
            get ready() {
              return clock.ready;
            },
            serverNow: () => clock.serverNow(localClock.now()),
          },
          clock: localClock,
          report: () => undefined,
          canNudgeRate: params.player.canNudgeRate,
          tuning,
        })
      : undefined;
  // Lets a play() promise's callbacks run (the controller ticks again once play() has settled).
  let playPending = false;
  const settle = async () => {
    if (!playPending) return;
    playPending = false;
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
  };
  let wasStalled = false;

  /** The bare client's evaluation: play or pause by isAdvancing, then decideCorrection without a hold. */
  function tick(now: number): void {
    if (!clock.ready || clientPlayback === undefined) return;
    if (player.seeking || player.stalled(now)) return;
    const localNow = local(now);
    const serverNowMs = clock.serverNow(localNow);
    const advancing = isAdvancing(clientPlayback, serverNowMs);
    if (advancing && player.paused) player.play(now);
    if (!advancing && !player.paused) player.pause();
    const correction = decideCorrection(
      {
        playback: clientPlayback,
        serverNowMs,
        playerPositionMs: player.readPositionMs(),
        playerRate: appliedRate,
        seekLatencyMs: seekLatency.estimateMs,
        seekLatencyDeviationMs: seekLatency.deviationMs,
        canNudgeRate: params.player.canNudgeRate,
        durationMs: DURATION_MS,
      },
      tuning,
    );
    switch (correction.kind) {
      case 'none':
        return;
      case 'rate':
        appliedRate = correction.rate;
        player.setRate(now, correction.rate);
        return;
      case 'seek':
        player.seek(now, localNow, correction.toMs, (latency) => {
          seekLatency.observe(latency);
          tick(now + latency);
        });
        return;
      case 'hold':
        throw new Error('this client passes no canHold: it cannot be told to hold');
      default:
        assertNever(correction);
    }
  }

  const apply = (event: ScriptEvent, now: number): number => {
    const lead = schedulingLead(clock.rtt === undefined ? [] : [clock.rtt], tuning);
    const position = expectedPosition(roomPlayback, now, DURATION_MS);
    switch (event.kind) {
      case 'join':
        break; // the welcome carries the snapshot
      case 'end':
        return now;
      case 'pause':
        roomPlayback = { ...roomPlayback, status: 'paused', positionMs: position, atServerMs: now };
        break;
      case 'play':
        leads.push(lead);
        roomPlayback = { ...roomPlayback, status: 'playing', positionMs: position, atServerMs: now + lead };
        break;
      case 'seek':
        leads.push(lead);
        roomPlayback = { ...roomPlayback, positionMs: event.toMs ?? 0, atServerMs: now + lead };
        break;
      case 'rate':
        roomPlayback = { ...roomPlayback, positionMs: position, atServerMs: now, rate: event.rate ?? 1 };
        break;
      case 'stall':
        player.stall(now, params.stallMs);
        return now + params.stallMs;
      default:
        assertNever(event.kind);
    }
    roomPlayback = { ...roomPlayback, rev: roomPlayback.rev + 1 };
    broadcast(now);
    return roomPlayback.atServerMs;
  };

  /** Delivers what has arrived by `now`; true if anything did. */
  const deliver = (now: number): boolean => {
    let any = false;
    for (const queue of [up, down]) {
      while (queue.length > 0 && queue[0]!.arriveAt <= now) {
        const message = queue.shift()!;
        message.deliver(message.arriveAt);
        any = true;
      }
    }
    return any;
  };

  /** The plain client: ticks on its local clock, and at once when the group starts moving. */
  const plainStep = (now: number, localNow: number) => {
    const wasSeeking = player.seeking;
    player.advance(now, STEP_MS, localNow, STEP_MS * (1 + skew));
    const serverNow = clock.serverNow(localNow);
    const due = clientPlayback !== undefined && player.paused && !wasSeeking && isAdvancing(clientPlayback, serverNow);
    if (localNow >= nextTickLocal || due) {
      tick(now);
      if (localNow >= nextTickLocal) nextTickLocal += tuning.tickIntervalMs;
    }
  };

  /**
   * The controller's client: the player moves to `now`, the controller's timers due by then fire
   * (its ticks, holds, pre-rolls, start measurements), then what arrived and what the player did
   * (a seek completed, a stall began or ended) reach it, as events do in the browser.
   */
  const controllerStep = async (now: number, localNow: number) => {
    if (!controller) return;
    trueNow = now;
    player.advance(now, STEP_MS, localNow, STEP_MS * (1 + skew));
    await localClock.advance(Math.max(0, localNow - localClock.now()), settle);
    const arrived = deliver(now);
    const stalled = player.stalled(now);
    const events = arrived || seeked || stalled !== wasStalled;
    if (seeked) {
      seeked = false;
      controller.onSeeked();
    }
    if (stalled && !wasStalled && !player.paused) controller.onWaiting();
    if (!stalled && wasStalled) controller.onCanPlay();
    wasStalled = stalled;
    // What those events set for now (a timer of 0 ms) runs now, as the browser's next task would.
    if (events) await localClock.advance(0, settle);
  };
  if (controller) {
    controller.setSource({ itemId: ITEM_ID, phase: 'loaded' });
    controller.start();
  }

  const segments: SegmentResult[] = [];
  const clockErrors: number[] = [];
  let open: { kind: EventKind; startMs: number; effectiveMs: number } | undefined;
  let drifts: number[] = [];
  let eventIndex = 0;
  const endMs = script.at(-1)!.at;

  for (let now = 0; now <= endMs; now += STEP_MS) {
    while (eventIndex < script.length && script[eventIndex]!.at <= now) {
      const event = script[eventIndex]!;
      const effectiveMs = apply(event, now);
      if (open) segments.push(segmentResult(open.kind, open.startMs, open.effectiveMs, drifts, tuning.targetBandMs));
      open = event.kind === 'end' ? undefined : { kind: event.kind, startMs: now, effectiveMs };
      drifts = [];
      eventIndex += 1;
    }

    const localNow = local(now);
    if (localNow >= nextPingLocal) {
      sendPing(now);
      pingsSent += 1;
      nextPingLocal += pingsSent < tuning.clockBurstSamples ? tuning.clockBurstIntervalMs : tuning.clockPingIntervalMs;
    }
    if (controller) {
      await controllerStep(now, localNow);
    } else {
      deliver(now);
      plainStep(now, localNow);
    }
    if (open && now % SAMPLE_EVERY_MS === 0) {
      const signed = player.truePositionMs - expectedPosition(roomPlayback, now, DURATION_MS);
      // A fixed path asymmetry a shifts every clock estimate by a/2, so the best any client can do is
      // to play a/2 × rate off: drift is measured from there (trueDriftMs keeps the raw figure).
      const bias = isAdvancing(roomPlayback, now) ? (params.asymmetryMs / 2) * roomPlayback.rate : 0;
      const drift = Math.abs(signed - bias);
      params.trace?.({
        now,
        driftMs: signed - bias,
        trueDriftMs: signed,
        clockErrorMs: clock.ready ? clock.offset - trueOffset(now) : Number.NaN,
        playerRate: controller ? controller.currentStatus.rate : appliedRate,
        seeking: player.seeking,
      });
      drifts.push(drift);
      if (clock.ready) clockErrors.push(Math.abs(clock.offset - trueOffset(now)));
    }
  }
  if (open) segments.push(segmentResult(open.kind, open.startMs, open.effectiveMs, drifts, tuning.targetBandMs));
  controller?.stop();

  clockErrors.sort((a, b) => a - b);
  return {
    params,
    segments,
    steady: driftStats(
      segments.flatMap((s) => s.steady),
      tuning.targetBandMs,
    ),
    afterEffect: driftStats(
      segments.flatMap((s) => s.afterEffect),
      tuning.targetBandMs,
    ),
    clock: { p95: quantile(clockErrors, 0.95), max: clockErrors.at(-1) ?? 0 },
    seeks: player.seeks,
    rateChanges: player.rateChanges,
    leadMs: leads,
  };
}

/** A typical world, for named tests and the report. */
export const TYPICAL: SimParams = {
  seed: 1,
  clockSkewPpm: 150,
  clockOffsetMs: -3_700,
  minRttMs: 60,
  asymmetryMs: 6,
  jitterMs: 15,
  spikeChance: 0.03,
  clientLagMs: 4,
  player: { rateDelayMs: 100, startDelayMs: 40, seekMinMs: 200, seekMaxMs: 600, readNoiseMs: 2, canNudgeRate: true },
  stallMs: 1_500,
};
