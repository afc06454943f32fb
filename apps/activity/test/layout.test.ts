import { ManualClock } from '@dpp/shared/testing';
import { describe, expect, it } from 'vitest';
import { burstGuard } from '../src/lib/burst.ts';
import { initials } from '../src/lib/format.ts';
import { qualityChoices } from '../src/room/app-state.ts';
import { layoutFor } from '../src/ui/use-layout.ts';

describe('the layout for a window', () => {
  it('is focused at Discord’s focused size and on a desktop', () => {
    expect(layoutFor(1280, 720, null)).toBe('focused');
    expect(layoutFor(1920, 1080, 'focused')).toBe('focused');
  });

  it('is compact in a window up to 500×300, and whenever Discord shows picture-in-picture or the grid', () => {
    expect(layoutFor(480, 270, null)).toBe('compact');
    expect(layoutFor(500, 300, null)).toBe('compact');
    expect(layoutFor(1280, 720, 'pip')).toBe('compact');
    expect(layoutFor(1280, 720, 'grid')).toBe('compact');
  });

  it('is the phone layout in portrait', () => {
    expect(layoutFor(390, 844, null)).toBe('phone');
    expect(layoutFor(390, 844, 'focused')).toBe('phone');
  });
});

describe('avatar initials', () => {
  it('takes whole characters: emoji, accents and non-Latin names stay intact', () => {
    expect(initials('Ana Bell')).toBe('AB');
    expect(initials('ana')).toBe('AN');
    expect(initials('😀 Party')).toBe('😀P');
    expect(initials('👩‍👩‍👧 fam')).toBe('👩‍👩‍👧F');
    expect(initials('😀')).toBe('😀');
    expect(initials('山田 太郎')).toBe('山太');
    expect(initials('Élodie')).toBe('ÉL');
    expect(initials('   ')).toBe('?');
  });
});

describe('a click burst', () => {
  it('is one action: repeats on the same key within a second are ignored, and extend the burst', async () => {
    const clock = new ManualClock(0);
    const first = burstGuard(clock);
    const taken: boolean[] = [];
    for (const t of [0, 80, 160, 240, 320, 400, 480, 560]) {
      await clock.advance(t - clock.now());
      taken.push(first('add:demo-1'));
    }
    expect(taken).toEqual([true, false, false, false, false, false, false, false]);
    await clock.advance(900 - clock.now());
    expect(first('add:demo-2')).toBe(true);
    await clock.advance(1500 - clock.now());
    expect(first('add:demo-1')).toBe(false);
    await clock.advance(2600 - clock.now());
    expect(first('add:demo-1')).toBe(true);
  });
});

describe('quality choices', () => {
  it('come from the source: no 1080p for a 360p clip, its 240p rendition offered', () => {
    expect(qualityChoices(360)).toEqual([
      { value: 'auto', label: 'Auto' },
      { value: 'original', label: 'Original (360p)' },
      { value: '240p', label: '240p' },
    ]);
    expect(qualityChoices(1080).map((q) => q.value)).toEqual(['auto', 'original', '720p', '480p', '360p', '240p']);
    expect(qualityChoices(null).map((q) => q.value)).toContain('1080p');
  });
});
