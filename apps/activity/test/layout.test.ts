import { describe, expect, it } from 'vitest';
import { initials } from '../src/lib/format.ts';
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
