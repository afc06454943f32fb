import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerProcess } from '../support/server-process.ts';
import { waitFor } from '../support/wait.ts';
import { Viewer } from './support/browser.ts';

/**
 * Three Chromium pages in a party whose server process is SIGKILLed mid-film and started again on
 * the same data directory: the pages reconnect by themselves, say the party was restored, hold the
 * same frame, and go on together after one of them presses play.
 */
const TOLERANCE_MS = 750;

export function restartSuite(getBrowser: () => Browser): void {
  describe('a party in Chromium across a server restart', () => {
    const room = `restart-${randomBytes(4).toString('hex')}`;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-e2e-restart-'));
    let server: ServerProcess;
    const viewers: Viewer[] = [];

    beforeAll(async () => {
      server = await ServerProcess.start({ DATA_DIR: dataDir });
    }, 180_000);
    afterAll(async () => {
      for (const viewer of viewers) await viewer.close().catch(() => undefined);
      await server?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    });

    /** The three videos, read one after the other: all playing (or paused) within the tolerance of each other. */
    const together = (playing: boolean, what: string) =>
      waitFor(
        async () => {
          const videos = await Promise.all(viewers.map((v) => v.video()));
          if (videos.some((v) => !v || v.readyState < 2 || v.paused === playing)) return false;
          const at = videos.map((v) => v!.currentTimeMs - (playing ? v!.epochMs - videos[0]!.epochMs : 0));
          return Math.max(...at) - Math.min(...at) <= TOLERANCE_MS && at;
        },
        { timeoutMs: 45_000, intervalMs: 200, what },
      );

    it('comes back paused where it was, says so, and plays on together', async () => {
      const browser = getBrowser();
      for (const name of ['Ana', 'Bo', 'Cy']) viewers.push(await Viewer.join(browser, server.url, { name, room }));
      const [ana, bo, cy] = viewers as [Viewer, Viewer, Viewer];
      await ana.page.evaluate(async () => {
        await window.__dpp?.command({ op: 'load', itemId: 'demo-deep-blue-timecode' });
        for (const itemId of ['demo-green-room-countdown', 'demo-sunrise-sync', 'demo-deep-blue-timecode']) {
          await window.__dpp?.command({ op: 'queue.add', itemId });
        }
      });
      await together(true, 'the three pages playing');
      await waitFor(async () => ((await ana.video())?.currentTimeMs ?? 0) > 3000, { what: 'three seconds in' });

      const before = (await ana.video())!.currentTimeMs;
      await server.stop('SIGKILL');
      await server.up();

      // Every page is back in the room by itself, held paused, and says why.
      for (const viewer of viewers) {
        await viewer.page.getByTestId('restored-banner').waitFor({ timeout: 60_000 });
        expect(await viewer.page.getByTestId('restored-banner').textContent()).toBe(
          'The party was restored after a server restart — press play to go on',
        );
      }
      const held = await together(false, 'the three pages paused at the same frame');
      // Where the room was when it died (the pages played on alone a moment before they noticed).
      expect(Math.abs(held[0]! - before)).toBeLessThan(3000);
      await bo.page.getByTestId('tab-queue').click();
      await bo.page.getByTestId('queue-current').waitFor();
      await expect.poll(() => bo.page.getByTestId('queue-entry').count()).toBe(3);
      await bo.screenshot('restored-1280x720');
      await cy.page.setViewportSize({ width: 390, height: 844 });
      await cy.screenshot('restored-390x844');
      await cy.page.setViewportSize({ width: 480, height: 270 });
      await cy.screenshot('restored-480x270');
      await cy.page.setViewportSize({ width: 1280, height: 720 });

      await ana.showControls();
      await ana.page.getByTestId('play-pause').click();
      await together(true, 'the three pages playing on together');
      for (const viewer of viewers) await viewer.page.getByTestId('restored-banner').waitFor({ state: 'detached' });
    }, 300_000);
  });
}
