import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedPosition, isAdvancing, type PlaybackTiming } from '../../src/sync/index.ts';

const runs = { seed: 0x5eed, numRuns: 500 };
const playing = (positionMs: number, atServerMs: number, rate = 1): PlaybackTiming => ({
  status: 'playing',
  positionMs,
  atServerMs,
  rate,
});

describe('expectedPosition', () => {
  it('advances from positionMs at the room rate while playing', () => {
    expect(expectedPosition(playing(60_000, 1_000), 4_000)).toBe(63_000);
    expect(expectedPosition(playing(60_000, 1_000, 1.5), 5_000)).toBe(66_000);
  });

  it('holds positionMs while paused or waiting, whatever the time', () => {
    for (const status of ['paused', 'waiting'] as const) {
      const playback: PlaybackTiming = { status, positionMs: 42_000, atServerMs: 1_000, rate: 2 };
      expect(expectedPosition(playback, 0)).toBe(42_000);
      expect(expectedPosition(playback, 1e9)).toBe(42_000);
      expect(isAdvancing(playback, 1e9)).toBe(false);
    }
  });

  it('holds positionMs before a scheduled start and moves from the instant on', () => {
    const scheduled = playing(90_000, 10_000);
    expect(isAdvancing(scheduled, 9_999)).toBe(false);
    expect(expectedPosition(scheduled, 9_000)).toBe(90_000);
    expect(isAdvancing(scheduled, 10_000)).toBe(true);
    expect(expectedPosition(scheduled, 10_000)).toBe(90_000);
    expect(expectedPosition(scheduled, 10_250)).toBe(90_250);
  });

  it('stays within [0, duration]', () => {
    expect(expectedPosition(playing(-500, 0), 100)).toBe(0);
    expect(expectedPosition(playing(59_000, 0), 5_000, 60_000)).toBe(60_000);
    expect(expectedPosition(playing(59_000, 0), 5_000)).toBe(64_000);
  });

  const timing = fc.record({
    positionMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
    atServerMs: fc.double({ min: 0, max: 1e12, noNaN: true }),
    rate: fc.double({ min: 0.25, max: 4, noNaN: true }),
  });

  it('never moves backwards while playing', () => {
    fc.assert(
      fc.property(
        timing,
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }),
        (t, from, step, duration) => {
          const playback = playing(t.positionMs, t.atServerMs, t.rate);
          const a = expectedPosition(playback, t.atServerMs + from, duration);
          const b = expectedPosition(playback, t.atServerMs + from + step, duration);
          expect(b).toBeGreaterThanOrEqual(a);
        },
      ),
      runs,
    );
  });

  it('moves exactly rate ms per ms once started, and continuously through the start', () => {
    fc.assert(
      fc.property(
        timing,
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        (t, a, b) => {
          const playback = playing(t.positionMs, t.atServerMs, t.rate);
          const [early, late] = a < b ? [a, b] : [b, a];
          const moved =
            expectedPosition(playback, t.atServerMs + late) - expectedPosition(playback, t.atServerMs + early);
          expect(moved).toBeCloseTo((late - early) * t.rate, 1);
          const jump =
            expectedPosition(playback, t.atServerMs + 1e-3) - expectedPosition(playback, t.atServerMs - 1e-3);
          expect(Math.abs(jump)).toBeLessThan(0.01);
        },
      ),
      runs,
    );
  });
});
