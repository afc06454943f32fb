import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SYNC, schedulingLead } from '../../src/sync/index.ts';

describe('schedulingLead', () => {
  it('is the slowest member RTT plus the margin', () => {
    expect(schedulingLead([20, 80, 300])).toBe(300 + SYNC.leadMarginMs);
  });

  it('never drops below the minimum, even with no member measured yet', () => {
    expect(schedulingLead([])).toBe(SYNC.leadMinMs);
    expect(schedulingLead([10])).toBe(SYNC.leadMinMs);
  });

  it('does not let one terrible link make the whole room sluggish', () => {
    expect(schedulingLead([40, 5_000])).toBe(SYNC.leadMaxMs);
  });

  it('ignores RTTs that cannot be right', () => {
    expect(schedulingLead([Number.NaN, -50, Number.POSITIVE_INFINITY, 120])).toBe(220);
  });

  it('is bounded and never shrinks when a member joins', () => {
    const rtt = fc.double({ min: -100, max: 10_000, noNaN: false });
    fc.assert(
      fc.property(fc.array(rtt, { maxLength: 50 }), rtt, (rtts, joiner) => {
        const lead = schedulingLead(rtts);
        expect(lead).toBeGreaterThanOrEqual(SYNC.leadMinMs);
        expect(lead).toBeLessThanOrEqual(SYNC.leadMaxMs);
        expect(schedulingLead([...rtts, joiner])).toBeGreaterThanOrEqual(lead);
        const valid = rtts.filter((r) => Number.isFinite(r) && r >= 0);
        const slowest = Math.max(0, ...valid);
        expect(lead).toBe(Math.min(SYNC.leadMaxMs, Math.max(SYNC.leadMinMs, slowest + SYNC.leadMarginMs)));
      }),
      { seed: 0x5eed, numRuns: 500 },
    );
  });
});
