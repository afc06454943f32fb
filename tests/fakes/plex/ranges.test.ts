import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ifRangeMatches, parseRange } from './http.ts';
import { type FakePlex, startFakePlex } from './index.ts';
import { bytesOf, plexFetch } from './test-client.ts';

let fake: FakePlex;
let key: string;
let file: Buffer;
beforeAll(async () => {
  fake = await startFakePlex();
  const movie = fake.catalog.movies[0]!;
  key = movie.part.key;
  file = readFileSync(movie.clip.mp4File);
});
afterAll(() => fake.close());
beforeEach(() => fake.counters.reset());

describe('fake Plex part files: byte ranges', () => {
  it('serves the whole file with 200, validators and Accept-Ranges', async () => {
    const res = await plexFetch(fake, key);
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBe(String(file.length));
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(res.headers.get('last-modified')).toBeTruthy();
    expect((await bytesOf(res)).equals(file)).toBe(true);
    expect(fake.counters.bytes('part')).toBe(file.length);
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=100-', 100, null],
    ['bytes=-500', null, null],
    ['bytes=1000-99999999', 1000, null],
  ])('answers %s with 206 and the exact bytes', async (range, start, end) => {
    const size = file.length;
    const from = start ?? size - 500;
    const to = end ?? size - 1;
    const res = await plexFetch(fake, key, { headers: { Range: range } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${from}-${to}/${size}`);
    expect(res.headers.get('content-length')).toBe(String(to - from + 1));
    expect((await bytesOf(res)).equals(file.subarray(from, to + 1))).toBe(true);
  });

  it('answers an unsatisfiable range with 416 and the size', async () => {
    for (const range of [`bytes=${file.length}-`, `bytes=${file.length + 10}-${file.length + 20}`, 'bytes=-0']) {
      const res = await plexFetch(fake, key, { headers: { Range: range } });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${file.length}`);
      await res.arrayBuffer();
    }
  });

  it('ignores malformed and multiple ranges (a full 200, as RFC 9110 allows)', async () => {
    for (const range of ['bytes=0-1,5-6', 'items=0-5', 'bytes=9-3', 'bytes=abc']) {
      const res = await plexFetch(fake, key, { headers: { Range: range } });
      expect(res.status, range).toBe(200);
      expect((await bytesOf(res)).length).toBe(file.length);
    }
  });

  it('answers HEAD with the same headers and no body', async () => {
    const full = await plexFetch(fake, key, { method: 'HEAD' });
    expect(full.status).toBe(200);
    expect(full.headers.get('content-length')).toBe(String(file.length));
    expect((await bytesOf(full)).length).toBe(0);
    const part = await plexFetch(fake, key, { method: 'HEAD', headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${file.length}`);
    expect(fake.counters.bytes('part')).toBe(0);
  });

  it('honours If-Range only when the validator still matches', async () => {
    const head = await plexFetch(fake, key, { method: 'HEAD' });
    const etag = head.headers.get('etag')!;
    const lastModified = head.headers.get('last-modified')!;
    const withIfRange = (ifRange: string) =>
      plexFetch(fake, key, { headers: { Range: 'bytes=0-9', 'If-Range': ifRange } });

    expect((await withIfRange(etag)).status).toBe(206);
    expect((await withIfRange(lastModified)).status).toBe(206);
    const stale = await withIfRange('"some-older-version"');
    expect(stale.status).toBe(200);
    expect((await bytesOf(stale)).length).toBe(file.length);
    expect((await withIfRange(`W/${etag}`)).status).toBe(200);
    expect((await withIfRange('Thu, 01 Jan 2015 00:00:00 GMT')).status).toBe(200);
  });

  it('answers If-None-Match with 304, a missing token with 401 and an unknown part with 404', async () => {
    const etag = (await plexFetch(fake, key, { method: 'HEAD' })).headers.get('etag')!;
    expect((await plexFetch(fake, key, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect((await fetch(`${fake.url}${key}`)).status).toBe(401);
    expect((await plexFetch(fake, '/library/parts/999999/1/file.mp4')).status).toBe(404);
  });
});

describe('range parsing', () => {
  it('follows RFC 9110', () => {
    expect(parseRange(undefined, 100)).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-0', 100)).toEqual({ kind: 'partial', start: 0, end: 0 });
    expect(parseRange('bytes=-1', 100)).toEqual({ kind: 'partial', start: 99, end: 99 });
    expect(parseRange('bytes=-1000', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(parseRange('bytes=99-', 100)).toEqual({ kind: 'partial', start: 99, end: 99 });
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=5-1', 100)).toEqual({ kind: 'full' });
  });

  it('compares If-Range validators strongly', () => {
    const lm = 'Tue, 14 Nov 2023 23:13:20 GMT';
    expect(ifRangeMatches(undefined, '"a"', lm)).toBe(true);
    expect(ifRangeMatches('"a"', '"a"', lm)).toBe(true);
    expect(ifRangeMatches('W/"a"', '"a"', lm)).toBe(false);
    expect(ifRangeMatches('"b"', '"a"', lm)).toBe(false);
    expect(ifRangeMatches(lm, '"a"', lm)).toBe(true);
    expect(ifRangeMatches('not a date', '"a"', lm)).toBe(false);
  });
});
