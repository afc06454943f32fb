import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Correction,
  type CorrectionInput,
  decideCorrection,
  expectedPosition,
  type PlaybackTiming,
  SYNC,
} from '../../src/sync/index.ts';

const runs = { seed: 0x5eed, numRuns: 1_000 };
const NOW = 1_000_000;
const playing: PlaybackTiming = { status: 'playing', positionMs: 60_000, atServerMs: NOW - 10_000, rate: 1 };
const EXPECTED = 70_000; // where `playing` is at NOW

/** A client whose player is `driftMs` off the group, at the room rate unless told otherwise. */
const input = (driftMs: number, overrides: Partial<CorrectionInput> = {}): CorrectionInput => {
  const playback = overrides.playback ?? playing;
  return {
    playback,
    serverNowMs: NOW,
    playerPositionMs: expectedPosition(playback, NOW) + driftMs,
    playerRate: playback.rate,
    seekLatencyMs: 400,
    ...overrides,
  };
};
const decide = (driftMs: number, overrides: Partial<CorrectionInput> = {}) =>
  decideCorrection(input(driftMs, overrides));

describe('decideCorrection', () => {
  it('does nothing in sync or within the dead band', () => {
    expect(decide(0)).toEqual({ kind: 'none', driftMs: 0 });
    expect(decide(SYNC.enterBandMs)).toMatchObject({ kind: 'none' });
    expect(decide(-SYNC.enterBandMs)).toMatchObject({ kind: 'none' });
  });

  it('slows a player that is ahead and speeds up one that is behind, in proportion', () => {
    expect(decide(25)).toEqual({ kind: 'rate', rate: 1 - 25 / SYNC.rateHorizonMs, driftMs: 25 });
    expect(decide(-30)).toEqual({ kind: 'rate', rate: 1 + 30 / SYNC.rateHorizonMs, driftMs: -30 });
  });

  it('caps the nudge at ±10% up to the seek threshold', () => {
    expect(decide(300)).toMatchObject({ kind: 'rate', rate: 1 - SYNC.maxRateDelta });
    expect(decide(-SYNC.seekThresholdMs)).toMatchObject({ kind: 'rate', rate: 1 + SYNC.maxRateDelta });
  });

  it('multiplies the nudge into the room rate', () => {
    const fast = { ...playing, rate: 2 };
    expect(decide(25, { playback: fast })).toMatchObject({ kind: 'rate', rate: 2 * (1 - 25 / SYNC.rateHorizonMs) });
  });

  it('keeps nudging inside the dead band until the exit band (hysteresis)', () => {
    expect(decide(10)).toMatchObject({ kind: 'none' }); // not correcting: 10 ms is fine
    expect(decide(10, { playerRate: 0.97 })).toMatchObject({ kind: 'rate', rate: 1 - 10 / SYNC.rateHorizonMs });
    expect(decide(SYNC.exitBandMs, { playerRate: 0.99 })).toEqual({ kind: 'rate', rate: 1, driftMs: SYNC.exitBandMs });
  });

  it('does not rewrite the rate for a change too small to matter', () => {
    const current = 1 - 40 / SYNC.rateHorizonMs;
    expect(decide(40.4, { playerRate: current })).toMatchObject({ kind: 'none' });
  });

  it('seeks past the threshold, to where the group will be once the seek completes', () => {
    expect(decide(-800)).toEqual({ kind: 'seek', toMs: EXPECTED + 400, driftMs: -800 });
    expect(decide(SYNC.seekThresholdMs + 1)).toMatchObject({ kind: 'seek', toMs: EXPECTED + 400 });
    const fast = { ...playing, rate: 1.5 };
    expect(decide(-800, { playback: fast })).toMatchObject({ kind: 'seek', toMs: 60_000 + 15_000 + 600 });
  });

  it('does not aim a seek past the end of the item', () => {
    expect(decide(-800, { durationMs: 70_100 })).toMatchObject({ kind: 'seek', toMs: 70_100 });
  });

  it('snaps a still group exactly: paused, waiting, or before a scheduled start', () => {
    const paused: PlaybackTiming = { status: 'paused', positionMs: 42_000, atServerMs: NOW - 5_000, rate: 1 };
    expect(decide(100, { playback: paused })).toEqual({ kind: 'seek', toMs: 42_000, driftMs: 100 });
    expect(decide(-16, { playback: { ...paused, status: 'waiting' } })).toMatchObject({ kind: 'seek', toMs: 42_000 });
    expect(decide(10, { playback: paused })).toMatchObject({ kind: 'none' });
    expect(decide(10, { playback: paused, playerRate: 1.04 })).toEqual({ kind: 'rate', rate: 1, driftMs: 10 });
  });

  it('aims a seek before a scheduled start at where the group will be when it lands', () => {
    const scheduled: PlaybackTiming = { status: 'playing', positionMs: 300_000, atServerMs: NOW + 150, rate: 1 };
    // The seek takes 400 ms and the group starts in 150: it lands 250 ms into the new position.
    expect(decide(-240_000, { playback: scheduled })).toMatchObject({ kind: 'seek', toMs: 300_250 });
    expect(decide(-240_000, { playback: scheduled, seekLatencyMs: 100 })).toMatchObject({ toMs: 300_000 });
  });

  it('only seeks, and sooner, for a player that cannot nudge its rate', () => {
    const noNudge = { canNudgeRate: false };
    expect(decide(SYNC.seekThresholdNoNudgeMs, noNudge)).toMatchObject({ kind: 'none' });
    expect(decide(SYNC.seekThresholdNoNudgeMs + 1, noNudge)).toMatchObject({ kind: 'seek', toMs: EXPECTED + 400 });
    // The room rate itself still applies.
    const fast = { ...playing, rate: 1.5 };
    expect(decide(30, { ...noNudge, playback: fast, playerRate: 1 })).toEqual({ kind: 'rate', rate: 1.5, driftMs: 30 });
  });

  it('does not let a player that cannot nudge seek for less than its seeks miss by', () => {
    const erratic = { canNudgeRate: false, seekLatencyDeviationMs: 100 };
    const threshold = SYNC.seekSpreadFactor * 100;
    expect(decide(threshold, erratic)).toMatchObject({ kind: 'none' });
    expect(decide(-threshold - 1, erratic)).toMatchObject({ kind: 'seek' });
    // A player that can nudge keeps its threshold: the nudge absorbs a missed seek.
    expect(decide(SYNC.seekThresholdMs + 1, { seekLatencyDeviationMs: 1_000 })).toMatchObject({ kind: 'seek' });
  });

  describe('holding (canHold)', () => {
    const held = (driftMs: number, overrides: Partial<CorrectionInput> = {}) =>
      decide(driftMs, { canHold: true, playerPaused: true, ...overrides });

    it('keeps a paused player ahead of a moving group on its frame until the group gets there', () => {
      expect(held(200)).toEqual({ kind: 'hold', untilServerMs: NOW + 200, driftMs: 200 });
      // At 2× the group covers the 200 ms in 100.
      const fast = { ...playing, rate: 2 };
      expect(held(200, { playback: fast })).toMatchObject({ kind: 'hold', untilServerMs: NOW + 100 });
      // Within the dead band it starts now (the controller starts early by its start latency).
      expect(held(-SYNC.enterBandMs)).toMatchObject({ kind: 'hold', untilServerMs: NOW });
    });

    it('holds before a scheduled start until the instant, and past it by how far ahead the frame is', () => {
      const scheduled: PlaybackTiming = { status: 'playing', positionMs: 300_000, atServerMs: NOW + 150, rate: 1 };
      expect(held(0, { playback: scheduled })).toEqual({ kind: 'hold', untilServerMs: NOW + 150, driftMs: 0 });
      expect(held(80, { playback: scheduled })).toMatchObject({ kind: 'hold', untilServerMs: NOW + 230 });
      // Behind the start frame: a still group is snapped to it.
      expect(held(-40, { playback: scheduled })).toMatchObject({ kind: 'seek' });
    });

    it('seeks rather than wait longer than holdMaxMs, or than a seek of its own would have it wait', () => {
      expect(held(SYNC.holdMaxMs)).toMatchObject({ kind: 'hold' });
      expect(held(SYNC.holdMaxMs + 1)).toMatchObject({ kind: 'seek' });
      // Its seeks take 1 s and aim 60 ms further: a seek that lands at once waits 1060 ms, and holds.
      expect(held(1_060, { seekLatencyMs: 1_000 })).toMatchObject({ kind: 'hold', untilServerMs: NOW + 1_060 });
      expect(held(1_061, { seekLatencyMs: 1_000 })).toMatchObject({ kind: 'seek' });
    });

    it('does not hold a player that plays, or one that is behind: those are nudged or sought as before', () => {
      expect(decide(200, { canHold: true, playerPaused: false })).toMatchObject({ kind: 'rate' });
      expect(held(-100)).toMatchObject({ kind: 'rate', rate: 1 + SYNC.maxRateDelta });
      expect(held(-SYNC.seekThresholdMs - 1)).toMatchObject({ kind: 'seek' });
    });

    it('never holds for a still group: a paused room wants the exact frame', () => {
      const paused: PlaybackTiming = { status: 'paused', positionMs: 42_000, atServerMs: NOW - 5_000, rate: 1 };
      expect(held(100, { playback: paused })).toEqual({ kind: 'seek', toMs: 42_000, driftMs: 100 });
      expect(held(5, { playback: paused })).toEqual({ kind: 'none', driftMs: 5 });
    });

    it('aims a seek past the seek and start latencies by the margin, or by two deviations if more', () => {
      const aim = { canHold: true, startLatencyMs: 40 };
      expect(decide(-800, aim)).toMatchObject({ kind: 'seek', toMs: EXPECTED + 400 + 40 + SYNC.holdMarginMs });
      expect(decide(-800, { ...aim, seekLatencyDeviationMs: 50 })).toMatchObject({ toMs: EXPECTED + 400 + 40 + 100 });
      // A still group's frame is exact, margin or not.
      const paused: PlaybackTiming = { status: 'paused', positionMs: 42_000, atServerMs: NOW - 5_000, rate: 1 };
      expect(decide(100, { ...aim, playback: paused })).toMatchObject({ kind: 'seek', toMs: 42_000 });
    });

    it('seeks once more instead of nudging while settling after a start', () => {
      const settling = { canHold: true, settling: true };
      expect(decide(SYNC.settleSeekThresholdMs, settling)).toMatchObject({ kind: 'rate' });
      expect(decide(-SYNC.settleSeekThresholdMs - 1, settling)).toMatchObject({ kind: 'seek' });
      expect(decide(SYNC.settleSeekThresholdMs + 1, settling)).toMatchObject({ kind: 'seek' });
      // Only a client that holds after the seek: otherwise the seek would land as far off.
      expect(decide(-SYNC.settleSeekThresholdMs - 1, { settling: true })).toMatchObject({ kind: 'rate' });
    });
  });

  describe('the cost of starting a nudge', () => {
    it('sizes a nudge that leaves the room rate for the drift the cost leaves behind', () => {
      // 30 ms behind, and leaving the rate costs 28 more: speed up for 58.
      expect(decide(-30, { nudgeStartCostMs: 28 })).toEqual({
        kind: 'rate',
        rate: 1 + Math.min(SYNC.maxRateDelta, 58 / SYNC.rateHorizonMs),
        driftMs: -30,
      });
      // 40 ms ahead: the cost takes 28 of it, slow down for the remaining 12.
      expect(decide(40, { nudgeStartCostMs: 28 })).toMatchObject({ rate: 1 - 12 / SYNC.rateHorizonMs });
    });

    it('lets the cost alone correct a drift it matches, with the smallest rate change', () => {
      expect(decide(28, { nudgeStartCostMs: 28 })).toEqual({ kind: 'rate', rate: 1 - SYNC.minRateChange, driftMs: 28 });
    });

    it('charges nothing to a running nudge: changing between other rates is free', () => {
      expect(decide(-30, { playerRate: 1.05, nudgeStartCostMs: 28 })).toMatchObject({
        rate: 1 + 30 / SYNC.rateHorizonMs,
      });
    });
  });

  describe('properties', () => {
    const roomRate = fc.constantFrom(0.5, 1, 1.25, 1.5, 2);
    const status = fc.constantFrom<PlaybackTiming['status']>('playing', 'paused', 'waiting');
    const world = fc.record({
      status,
      rate: roomRate,
      // Half-millisecond drifts never sit exactly on a threshold, so mirrored cases cannot round apart.
      drift: fc.integer({ min: -3_000, max: 3_000 }).map((n) => n + 0.37),
      nudge: fc.integer({ min: -100, max: 100 }),
      startsInMs: fc.integer({ min: -60_000, max: 2_000 }),
      seekLatencyMs: fc.integer({ min: 0, max: 2_000 }),
      seekLatencyDeviationMs: fc.integer({ min: 0, max: 500 }),
      canNudgeRate: fc.boolean(),
      durationMs: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
    });
    type World = typeof world extends fc.Arbitrary<infer T> ? T : never;
    const build = (w: World, sign = 1): CorrectionInput => {
      const playback: PlaybackTiming = {
        status: w.status,
        positionMs: 100_000,
        atServerMs: NOW + w.startsInMs,
        rate: w.rate,
      };
      return {
        playback,
        serverNowMs: NOW,
        playerPositionMs: expectedPosition(playback, NOW, w.durationMs) + sign * w.drift,
        playerRate: w.rate * (1 + (sign * w.nudge) / 1_000),
        seekLatencyMs: w.seekLatencyMs,
        seekLatencyDeviationMs: w.seekLatencyDeviationMs,
        canNudgeRate: w.canNudgeRate,
        durationMs: w.durationMs,
      };
    };

    it('never nudges beyond the cap, and only against the drift', () => {
      fc.assert(
        fc.property(world, (w) => {
          const decision = decideCorrection(build(w));
          if (decision.kind !== 'rate') return;
          expect(decision.rate).toBeGreaterThanOrEqual(w.rate * (1 - SYNC.maxRateDelta) - 1e-12);
          expect(decision.rate).toBeLessThanOrEqual(w.rate * (1 + SYNC.maxRateDelta) + 1e-12);
          if (decision.rate !== w.rate) expect(Math.sign(w.rate - decision.rate)).toBe(Math.sign(decision.driftMs));
        }),
        runs,
      );
    });

    it('answers a mirrored drift with the mirrored decision', () => {
      fc.assert(
        fc.property(world, (w) => {
          const ahead = decideCorrection(build(w, 1));
          const behind = decideCorrection(build(w, -1));
          expect(behind.kind).toBe(ahead.kind);
          expect(behind.driftMs).toBeCloseTo(-ahead.driftMs, 6);
          if (ahead.kind === 'rate' && behind.kind === 'rate') {
            expect(behind.rate - w.rate).toBeCloseTo(-(ahead.rate - w.rate), 9);
          }
          if (ahead.kind === 'seek' && behind.kind === 'seek') expect(behind.toMs).toBe(ahead.toMs);
        }),
        runs,
      );
    });

    it('aims every seek inside the item, at the group position after the seek latency', () => {
      fc.assert(
        fc.property(world, (w) => {
          const request = build(w);
          const decision = decideCorrection(request);
          if (decision.kind !== 'seek') return;
          expect(decision.toMs).toBeGreaterThanOrEqual(0);
          if (w.durationMs !== undefined) expect(decision.toMs).toBeLessThanOrEqual(w.durationMs);
          expect(decision.toMs).toBe(expectedPosition(request.playback, NOW + w.seekLatencyMs, w.durationMs));
        }),
        runs,
      );
    });

    it('leaves a player within the exit band alone, except to restore the room rate', () => {
      fc.assert(
        fc.property(world, fc.double({ min: -SYNC.exitBandMs, max: SYNC.exitBandMs, noNaN: true }), (w, drift) => {
          const request = build(w);
          const near: Correction = decideCorrection({
            ...request,
            playerPositionMs: expectedPosition(request.playback, NOW, w.durationMs) + drift,
          });
          switch (near.kind) {
            case 'none':
              break;
            case 'rate':
              expect(near.rate).toBe(w.rate);
              break;
            case 'seek':
              throw new Error(`seeked for a drift of ${drift} ms`);
            case 'hold':
              throw new Error(`held for a drift of ${drift} ms without canHold`);
            default:
              near satisfies never;
          }
        }),
        runs,
      );
    });

    it('holds only a paused player of a playing group, until the group reaches its frame', () => {
      fc.assert(
        fc.property(world, fc.boolean(), (w, paused) => {
          const request = { ...build(w), canHold: true, playerPaused: paused, startLatencyMs: 40 };
          const decision = decideCorrection(request);
          if (decision.kind !== 'hold') return;
          expect(paused).toBe(true);
          expect(w.status).toBe('playing');
          if (w.durationMs !== undefined && request.playerPositionMs > w.durationMs) return; // past the end
          const from = Math.max(NOW, request.playback.atServerMs);
          expect(decision.untilServerMs).toBeGreaterThanOrEqual(from);
          const margin = Math.max(SYNC.holdMarginMs, SYNC.seekSpreadFactor * w.seekLatencyDeviationMs);
          expect(decision.untilServerMs - from).toBeLessThanOrEqual(
            Math.max(SYNC.holdMaxMs, w.seekLatencyMs + 40 + margin) + 1e-6,
          );
          // On the group's path: there it is where the player is (or just past, within the dead band).
          const there = expectedPosition(request.playback, decision.untilServerMs, w.durationMs);
          expect(there - request.playerPositionMs).toBeLessThanOrEqual(SYNC.enterBandMs + 1e-6);
          if (decision.untilServerMs > Math.max(NOW, request.playback.atServerMs)) {
            expect(there).toBeCloseTo(request.playerPositionMs, 6);
          }
        }),
        runs,
      );
    });

    it('follows a seek that took as long as estimated, or up to the margin longer, with a hold', () => {
      fc.assert(
        fc.property(
          world.filter((w) => w.status === 'playing' && w.seekLatencyMs <= 500),
          fc.integer({ min: 0, max: 100 }),
          fc.double({ min: 0, max: 1, noNaN: true }),
          (w, startLatencyMs, overrun) => {
            const request = { ...build(w), canHold: true, playerPaused: true, startLatencyMs };
            const decision = decideCorrection(request);
            if (decision.kind !== 'seek') return;
            if (w.durationMs !== undefined) return; // the end of the item clamps the aim
            const margin = Math.max(SYNC.holdMarginMs, SYNC.seekSpreadFactor * w.seekLatencyDeviationMs);
            const landedAt = NOW + w.seekLatencyMs + overrun * margin;
            const after = decideCorrection({ ...request, serverNowMs: landedAt, playerPositionMs: decision.toMs });
            expect(after.kind).toBe('hold');
          },
        ),
        runs,
      );
    });

    it('never nudges the rate of a still group or of a player that cannot nudge', () => {
      fc.assert(
        fc.property(world, (w) => {
          const request = build(w);
          const decision = decideCorrection(request);
          const advancing = w.status === 'playing' && w.startsInMs <= 0;
          if (decision.kind === 'rate' && (!advancing || !w.canNudgeRate)) expect(decision.rate).toBe(w.rate);
        }),
        runs,
      );
    });
  });
});
