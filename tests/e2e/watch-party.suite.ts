import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoomSnapshot } from '../../packages/shared/src/index.ts';
import { waitFor } from '../support/wait.ts';
import { roomPositionAt, Viewer } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';

/**
 * Three (then four) real Chromium pages in one standalone room on the real server with the demo
 * library. Positions are checked against the room: each video's currentTime against where the
 * server says the group is, read at the same instant (the server runs in this process: one clock).
 */

/** Generous: the machine is shared and the players start in real time; the benchmark measures precision. */
const TOLERANCE_MS = 750;
const SYNC_TIMEOUT_MS = 30_000;

export function watchPartySuite(getBrowser: () => Browser): void {
  describe('watch party in real Chromium', () => {
    const room = `e2e-${randomBytes(4).toString('hex')}`;
    const roomId = `dev:${room}`;
    let server: RunningServer;
    let browser: Browser;
    const viewers: Viewer[] = [];
    let ana: Viewer;
    let bo: Viewer;
    let cy: Viewer;

    const snapshot = async (): Promise<RoomSnapshot> => {
      const snap = await server.app.rooms.snapshot(roomId);
      if (!snap) throw new Error(`room ${roomId} is gone`);
      return snap;
    };

    /** Every viewer's video is where the room is, playing or paused like the room. */
    const inSync = async (who: Viewer[], what: string) => {
      let last = '';
      try {
        await waitFor(
          async () => {
            const snap = await snapshot();
            if (snap.playback.itemId === null) return false;
            const lines: string[] = [];
            for (const viewer of who) {
              const before = Date.now();
              const video = await viewer.video();
              const after = Date.now();
              if (!video || video.readyState < 2) {
                lines.push(`${viewer.name}: not loaded`);
                continue;
              }
              const at = (before + after) / 2;
              const expected = roomPositionAt(snap, at);
              const advancing = snap.playback.status === 'playing' && at >= snap.playback.atServerMs;
              const diff = video.currentTimeMs - expected;
              const ok = Math.abs(diff) <= TOLERANCE_MS && video.paused === !advancing;
              lines.push(
                `${viewer.name}: ${ok ? 'ok' : 'off'} at ${Math.round(video.currentTimeMs)} ms, room ${Math.round(expected)} ms (${snap.playback.status}), ${video.paused ? 'paused' : 'playing'}`,
              );
            }
            last = lines.join('; ');
            return lines.every((l) => l.includes(': ok')) ? snap : false;
          },
          { timeoutMs: SYNC_TIMEOUT_MS, intervalMs: 100, what },
        );
      } catch (error) {
        throw new Error(`${String(error)}\n  last check: ${last}`);
      }
    };

    const waitForPlayback = (what: string, check: (snap: RoomSnapshot) => boolean) =>
      waitFor(async () => check(await snapshot()), { timeoutMs: SYNC_TIMEOUT_MS, what });

    beforeAll(async () => {
      server = await startServer();
      browser = getBrowser();
    }, 240_000);

    afterAll(async () => {
      for (const viewer of viewers) await viewer.close().catch(() => undefined);
      await server?.close();
    });

    it('signs three guests into one room with an empty stage', async () => {
      // The sign-in screen, once, for the record.
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const page = await context.newPage();
      await page.goto(`${server.url}/?room=${room}`);
      await page.getByLabel('Your name').waitFor();
      await page.screenshot({ path: 'tests/artifacts/sign-in.png' });
      await context.close();

      ana = await Viewer.join(browser, server.url, { name: 'Ana', room });
      bo = await Viewer.join(browser, server.url, { name: 'Bo', room });
      cy = await Viewer.join(browser, server.url, { name: 'Cy', room });
      viewers.push(ana, bo, cy);

      await waitForPlayback('three members', (snap) => snap.members.length === 3);
      await ana.page.getByTestId('empty-stage').waitFor();
      await ana.page.getByTestId('tab-people').click();
      await expect.poll(() => ana.page.getByTestId('member').count()).toBe(3);
      await ana.screenshot('room-empty-people');
    }, 90_000);

    it('plays for everyone when one of them starts an item from the library', async () => {
      await ana.page.getByTestId('tab-library').click();
      const first = ana.page.getByTestId('library-item').first();
      await first.waitFor();
      await ana.screenshot('library');
      await first.locator('.card-open').click();
      await ana.page.getByTestId('item-detail').waitFor();
      await ana.page.getByTestId('play-now').click();

      await waitForPlayback('the room to play', (snap) => snap.playback.status === 'playing');
      await inSync([ana, bo, cy], 'all three playing in sync');
      await ana.page.getByTestId('sync-badge').waitFor();
      await ana.showControls();
      await ana.screenshot('playing');
    }, 90_000);

    it('pauses, resumes and seeks for everyone', async () => {
      const rev = (await snapshot()).playback.rev;
      await ana.showControls();
      await ana.page.getByTestId('play-pause').click();
      await waitForPlayback(
        'the room to pause',
        (snap) => snap.playback.status === 'paused' && snap.playback.rev > rev,
      );
      await inSync([ana, bo, cy], 'all three paused at the same frame');
      // The others are told who did it, and where.
      await bo.page.getByTestId('notice').filter({ hasText: 'Ana paused at' }).waitFor();
      await bo.screenshot('paused-with-notice');

      // Bo resumes with the keyboard (space), and everyone follows.
      await bo.page.locator('body').press(' ');
      await waitForPlayback('the room to play again', (snap) => snap.playback.status === 'playing');
      await inSync([ana, bo, cy], 'all three playing again');

      // Cy seeks by clicking the middle of the seek bar.
      const before = (await snapshot()).playback.rev;
      const bar = cy.page.getByTestId('seek-bar');
      await cy.showControls();
      const box = await bar.boundingBox();
      if (!box) throw new Error('no seek bar');
      await bar.click({ position: { x: box.width * 0.5, y: box.height / 2 } });
      const seeked = await waitFor(
        async () => {
          const snap = await snapshot();
          return snap.playback.rev > before ? snap : false;
        },
        { timeoutMs: SYNC_TIMEOUT_MS, what: 'the seek' },
      );
      const duration = seeked.queue[0]?.durationMs ?? 0;
      expect(Math.abs(seeked.playback.positionMs - duration / 2)).toBeLessThan(duration * 0.05);
      await inSync([ana, bo, cy], 'all three at the new position');
    }, 120_000);

    it('builds the queue together (add, search, reorder, remove) and moves everyone to the next item', async () => {
      const current = (await snapshot()).playback.itemId;
      const titles = async () => (await snapshot()).queue.map((e) => e.title);
      // Ana adds a clip from the library grid.
      await ana.page.getByTestId('tab-library').click();
      const back = ana.page.locator('.back');
      if (await back.count()) await back.click();
      const deepBlue = ana.page.getByTestId('library-item').filter({ hasText: 'Deep Blue' });
      await deepBlue.hover();
      await deepBlue.getByRole('button', { name: /^Add .* to the queue$/ }).click();
      // Bo finds another by searching, and adds it from its page.
      await bo.page.getByTestId('tab-library').click();
      await bo.page.getByTestId('library-search').fill('green');
      await bo.page.getByTestId('library-item').filter({ hasText: 'Green Room' }).locator('.card-open').click();
      await bo.page.getByTestId('add-to-queue').click();
      await waitForPlayback('the queue to grow', (snap) => snap.queue.length === 3);
      expect((await titles()).slice(1)).toEqual(['Deep Blue Timecode', 'Green Room Countdown']);

      // Ana moves Bo's pick up, then removes her own.
      await ana.page.getByTestId('tab-queue').click();
      await ana.page.getByRole('button', { name: 'Move Green Room Countdown up' }).click();
      await waitForPlayback('the reorder', (snap) => snap.queue[1]?.title === 'Green Room Countdown');
      await ana.screenshot('queue');
      await ana.page.getByRole('button', { name: 'Remove Deep Blue Timecode' }).click();
      await waitForPlayback('the removal', (snap) => snap.queue.length === 2);
      await cy.page.getByTestId('notice').filter({ hasText: 'Ana removed “Deep Blue Timecode”' }).waitFor();

      await ana.showControls();
      await ana.page.getByTestId('next').click();
      await waitForPlayback(
        'the next item to play',
        (snap) => snap.playback.itemId !== current && snap.playback.status === 'playing',
      );
      expect((await snapshot()).queue[0]?.title).toBe('Green Room Countdown');
      await inSync([ana, bo, cy], 'all three on the next item');
      await cy.page.getByTestId('notice').filter({ hasText: 'Ana skipped to' }).waitFor();
    }, 120_000);

    it('lets a late joiner catch up without pausing the others', async () => {
      // Start a fresh item so there is time left to play.
      await ana.page.getByTestId('tab-library').click();
      const first = ana.page.getByTestId('library-item').first();
      await first.locator('.card-open').click();
      await ana.page.getByTestId('play-now').click();
      await waitForPlayback(
        'the item to play',
        (snap) => snap.playback.status === 'playing' && snap.playback.positionMs === 0,
      );
      await inSync([ana, bo, cy], 'three playing');
      const rev = (await snapshot()).playback.rev;

      const dee = await Viewer.join(browser, server.url, { name: 'Dee', room });
      viewers.push(dee);
      await inSync([ana, bo, cy, dee], 'the late joiner in sync with the others');
      // Dee may still be finishing a catch-up seek (reported as buffering): wait for the report.
      await waitForPlayback('the late joiner to report ready', (snap) =>
        snap.members.some((m) => m.name === 'Dee' && m.state === 'ready'),
      );
      const after = await snapshot();
      // No playback transition happened: nobody was paused or made to wait for Dee.
      expect(after.playback.rev).toBe(rev);
      expect(after.playback.status).toBe('playing');
    }, 120_000);

    it('shows a reconnecting banner when a viewer loses the network, then restores the room', async () => {
      await bo.context.setOffline(true);
      // The socket goes silent; the app notices (no pong) and says so.
      await bo.page.getByTestId('reconnecting-banner').waitFor({ timeout: 20_000 });
      // The sync badge says the same: grey and offline, not a green "In sync".
      expect(await bo.page.getByTestId('sync-badge').getAttribute('data-phase')).toBe('offline');
      await bo.screenshot('reconnecting');

      // Meanwhile the room moves on: Ana pauses.
      await ana.showControls();
      await ana.page.getByTestId('play-pause').click();
      await waitForPlayback('the room to pause', (snap) => snap.playback.status === 'paused');

      await bo.context.setOffline(false);
      await bo.page.getByTestId('reconnecting-banner').waitFor({ state: 'detached', timeout: 30_000 });
      await bo.page.getByTestId('notice').filter({ hasText: 'Reconnected' }).waitFor();
      // Restored: Bo's player holds the frame the others hold.
      await inSync([ana, bo, cy], 'Bo back at the paused frame');
    }, 120_000);

    it('fits a phone in portrait, inside the safe areas', async () => {
      const phone = await Viewer.join(browser, server.url, {
        name: 'Eve',
        room,
        viewport: { width: 390, height: 844 },
        isMobile: true,
      });
      viewers.push(phone);
      await phone.page.addStyleTag({ content: ':root { --sait: 47px; --saib: 34px; }' });
      await phone.page.getByTestId('tab-queue').waitFor();
      const top = await phone.page.locator('.top-bar').boundingBox();
      expect(top?.y).toBeGreaterThanOrEqual(47);
      const stage = await phone.page.locator('.stage').boundingBox();
      const side = await phone.page.locator('.side').boundingBox();
      // Picture on top, panels below it, all within the width.
      expect(stage && side && side.y >= stage.y + stage.height - 1).toBe(true);
      expect(stage?.width).toBeLessThanOrEqual(390);
      await phone.screenshot('mobile-portrait');
    }, 90_000);

    it('ran with the server’s Content-Security-Policy refusing nothing', () => {
      expect(viewers.length).toBeGreaterThan(0);
      for (const viewer of viewers) expect(viewer.cspViolations, viewer.name).toEqual([]);
    });
  });
}
