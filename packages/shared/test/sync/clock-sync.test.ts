import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockSync, estimateClock, SYNC } from '../../src/sync/index.ts';

const runs = { seed: 0x5eed, numRuns: 500 };

/** One exchange in a world where server = client + offsetMs, with the given one-way delays. */
const exchange = (t0: number, offsetMs: number, upMs: number, holdMs: number, downMs: number) => {
  const t1 = t0 + offsetMs + upMs;
  const t2 = t1 + holdMs;
  return { t0, t1, t2, t3: t2 - offsetMs + downMs };
};

describe('estimateClock', () => {
  it('reads the offset and the round trip from one exchange', () => {
    // Server 1000 ms ahead, 40 ms up, 5 ms in the server, 60 ms down: half the asymmetry is the error.
    expect(estimateClock(exchange(0, 1000, 40, 5, 60))).toEqual({ offsetMs: 990, rttMs: 100 });
  });

  it('is exact when the delays are symmetric', () => {
    expect(estimateClock(exchange(5_000, -3_700, 25, 2, 25))).toEqual({ offsetMs: -3_700, rttMs: 50 });
  });

  it('is never wrong by more than rtt / 2, however asymmetric the delays', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: -1e7, max: 1e7 }),
        fc.double({ min: 0.001, max: 5_000, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0.001, max: 5_000, noNaN: true }),
        (t0, offset, up, hold, down) => {
          const { offsetMs, rttMs } = estimateClock(exchange(t0, offset, up, hold, down));
          expect(rttMs).toBeCloseTo(up + down, 3);
          expect(Math.abs(offsetMs - offset)).toBeLessThanOrEqual(rttMs / 2 + 1e-3);
        },
      ),
      runs,
    );
  });
});

describe('ClockSync', () => {
  it('knows nothing before the first sample: offset 0, no rtt, not ready', () => {
    const clock = new ClockSync();
    expect(clock.offset).toBe(0);
    expect(clock.rtt).toBeUndefined();
    expect(clock.ready).toBe(false);
    expect(clock.serverNow(1234)).toBe(1234);
  });

  it('becomes ready once the join burst is in', () => {
    const clock = new ClockSync();
    for (let i = 0; i < SYNC.clockBurstSamples; i += 1) {
      expect(clock.ready).toBe(false);
      clock.addSample(exchange(i * 100, 500, 20, 1, 20));
    }
    expect(clock.ready).toBe(true);
    expect(clock.serverNow(10_000)).toBe(10_500);
  });

  it('uses the sample with the smallest round trip', () => {
    const clock = new ClockSync({ skewBoundPpm: 0 });
    clock.addSample(exchange(0, 1000, 80, 1, 20)); // rtt 100, off by +30
    clock.addSample(exchange(100, 1000, 12, 1, 18)); // rtt 30, off by −3
    clock.addSample(exchange(200, 1000, 150, 1, 10)); // rtt 160, off by +70
    expect(clock.rtt).toBe(30);
    expect(clock.offset).toBe(997);
  });

  it('forgets a sample once eight newer ones came in', () => {
    const clock = new ClockSync({ skewBoundPpm: 0 });
    clock.addSample(exchange(0, 1000, 5, 0, 5)); // the best ever: rtt 10
    for (let i = 1; i <= SYNC.clockWindow - 1; i += 1) clock.addSample(exchange(i * 1000, 1000, 20 + i, 0, 20));
    expect(clock.rtt).toBe(10);
    clock.addSample(exchange(SYNC.clockWindow * 1000, 1000, 30, 0, 30));
    expect(clock.rtt).toBe(41); // the best of the last eight: 21 up + 20 down
  });

  it('prefers a fresh sample to a stale one of almost the same round trip', () => {
    const clock = new ClockSync({ skewBoundPpm: 100 });
    clock.addSample(exchange(0, 1000, 25, 0, 25)); // rtt 50
    clock.addSample(exchange(20_000, 1004, 25.5, 0, 25.5)); // rtt 51, 20 s later: stale one scores 54
    expect(clock.offset).toBe(1004);
    const pure = new ClockSync({ skewBoundPpm: 0 });
    pure.addSample(exchange(0, 1000, 25, 0, 25));
    pure.addSample(exchange(20_000, 1004, 25.5, 0, 25.5));
    expect(pure.offset).toBe(1000);
  });

  it('rejects impossible samples without counting them', () => {
    const clock = new ClockSync({ readyAfter: 1 });
    expect(clock.addSample({ t0: 100, t1: 50, t2: 60, t3: 90 })).toBe(false); // client clock ran backwards
    expect(clock.addSample({ t0: 0, t1: 60, t2: 50, t3: 100 })).toBe(false); // server sent before it received
    expect(clock.addSample({ t0: 0, t1: 10, t2: 200, t3: 100 })).toBe(false); // negative rtt
    expect(clock.addSample({ t0: 0, t1: Number.NaN, t2: 1, t3: 2 })).toBe(false);
    expect(clock.ready).toBe(false);
    expect(clock.sampleCount).toBe(0);
    expect(clock.addSample(exchange(0, 7, 1, 0, 1))).toBe(true);
    expect(clock.offset).toBe(7);
  });

  it('starts over after reset', () => {
    const clock = new ClockSync({ readyAfter: 1 });
    clock.addSample(exchange(0, 7, 1, 0, 1));
    clock.reset();
    expect(clock.ready).toBe(false);
    expect(clock.offset).toBe(0);
    expect(clock.rtt).toBeUndefined();
  });

  it('keeps its error within rtt / 2 of the chosen sample, and that rtt is the window minimum', () => {
    const delays = fc.record({
      up: fc.double({ min: 0.001, max: 500, noNaN: true }),
      hold: fc.double({ min: 0, max: 5, noNaN: true }),
      down: fc.double({ min: 0.001, max: 500, noNaN: true }),
      gap: fc.integer({ min: 0, max: 5_000 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: -1e7, max: 1e7 }),
        fc.array(delays, { minLength: 1, maxLength: 30 }),
        (offset, exchanges) => {
          const clock = new ClockSync({ skewBoundPpm: 0 });
          let t0 = 0;
          const rtts: number[] = [];
          for (const { up, hold, down, gap } of exchanges) {
            t0 += gap;
            clock.addSample(exchange(t0, offset, up, hold, down));
            rtts.push(up + down);
          }
          const rtt = clock.rtt!;
          expect(rtt).toBeCloseTo(Math.min(...rtts.slice(-SYNC.clockWindow)), 3);
          expect(Math.abs(clock.offset - offset)).toBeLessThanOrEqual(rtt / 2 + 1e-3);
          expect(clock.serverNow(t0)).toBe(t0 + clock.offset);
        },
      ),
      runs,
    );
  });
});
