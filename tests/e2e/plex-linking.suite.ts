import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../fakes/plex/index.ts';
import { waitFor } from '../support/wait.ts';
import { Viewer } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';

/**
 * Plex linking from the activity (standalone mode: everyone may link), against the fake plex.tv and
 * Plex Media Server: the PIN with its link, polling until it is approved, the server choice; then
 * the library comes from Plex (shows → seasons → episodes) and plays through the proxy, as HLS for
 * a viewer who picks a lower quality.
 */
export function plexLinkingSuite(getBrowser: () => Browser): void {
  describe('Plex linking in real Chromium', () => {
    const room = `plex-${randomBytes(4).toString('hex')}`;
    let plex: FakePlex;
    let server: RunningServer;
    let browser: Browser;
    let ana: Viewer;

    beforeAll(async () => {
      plex = await startFakePlex({ friendlyName: 'Living-room Plex' });
      server = await startServer({ PLEX_TV_URL: plex.plexTvUrl });
      browser = getBrowser();
      ana = await Viewer.join(browser, server.url, { name: 'Ana', room });
    }, 240_000);

    afterAll(async () => {
      await ana?.close().catch(() => undefined);
      await server?.close();
      await plex?.close();
    });

    it('links a Plex server with a PIN and lets the admin choose the server', async () => {
      await ana.page.getByTestId('settings-menu').click();
      await ana.page.getByRole('menuitem', { name: 'Plex server…' }).click();
      const dialog = ana.page.getByTestId('plex-dialog');
      await dialog.getByTestId('no-servers').waitFor();
      await dialog.getByTestId('plex-link').click();

      const pin = dialog.getByTestId('plex-pin');
      await pin.waitFor();
      const code = (await pin.getAttribute('data-code')) ?? '';
      expect(code.length).toBeGreaterThan(0);
      // The link to approve this app on (fake) plex.tv is there to open or copy.
      await expect.poll(() => pin.getByRole('button', { name: /^Open / }).count()).toBe(1);
      await expect.poll(() => pin.textContent()).toContain('Waiting for approval');
      await ana.screenshot('plex-pin');

      // The admin approves the code on plex.tv; the dialog notices on its next poll.
      plex.approvePin(code);
      const choose = dialog.getByTestId('plex-choose');
      await choose.getByText('Living-room Plex').waitFor({ timeout: 20_000 });
      await ana.screenshot('plex-servers');
      await choose.getByTestId('plex-use-server').click();

      await ana.page.getByTestId('notice').filter({ hasText: 'Linked Living-room Plex' }).waitFor();
      await dialog.getByText('Living-room Plex').waitFor();
      await dialog.getByRole('button', { name: 'Close' }).first().click();
      await dialog.waitFor({ state: 'detached' });
    }, 90_000);

    it('browses the Plex library: shows, seasons and episodes', async () => {
      await ana.page.getByTestId('tab-library').click();
      const panel = ana.page.getByTestId('library-panel');
      await panel.getByText('Living-room Plex').waitFor();
      await panel.getByRole('tab', { name: 'TV Shows' }).click();
      await panel.getByTestId('library-item').filter({ hasText: 'Sync Street' }).locator('.card-open').click();
      await panel.getByRole('heading', { name: 'Seasons' }).waitFor();
      await panel.getByTestId('library-item').first().locator('.card-open').click();
      await panel.getByTestId('episode').first().waitFor();
      expect(await panel.getByTestId('episode').count()).toBeGreaterThan(1);
      await ana.screenshot('library-episodes');
    }, 60_000);

    it('plays a Plex movie through the proxy, in HLS when this viewer picks a smaller quality', async () => {
      // This viewer picks 240p (the menu offers only what is below the film's 360p source): the server
      // answers with a Plex transcode (HLS) and the film's sidecar subtitles.
      await ana.page.getByTestId('tab-queue').click();
      await ana.page.getByTestId('tab-library').click();
      const panel = ana.page.getByTestId('library-panel');
      await panel.getByRole('tab', { name: 'Movies' }).click();
      // The movie with an external SRT subtitle stream.
      const subtitled = plex.catalog.movies.find((movie) => movie.part.subtitleStreamId !== undefined);
      if (!subtitled) throw new Error('the fake Plex has no movie with subtitles');
      await panel.locator(`[data-testid="library-item"][data-item-id="${subtitled.ratingKey}"] .card-open`).click();
      await panel.getByTestId('play-now').click();
      await waitFor(async () => (await server.app.rooms.snapshot(`dev:${room}`))?.playback.status === 'playing', {
        timeoutMs: 30_000,
        what: 'the Plex movie to play',
      });
      await ana.showControls();
      await ana.page.getByTestId('quality-menu').click();
      expect(await ana.page.getByRole('menuitemradio', { name: /^720p/ }).count()).toBe(0);
      await ana.page.getByRole('menuitemradio', { name: /^240p/ }).click();

      // Media Source Extensions (video.js's HLS engine) plays it, and it moves.
      const first = await waitFor(
        async () => {
          const state = await ana.page.evaluate(() => {
            const v = document.querySelector('video');
            return v ? { src: v.currentSrc, t: v.currentTime, ready: v.readyState } : null;
          });
          return state?.src.startsWith('blob:') && state.ready >= 3 ? state : false;
        },
        { timeoutMs: 30_000, what: 'the HLS stream to play' },
      );
      await waitFor(
        async () => ((await ana.page.evaluate(() => document.querySelector('video')?.currentTime ?? 0)) ?? 0) > first.t,
        { timeoutMs: 10_000, what: 'the HLS stream to advance' },
      );
      expect(plex.transcodes.active().length).toBe(1);

      // The film's external SRT comes through the proxy as WebVTT; turning it on shows its cues.
      await ana.showControls();
      await ana.page.getByTestId('subtitles-menu').click();
      await ana.page.getByRole('menuitemradio', { name: 'English (SRT External)' }).click();
      // What the viewer sees: the cue of the moment drawn over the picture ("Second N").
      const cue = await waitFor(
        async () => {
          const text = await ana.page.evaluate(
            () => document.querySelector('[data-testid="captions"]')?.textContent?.trim() ?? '',
          );
          return /^Second \d+$/.test(text) ? text : false;
        },
        { timeoutMs: 15_000, what: 'the chosen subtitles to show over the picture' },
      );
      expect(cue).toMatch(/^Second \d+$/);
      await ana.showControls();
      await ana.screenshot('plex-playing-hls');
    }, 120_000);

    it('says so when Plex is down, and recovers on retry', async () => {
      for (const connection of Object.values(plex.connections)) connection.state = 'down';
      const panel = ana.page.getByTestId('library-panel');
      // A search nobody made before: no cache can answer it.
      await panel.getByTestId('library-search').fill('timecode hour');
      const error = panel.getByTestId('error-state');
      await error.getByText('Plex is not answering').waitFor({ timeout: 30_000 });
      await ana.screenshot('plex-down');

      for (const connection of Object.values(plex.connections)) connection.state = 'up';
      // The server's circuit breaker (opened by the failures while Plex was down, the playing
      // stream's included) lets a trial request through 10 s after it opened: until then "Try
      // again" fails fast and says so again, and the viewer tries once more, as this does.
      await waitFor(
        async () => {
          if (await panel.getByTestId('library-item').count()) return true;
          const retry = error.getByRole('button', { name: 'Try again' });
          if (await retry.isVisible()) await retry.click();
          return false;
        },
        { timeoutMs: 30_000, intervalMs: 250, what: 'the library to come back after Try again' },
      );
      await panel.getByTestId('library-item').first().waitFor({ timeout: 30_000 });
    }, 90_000);
  });
}
