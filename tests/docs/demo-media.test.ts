import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../apps/server/media/demo/', import.meta.url));

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(full) : statSync(full).size;
  }
  return total;
}

describe('the committed demo library', () => {
  const manifest = JSON.parse(readFileSync(path.join(DEMO, 'manifest.json'), 'utf8')) as {
    items: { id: string; durationMs: number }[];
  };

  it('has a clip of two minutes or more, so a newcomer can explore while something plays', () => {
    expect(Math.max(...manifest.items.map((item) => item.durationMs))).toBeGreaterThanOrEqual(120_000);
  });

  it('stays small: all committed media together is at most 8 MB', () => {
    expect(bytesUnder(DEMO)).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it('lists every clip folder in the manifest', () => {
    const folders = readdirSync(DEMO, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(manifest.items.map((item) => item.id).sort()).toEqual(folders);
  });
});
