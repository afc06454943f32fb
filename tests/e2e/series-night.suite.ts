import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LibraryItemDto, RoomSnapshot } from '../../packages/shared/src/index.ts';
import { waitFor } from '../support/wait.ts';
import { roomPositionAt, Viewer } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';

/**
 * A series night with the demo series, three real Chromium pages in one room at the three sizes the
 * activity must work at (1280x720, Discord's 480x270 PiP, a 390x844 phone): "Skip intro" is one room
 * seek that lands everyone together, and at an episode's credits the "Up next" countdown shows on
 * every page, can be cancelled from any of them, and otherwise starts the next episode (across
 * seasons) for everyone.
 */
const TOLERANCE_MS = 750;
const TIMEOUT_MS = 30_000;

export function seriesNightSuite(getBrowser: () => Browser): void {
  describe('series night in real Chromium', () => {
    const room = `series-${randomBytes(4).toString('hex')}`;
    const roomId = `dev:${room}`;
    let server: RunningServer;
    let ana: Viewer;
    let bo: Viewer;
    let cy: Viewer;
    let episodes: LibraryItemDto[];
    const viewers: Viewer[] = [];

    const snapshot = async (): Promise<RoomSnapshot> => {
      const snap = await server.app.rooms.snapshot(roomId);
      if (!snap) throw new Error(`room ${roomId} is gone`);
      return snap;
    };
    const waitForRoom = (what: string, check: (snap: RoomSnapshot) => boolean) =>
      waitFor(async () => check(await snapshot()), { timeoutMs: TIMEOUT_MS, what });

    /** Every page's video is at the room's position (paused rooms: exactly where it holds). */
    const together = (what: string) =>
      waitFor(
        async () => {
          const snap = await snapshot();
          for (const viewer of viewers) {
            const video = await viewer.video();
            if (!video || video.readyState < 2) return false;
            if (Math.abs(video.currentTimeMs - roomPositionAt(snap, Date.now())) > TOLERANCE_MS) return false;
          }
          return true;
        },
        { timeoutMs: TIMEOUT_MS, intervalMs: 100, what },
      );

    /** Loads an episode through Ana's page, and holds the room paused at `atMs` once everyone has it. */
    const holdAt = async (itemId: string, atMs: number) => {
      await ana.page.evaluate((id) => window.__dpp?.command({ op: 'load', itemId: id }), itemId);
      await waitForRoom(`${itemId} to play`, (s) => s.playback.itemId === itemId && s.playback.status === 'playing');
      await ana.page.evaluate(() => window.__dpp?.command({ op: 'pause' }));
      await ana.page.evaluate((positionMs) => window.__dpp?.command({ op: 'seek', positionMs }), atMs);
      await waitForRoom(
        'the room paused there',
        (s) => s.playback.status === 'paused' && s.playback.positionMs === atMs,
      );
      await together(`everyone at ${atMs} ms`);
    };

    beforeAll(async () => {
      server = await startServer();
      const browser = getBrowser();
      ana = await Viewer.join(browser, server.url, { name: 'Ana', room });
      bo = await Viewer.join(browser, server.url, { name: 'Bo', room, viewport: { width: 480, height: 270 } });
      cy = await Viewer.join(browser, server.url, {
        name: 'Cy',
        room,
        viewport: { width: 390, height: 844 },
        isMobile: true,
      });
      viewers.push(ana, bo, cy);
      await waitForRoom('three members', (s) => s.members.length === 3);
      // The demo series' episodes in order, as the library lists them.
      const source = await server.app.library.sourceFor(undefined);
      const [show] = (await source.items('demo-series', undefined, 10)).items;
      episodes = [];
      for (const season of await source.children(show!.id)) episodes.push(...(await source.children(season.id)));
    }, 240_000);

    afterAll(async () => {
      for (const viewer of viewers) await viewer.close().catch(() => undefined);
      await server?.close();
    });

    it('shows "Skip intro" during the intro on every page; one click lands everyone after it', async () => {
      await holdAt(episodes[0]!.id, 2_000);
      for (const viewer of viewers) {
        const skip = viewer.page.getByTestId('skip-marker');
        await skip.waitFor();
        expect(await skip.textContent()).toBe('Skip intro');
      }
      await ana.screenshot('series-skip-intro-1280x720');
      await bo.screenshot('series-skip-intro-480x270');
      await cy.screenshot('series-skip-intro-390x844');

      await bo.page.getByTestId('skip-marker').click();
      await waitForRoom('the room past the intro', (s) => s.playback.positionMs === 4_000);
      await together('everyone past the intro');
      for (const viewer of viewers) await viewer.page.getByTestId('skip-marker').waitFor({ state: 'detached' });
    }, 120_000);

    it('counts down "Up next" on every page at the credits, and anyone may cancel it', async () => {
      await ana.page.evaluate(() => window.__dpp?.command({ op: 'seek', positionMs: 8_000 }));
      await ana.page.evaluate(() => window.__dpp?.command({ op: 'play' }));
      await waitForRoom('the next episode announced', (s) => s.upNext?.itemId === episodes[1]!.id);
      for (const viewer of viewers) {
        const card = viewer.page.getByTestId('up-next');
        await card.waitFor();
        expect(await card.textContent()).toContain(episodes[1]!.title);
      }
      await ana.screenshot('series-up-next-1280x720');
      await bo.screenshot('series-up-next-480x270');
      await cy.screenshot('series-up-next-390x844');

      await cy.page.getByTestId('up-next-cancel').click();
      await waitForRoom('the countdown cancelled', (s) => !s.upNext);
      for (const viewer of viewers) await viewer.page.getByTestId('up-next').waitFor({ state: 'detached' });
      // The episode plays out, and nothing starts after it.
      await waitForRoom('the episode over', (s) => s.playback.itemId === null);
      expect((await snapshot()).upNext ?? null).toBeNull();
    }, 120_000);

    it('starts the next episode, across seasons, for everyone when the countdown runs out', async () => {
      await holdAt(episodes[1]!.id, 8_000);
      await ana.page.evaluate(() => window.__dpp?.command({ op: 'play' }));
      await waitForRoom('the next season announced', (s) => s.upNext?.itemId === episodes[2]!.id);
      for (const viewer of viewers) await viewer.page.getByTestId('up-next').waitFor();
      expect(episodes[2]!.parentIndex).toBe(2);
      await waitForRoom(
        'season 2 playing',
        (s) => s.playback.itemId === episodes[2]!.id && s.playback.status === 'playing',
      );
      await together('everyone in season 2');
      for (const viewer of viewers) await viewer.page.getByTestId('up-next').waitFor({ state: 'detached' });
    }, 120_000);

    it('lists the episode left part-way under "Continue watching", and offers to resume it where it was left', async () => {
      const episode = episodes[2]!;
      await ana.page.evaluate(() => window.__dpp?.command({ op: 'pause' }));
      await ana.page.evaluate(() => window.__dpp?.command({ op: 'seek', positionMs: 6_000 }));
      await waitForRoom('paused at 0:06', (s) => s.playback.status === 'paused' && s.playback.positionMs === 6_000);
      await server.app.progress.flush();

      await ana.page.getByTestId('tab-library').click();
      const card = ana.page.locator(`[data-testid="continue-item"][data-item-id="${episode.id}"]`);
      await card.waitFor();
      expect(await card.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('50');
      await ana.screenshot('series-continue-watching-1280x720');

      await card.click();
      await waitForRoom(
        'the episode loaded afresh',
        (s) => s.playback.itemId === episode.id && s.playback.positionMs === 0,
      );
      const resume = ana.page.getByTestId('resume-from');
      await resume.waitFor();
      expect(await resume.textContent()).toBe('Resume from 0:06');
      await ana.screenshot('series-resume-1280x720');
      await resume.click();
      await waitForRoom('the room resumed at 0:06', (s) => s.playback.positionMs === 6_000);
      await ana.page.getByTestId('resume-offer').waitFor({ state: 'detached' });
    }, 120_000);
  });
}
