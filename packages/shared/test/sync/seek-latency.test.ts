import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeekLatencyEstimator, SYNC } from '../../src/sync/index.ts';

describe('SeekLatencyEstimator', () => {
  it('assumes the initial latency until a seek was measured, then takes the first measurement', () => {
    const latency = new SeekLatencyEstimator();
    expect(latency.estimateMs).toBe(SYNC.seekLatencyInitialMs);
    latency.observe(520);
    expect(latency.estimateMs).toBe(520);
    expect(latency.count).toBe(1);
  });

  it('moves towards each new measurement by alpha', () => {
    const latency = new SeekLatencyEstimator(300, 0.25);
    latency.observe(400);
    latency.observe(200);
    expect(latency.estimateMs).toBe(350);
  });

  it('caps a hung seek and ignores nonsense', () => {
    const latency = new SeekLatencyEstimator(300, 0.25, 3_000);
    latency.observe(400);
    latency.observe(60_000);
    expect(latency.estimateMs).toBe(400 + 0.25 * (3_000 - 400));
    latency.observe(-5);
    latency.observe(Number.NaN);
    expect(latency.count).toBe(2);
  });

  it('stays between the smallest and the largest measurement, and settles on a steady one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 2_000, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (seeks) => {
          const latency = new SeekLatencyEstimator();
          for (const seek of seeks) latency.observe(seek);
          expect(latency.estimateMs).toBeGreaterThanOrEqual(Math.min(...seeks) - 1e-9);
          expect(latency.estimateMs).toBeLessThanOrEqual(Math.max(...seeks) + 1e-9);
          for (let i = 0; i < 100; i += 1) latency.observe(450);
          expect(latency.estimateMs).toBeCloseTo(450, 3);
        },
      ),
      { seed: 0x5eed, numRuns: 300 },
    );
  });
});
