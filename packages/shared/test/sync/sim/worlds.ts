import fc from 'fast-check';
import type { SimParams } from './simulation.ts';

/** The seed every simulation property and the report draw their worlds from. */
export const WORLD_SEED = 20_240_611;

/**
 * Worlds a viewer can be in: clocks ±200 ppm and seconds apart, RTT 10–250 ms with up to 10 ms of
 * fixed asymmetry and exponential queueing (mean up to 20 ms each way) plus rare 100–400 ms spikes,
 * players whose rate changes land up to 150 ms late, whose play() starts up to 50 ms late and
 * whose seeks take 200–600 ms, and a stall of 0.2–4 s.
 */
export const worldArbitrary = (canNudgeRate = true): fc.Arbitrary<SimParams> =>
  fc
    .record({
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      clockSkewPpm: fc.integer({ min: -200, max: 200 }),
      clockOffsetMs: fc.integer({ min: -10_000, max: 10_000 }),
      minRttMs: fc.integer({ min: 12, max: 250 }),
      asymmetryMs: fc.integer({ min: -10, max: 10 }),
      jitterMs: fc.integer({ min: 0, max: 20 }),
      spikePerMille: fc.integer({ min: 0, max: 50 }),
      clientLagMs: fc.integer({ min: 0, max: 5 }),
      rateDelayMs: fc.integer({ min: 0, max: 150 }),
      startDelayMs: fc.integer({ min: 0, max: 50 }),
      seekMinMs: fc.integer({ min: 200, max: 400 }),
      seekSpreadMs: fc.integer({ min: 0, max: 200 }),
      readNoiseMs: fc.integer({ min: 0, max: 3 }),
      stallMs: fc.integer({ min: 200, max: 4_000 }),
    })
    .map(({ rateDelayMs, startDelayMs, seekMinMs, seekSpreadMs, readNoiseMs, spikePerMille, ...world }) => ({
      ...world,
      spikeChance: spikePerMille / 1_000,
      player: { rateDelayMs, startDelayMs, seekMinMs, seekMaxMs: seekMinMs + seekSpreadMs, readNoiseMs, canNudgeRate },
    }));
