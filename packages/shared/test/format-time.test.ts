import { describe, expect, test } from 'vitest';
import { formatTime } from '../src/format-time.ts';

describe('formatTime', () => {
  test.each([
    [0, '0:00'],
    [999, '0:00'],
    [9_000, '0:09'],
    [83_000, '1:23'],
    [307_000, '5:07'],
    [3_599_999, '59:59'],
    [3_600_000, '1:00:00'],
    [4_503_000, '1:15:03'],
    [5_025_000, '1:23:45'],
    [-5, '0:00'],
  ])('%i ms reads %s', (ms, text) => {
    expect(formatTime(ms)).toBe(text);
  });

  test.each([null, undefined, Number.NaN, Number.POSITIVE_INFINITY])('%s (no position) reads --:--', (ms) => {
    expect(formatTime(ms)).toBe('--:--');
  });
});
