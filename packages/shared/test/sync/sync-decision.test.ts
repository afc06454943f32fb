import { describe, expect, it } from 'vitest';
import type { Playback } from '../../src/protocol.ts';
import { decideAction, PlayerLatencies, SYNC, type SyncView } from '../../src/sync/index.ts';

const NOW = 10_000;
const SERVER_NOW = 1_000_000;

const playing = (positionMs: number, atServerMs = SERVER_NOW, rev = 3): Playback => ({
  rev,
  itemId: 'item',
  status: 'playing',
  positionMs,
  atServerMs,
  rate: 1,
  waitUntil: null,
});

/** A player in step with a group playing from 60 s, nothing under way. */
function view(overrides: Partial<SyncView> = {}): SyncView {
  return {
    playback: playing(60_000),
    durationMs: undefined,
    now: NOW,
    serverNowMs: SERVER_NOW,
    positionMs: 60_000,
    paused: false,
    bufferedAheadMs: () => 0,
    appliedRate: 1,
    canNudgeRate: true,
    blocked: false,
    frameUnsettled: false,
    lastDriftMs: 0,
    preRoll: null,
    startMeasure: null,
    lastStart: null,
    settleSeekRev: null,
    seekLatencyMs: 200,
    seekLatencyDeviationMs: 0,
    startLatencyMs: 40,
    nudgeStartCostMs: 0,
    ...overrides,
  };
}

describe('decideAction: what the controller does with what it measured', () => {
  it('leaves a player in step alone, and nudges one outside the dead band', () => {
    expect(decideAction(view())).toEqual({ kind: 'steer', driftMs: 0, rate: null, next: null });
    const action = decideAction(view({ positionMs: 60_050 }));
    expect(action).toMatchObject({ kind: 'steer', driftMs: 50, next: null });
    expect(action.kind === 'steer' && action.rate).toBeCloseTo(1 - SYNC.maxRateDelta);
  });

  it('lets a pre-roll run until the group reaches the frame, for its rev only', () => {
    const preRoll = { rev: 3, untilServerMs: SERVER_NOW + 30 };
    expect(decideAction(view({ preRoll, positionMs: 60_100 }))).toEqual({
      kind: 'pre-roll',
      untilServerMs: SERVER_NOW + 30,
    });
    expect(decideAction(view({ preRoll: { ...preRoll, rev: 2 }, positionMs: 60_100 })).kind).toBe('steer');
    expect(decideAction(view({ preRoll: { ...preRoll, untilServerMs: SERVER_NOW } })).kind).toBe('steer');
  });

  it('corrects nothing in the 150 ms after a start, while its reads are unreliable', () => {
    const startMeasure = { rev: 3, calledAt: NOW - 100 };
    expect(decideAction(view({ startMeasure, positionMs: 60_080 }))).toEqual({ kind: 'measure-start' });
    expect(decideAction(view({ startMeasure: { rev: 3, calledAt: NOW - 150 }, positionMs: 60_080 })).kind).toBe(
      'steer',
    );
  });

  it('asks for a gesture when the group plays and the browser refused to start the player', () => {
    expect(decideAction(view({ blocked: true, paused: true }))).toEqual({ kind: 'needs-gesture' });
  });

  it('seeks a frame it paused once, exactly where the still group is, keeping the last drift', () => {
    const paused: Playback = { ...playing(42_000), status: 'paused' };
    const action = decideAction(
      view({ playback: paused, paused: true, frameUnsettled: true, positionMs: 42_000, lastDriftMs: 7 }),
    );
    expect(action).toEqual({ kind: 'seek', toMs: 42_000, driftMs: 7, frame: true, settles: false });
  });

  it('holds a paused player ahead of the group, and starts it early by its start latency', () => {
    const wait = decideAction(view({ paused: true, positionMs: 60_300 }));
    expect(wait).toMatchObject({
      kind: 'hold',
      untilServerMs: SERVER_NOW + 300,
      startAtServerMs: SERVER_NOW + 260,
      next: 'wait',
    });
    const start = decideAction(view({ paused: true, positionMs: 60_030 }));
    expect(start).toMatchObject({ kind: 'hold', untilServerMs: SERVER_NOW + 30, next: 'start' });
    expect(decideAction(view({ paused: true, positionMs: 60_030, blocked: true })).kind).toBe('needs-gesture');
  });

  it('plays a paused player the moving group has reached, and pauses one the group left standing', () => {
    // Behind a moving group by less than the seek threshold, not settling: catch up by playing and nudging.
    expect(decideAction(view({ paused: true, positionMs: 59_970 }))).toMatchObject({ kind: 'steer', next: 'play' });
    const paused: Playback = { ...playing(60_000), status: 'paused' };
    expect(decideAction(view({ playback: paused, positionMs: 60_000 }))).toMatchObject({
      kind: 'steer',
      next: 'pause',
    });
  });

  it('spends the one settling seek of a rev only when settling is why it seeks', () => {
    const settling = view({ positionMs: 60_045, lastStart: { rev: 3, at: NOW - 500 }, bufferedAheadMs: () => 5_000 });
    expect(decideAction(settling)).toMatchObject({ kind: 'seek', settles: true });
    expect(decideAction({ ...settling, settleSeekRev: 3 }).kind).toBe('steer');
    // Far off, it would seek anyway: the settling seek is not spent.
    expect(decideAction({ ...settling, positionMs: 61_000 })).toMatchObject({ kind: 'seek', settles: false });
  });
});

describe('PlayerLatencies: what a player teaches the controller', () => {
  it('takes the first start as is, averages the next, and ignores a start slow enough to be a stall', () => {
    const latencies = new PlayerLatencies();
    expect(latencies.start.estimateMs).toBe(SYNC.startLatencyInitialMs);
    const sample = { calledAt: 0, fromMs: 1_000, rate: 1 };
    latencies.observeStart(sample, 150, 1_100); // 50 ms short of the 150 ms that passed
    expect(latencies.start.estimateMs).toBe(50);
    latencies.observeStart(sample, 150, 1_130); // 20 ms
    expect(latencies.start.estimateMs).toBeCloseTo(50 + 0.3 * (20 - 50));
    latencies.observeStart(sample, 400, 1_100); // 300 ms: a stall
    expect(latencies.start.estimateMs).toBeCloseTo(41);
  });

  it('measures a nudge start as the wall time the player stood still at its new rate', () => {
    const latencies = new PlayerLatencies();
    latencies.observeNudgeStart({ calledAt: 0, fromMs: 0, rate: 1.1 }, 200, 1.1 * (200 - 28));
    expect(latencies.nudgeStart.estimateMs).toBeCloseTo(28);
  });
});
