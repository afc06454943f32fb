import { describe, expect, it } from 'vitest';
import { toWebVtt } from '../../src/streams/stream-proxy.ts';

describe('toWebVtt', () => {
  it('turns SubRip into WebVTT: a header, dots before milliseconds, LF line ends, no byte-order mark', () => {
    const srt =
      '\uFEFF1\r\n00:00:01,500 --> 00:00:03,250\r\nHello, world\r\n\r\n2\r\n1:02:03,004 --> 1:02:04,000\r\nAt 12,000 feet\r\n';
    expect(toWebVtt(srt, 'srt')).toBe(
      'WEBVTT\n\n1\n00:00:01.500 --> 00:00:03.250\nHello, world\n\n2\n1:02:03.004 --> 1:02:04.000\nAt 12,000 feet\n',
    );
  });

  it('keeps WebVTT as it is, apart from line ends and a byte-order mark', () => {
    expect(toWebVtt('\uFEFFWEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nHi\r\n', 'vtt')).toBe(
      'WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n',
    );
  });
});
