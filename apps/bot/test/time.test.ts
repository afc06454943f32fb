import { formatTime } from '@dpp/shared';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_TIME_MS, parseTime } from '../src/time.ts';

describe('parseTime', () => {
  test.each([
    ['1:23:45', 5_025_000],
    ['83:00', 4_980_000],
    ['0:30', 30_000],
    ['1:02:03.5', 3_723_500],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1h 2m 3s', 3_723_000],
    ['2m30s', 150_000],
    ['1.5h', 5_400_000],
    ['5 min', 300_000],
    ['10 seconds', 10_000],
    ['90', 90_000],
    ['  5M  ', 300_000],
  ])('%s is %i ms from the start', (input, ms) => {
    expect(parseTime(input)).toEqual({ ok: true, value: { mode: 'absolute', ms } });
  });

  test.each([
    ['+30s', 30_000],
    ['-10s', -10_000],
    ['+1:00', 60_000],
    ['- 2m', -120_000],
  ])('%s jumps %i ms from where the room is', (input, ms) => {
    expect(parseTime(input)).toEqual({ ok: true, value: { mode: 'relative', ms } });
  });

  test.each([
    '',
    'abc',
    '1:60',
    '1:60:00',
    '1:2:3:4',
    '30m1h',
    '5m5m',
    '1h30',
    '5 parsecs',
    ':30',
    '1::2',
    '101h',
    'm5',
  ])('%j is refused', (input) => {
    expect(parseTime(input).ok).toBe(false);
  });
});

describe('formatTime', () => {
  test.each([
    [0, '0:00'],
    [9_000, '0:09'],
    [307_000, '5:07'],
    [5_025_000, '1:23:45'],
    [-5, '0:00'],
  ])('%i ms reads %s', (ms, text) => {
    expect(formatTime(ms)).toBe(text);
  });

  test('what formatTime writes, parseTime reads back (whole seconds)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_TIME_MS / 1000 }), (seconds) => {
        const parsed = parseTime(formatTime(seconds * 1000));
        expect(parsed).toEqual({ ok: true, value: { mode: 'absolute', ms: seconds * 1000 } });
      }),
    );
  });
});
