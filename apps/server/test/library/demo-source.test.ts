import { stat } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DemoSource } from '../../src/library/demo-source.ts';
import { InvalidCursorError, ItemNotFoundError } from '../../src/media/errors.ts';
import { decodeOffsetCursor, encodeOffsetCursor } from '../../src/media/media-source.ts';

/** The committed demo clips, through the MediaSource interface. */
describe('demo library', () => {
  let demo: DemoSource;
  beforeAll(async () => {
    demo = await DemoSource.load();
  });

  it('has a movie section with at least three clips (and the demo series in its own section)', async () => {
    expect(await demo.sections()).toEqual([
      { id: 'demo', title: 'Demo', type: 'movie' },
      { id: 'demo-series', title: 'Demo series', type: 'show' },
    ]);
    const page = await demo.items('demo', undefined, 50);
    expect(page.items.length).toBeGreaterThanOrEqual(3);
    expect(page.total).toBe(page.items.length);
    expect(page.nextCursor).toBeUndefined();
    for (const item of page.items) {
      expect(item).toMatchObject({ type: 'movie', playable: true });
      expect(item.id).toMatch(/^demo-[a-z0-9-]+$/);
      expect(item.durationMs).toBeGreaterThan(0);
    }
  });

  it('pages with opaque cursors', async () => {
    const first = await demo.items('demo', undefined, 2);
    expect(first.items).toHaveLength(2);
    const second = await demo.items('demo', first.nextCursor, 2);
    const all = await demo.items('demo', undefined, 50);
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual(all.items.slice(0, 4).map((i) => i.id));
    await expect(demo.items('demo', 'garbage', 2)).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(demo.items('nope', undefined, 2)).rejects.toBeInstanceOf(ItemNotFoundError);
  });

  it('matches punctuation and accents loosely: "deep-blue" finds "Deep Blue Timecode"', async () => {
    expect((await demo.search('deep-blue', 10)).map((i) => i.title)).toEqual(['Deep Blue Timecode']);
    expect((await demo.search('DÉEP, blue!', 10)).map((i) => i.title)).toEqual(['Deep Blue Timecode']);
    expect(await demo.search('--', 10)).toEqual([]);
  });

  it('searches titles and summaries, every word', async () => {
    const [clip] = (await demo.items('demo', undefined, 1)).items;
    const word = clip!.title.split(' ')[0]!.toLowerCase();
    expect((await demo.search(word.toUpperCase(), 10)).map((i) => i.id)).toContain(clip!.id);
    expect(await demo.search(`${word} zzzznotthere`, 10)).toEqual([]);
  });

  it('serves posters named by the manifest, and nothing else', async () => {
    const item = await demo.item((await demo.items('demo', undefined, 1)).items[0]!.id);
    const image = await demo.art(item.thumb!);
    expect(image.contentType).toBe('image/jpeg');
    const chunks: Buffer[] = [];
    for await (const chunk of image.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    await expect(demo.art('../manifest.json')).rejects.toBeInstanceOf(ItemNotFoundError);
  });

  it('resolves original to the MP4 and other qualities to local HLS inside its folder', async () => {
    const id = (await demo.items('demo', undefined, 1)).items[0]!.id;
    const file = await demo.resolveStream(id, 'original');
    expect(file).toMatchObject({ kind: 'local-file', mimeType: 'video/mp4' });
    if (file.kind !== 'local-file') throw new Error('expected a local file');
    expect((await stat(file.path)).size).toBe(file.sizeBytes);

    for (const quality of ['1080p', '720p', '480p'] as const) {
      const hls = await demo.resolveStream(id, quality);
      if (hls.kind !== 'local-hls') throw new Error('expected local HLS');
      expect(hls.playlist.startsWith('..')).toBe(false);
      expect((await stat(path.join(hls.dir, hls.playlist))).isFile()).toBe(true);
    }
    // 240p is the clip's own small rendition, as a media playlist of it alone.
    const small = await demo.resolveStream(id, '240p');
    if (small.kind !== 'local-hls') throw new Error('expected local HLS');
    expect(small.playlist).toBe('240p/index.m3u8');
    await expect(demo.resolveStream('demo-nope', 'original')).rejects.toBeInstanceOf(ItemNotFoundError);
    await expect(demo.item('12')).rejects.toBeInstanceOf(ItemNotFoundError);
  });

  it('cursors round-trip and refuse what they did not issue', () => {
    expect(decodeOffsetCursor(encodeOffsetCursor(150))).toBe(150);
    expect(decodeOffsetCursor(undefined)).toBe(0);
    expect(() => decodeOffsetCursor(Buffer.from('o:-1').toString('base64url'))).toThrow(InvalidCursorError);
  });
});
