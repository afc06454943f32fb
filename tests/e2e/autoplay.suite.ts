import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { Viewer } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';

/**
 * Browsers refuse sound (and some, even muted video) without a user gesture: Discord's mobile
 * webviews, most desktop browsers on a first visit. Headless Chromium under automation counts every
 * page as activated, so these pages get that policy from an init script: `play()` rejects with
 * NotAllowedError until the first pointer press, like the real thing.
 */
/** Installs the autoplay policy in a page before it loads. */
async function strictAutoplay(page: Page, { mutedAllowed }: { mutedAllowed: boolean }) {
  await page.addInitScript(
    ({ mutedAllowed }) => {
      let activated = false;
      document.addEventListener(
        'pointerdown',
        () => {
          activated = true;
        },
        true,
      );
      const play = HTMLMediaElement.prototype.play;
      HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
        const allowed = activated || (this.muted && mutedAllowed);
        if (!allowed) return Promise.reject(new DOMException('play() needs a user gesture', 'NotAllowedError'));
        return play.call(this);
      };
    },
    { mutedAllowed },
  );
}

export function autoplaySuite(getBrowser: () => Browser): void {
  describe('autoplay rules in real Chromium', () => {
    const room = `autoplay-${randomBytes(4).toString('hex')}`;
    let server: RunningServer;
    let browser: Browser;
    let ana: Viewer;
    let bo: Viewer;

    beforeAll(async () => {
      server = await startServer();
      browser = getBrowser();
      ana = await Viewer.join(browser, server.url, { name: 'Ana', room });
      bo = await Viewer.join(browser, server.url, { name: 'Bo', room });
      await ana.page.getByTestId('tab-library').click();
      await ana.page.getByTestId('library-item').first().locator('.card-open').click();
      await ana.page.getByTestId('play-now').click();
      await waitFor(async () => (await server.app.rooms.snapshot(`dev:${room}`))?.playback.status === 'playing', {
        timeoutMs: 30_000,
        what: 'the room to play',
      });
    }, 240_000);

    afterAll(async () => {
      await ana?.close().catch(() => undefined);
      await bo?.close().catch(() => undefined);
      await server?.close();
    });

    const videoOf = (page: Page) =>
      page.evaluate(() => {
        const v = document.querySelector('video');
        return v ? { paused: v.paused, muted: v.muted, t: v.currentTime } : null;
      });

    it('starts muted when sound needs a gesture, with a clear tap to unmute', async () => {
      // Bo opens the party in a second tab: signed in by the remembered name, no gesture on this page.
      const tab = await bo.context.newPage();
      await strictAutoplay(tab, { mutedAllowed: true });
      await tab.goto(`${server.url}/?room=${room}`);
      await tab.getByTestId('room').waitFor({ timeout: 30_000 });
      expect(await tab.getByLabel('Your name').count()).toBe(0);

      await tab.getByTestId('tap-to-unmute').waitFor({ timeout: 30_000 });
      await waitFor(
        async () => {
          const v = await videoOf(tab);
          return v && !v.paused && v.muted && v.t > 0;
        },
        { timeoutMs: 20_000, what: 'muted playback' },
      );
      await tab.screenshot({ path: 'tests/artifacts/tap-to-unmute.png' });

      await tab.getByTestId('tap-to-unmute').click();
      await tab.getByTestId('tap-to-unmute').waitFor({ state: 'detached' });
      await waitFor(
        async () => {
          const v = await videoOf(tab);
          return v && !v.paused && !v.muted;
        },
        { timeoutMs: 10_000, what: 'sound after the tap' },
      );
      await tab.close();
    }, 120_000);

    it('asks for a tap to join when even muted playback needs a gesture', async () => {
      // The demo clip is short: start it again so the room is playing.
      const before = (await server.app.rooms.snapshot(`dev:${room}`))?.playback.rev ?? 0;
      await ana.page.getByTestId('play-now').click();
      await waitFor(
        async () => {
          const playback = (await server.app.rooms.snapshot(`dev:${room}`))?.playback;
          return playback !== undefined && playback.rev > before && playback.status === 'playing';
        },
        { timeoutMs: 30_000, what: 'the room to play again' },
      );
      const tab = await bo.context.newPage();
      await strictAutoplay(tab, { mutedAllowed: false });
      await tab.goto(`${server.url}/?room=${room}`);
      await tab.getByTestId('tap-to-start').waitFor({ timeout: 30_000 });
      await tab.screenshot({ path: 'tests/artifacts/tap-to-start.png' });
      await tab.getByTestId('tap-to-start').click();
      await waitFor(
        async () => {
          const v = await videoOf(tab);
          return v && !v.paused && v.t > 0;
        },
        { timeoutMs: 20_000, what: 'playback after the tap' },
      );
      // The tap allowed sound: the player is not left muted behind a button that says "Mute".
      const v = await videoOf(tab);
      expect(v?.muted).toBe(false);
      await tab.locator('.stage').hover({ position: { x: 40, y: 40 } });
      expect(await tab.getByTestId('mute').getAttribute('aria-label')).toBe('Mute');
      await tab.close();
    }, 120_000);
  });
}
