import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../../apps/server/src/db/schema.ts';
import type { RoomSnapshot } from '../../packages/shared/src/index.ts';
import { waitFor } from '../support/wait.ts';
import { roomPositionAt, Viewer } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';

/**
 * Series night in real Chromium: three pages in one standalone room (and two more at the small sizes
 * for the pictures). The speed is changed room-wide and the players are measured against the room at
 * 1.5×; a reaction floats on all three pages at the instant the server gave it; the remote is asked
 * for, accepted, passed, and a member removed.
 */
const TOLERANCE_MS = 750;
const SYNC_TIMEOUT_MS = 30_000;
/** A reaction shows at its server instant on every page; the pages' clocks are synced by ping/pong. */
const SAME_MOMENT_MS = 250;
const LONG_CLIP = 'Harbour Long Take';

export function partyControlsSuite(getBrowser: () => Browser): void {
  describe('speed, reactions and the remote in real Chromium', () => {
    const room = `night-${randomBytes(4).toString('hex')}`;
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
    const waitForRoom = (what: string, check: (snap: RoomSnapshot) => boolean) =>
      waitFor(
        async () => {
          const snap = await snapshot();
          return check(snap) ? snap : false;
        },
        { timeoutMs: SYNC_TIMEOUT_MS, what },
      );

    /** Each video's position against where the room is at the same instant (one clock: the server is in this process). */
    const drifts = async (who: Viewer[]) => {
      const snap = await snapshot();
      const out: { name: string; driftMs: number; rate: number; paused: boolean }[] = [];
      for (const viewer of who) {
        const before = Date.now();
        const video = await viewer.video();
        const after = Date.now();
        if (!video || video.readyState < 2) return null;
        const expected = roomPositionAt(snap, (before + after) / 2);
        out.push({
          name: viewer.name,
          driftMs: video.currentTimeMs - expected,
          rate: video.rate,
          paused: video.paused,
        });
      }
      return out;
    };
    const inSync = (who: Viewer[], what: string) =>
      waitFor(
        async () => {
          const sample = await drifts(who);
          return sample?.every((s) => Math.abs(s.driftMs) <= TOLERANCE_MS && !s.paused) ? sample : false;
        },
        { timeoutMs: SYNC_TIMEOUT_MS, intervalMs: 100, what },
      );

    beforeAll(async () => {
      server = await startServer();
      browser = getBrowser();
      ana = await Viewer.join(browser, server.url, { name: 'Ana', room });
      bo = await Viewer.join(browser, server.url, { name: 'Bo', room });
      cy = await Viewer.join(browser, server.url, { name: 'Cy', room });
      viewers.push(ana, bo, cy);
      await waitForRoom('three members', (snap) => snap.members.length === 3);
      await ana.page.getByTestId('tab-library').click();
      await ana.page.getByTestId('library-search').fill('harbour');
      await ana.page.getByTestId('library-item').filter({ hasText: LONG_CLIP }).locator('.card-open').click();
      await ana.page.getByTestId('play-now').click();
      await waitForRoom('the long take to play', (snap) => snap.playback.status === 'playing');
      await inSync([ana, bo, cy], 'three playing at 1×');
    }, 240_000);

    afterAll(async () => {
      for (const viewer of viewers) await viewer.close().catch(() => undefined);
      await server?.close();
    });

    it('changes the speed for everyone from the player’s menu, and the three players hold sync at 1.5×', async () => {
      await ana.showControls();
      await ana.page.getByTestId('speed-menu').click();
      await ana.screenshot('series-speed-menu-focused');
      await ana.page.getByRole('menuitemradio', { name: '1.5×' }).click();
      const fast = await waitForRoom('the room at 1.5×', (snap) => snap.playback.rate === 1.5);
      expect(fast.playback.status).toBe('playing');

      // Everyone plays at the room's speed (± the sync nudge), within the tolerance of where the room is.
      const settled = await inSync([ana, bo, cy], 'three in sync at 1.5×');
      for (const s of settled) expect(Math.abs(s.rate - 1.5)).toBeLessThanOrEqual(1.5 * 0.1 + 1e-9);
      // And they stay there: ten samples over the next seconds, each of the three within the tolerance.
      const samples: number[] = [];
      await waitFor(
        async () => {
          const sample = await drifts([ana, bo, cy]);
          if (sample) samples.push(...sample.map((s) => Math.abs(s.driftMs)));
          return samples.length >= 30;
        },
        { timeoutMs: SYNC_TIMEOUT_MS, intervalMs: 300, what: '30 drift samples at 1.5×' },
      );
      expect(Math.max(...samples)).toBeLessThanOrEqual(TOLERANCE_MS);

      // The speed shows in everyone's sync badge and is named in a notice for the others.
      await expect.poll(() => bo.page.getByTestId('sync-rate').textContent()).toBe('1.5×');
      await cy.page.getByTestId('notice').filter({ hasText: 'Ana set the speed to 1.5×' }).waitFor();
      await bo.screenshot('series-speed-badge-focused');
    }, 120_000);

    it('floats a reaction on all three pages at the same server instant and marks the seek bar', async () => {
      await bo.showControls();
      await bo.page.getByTestId('reaction-menu').click();
      await bo.page.getByRole('menuitem', { name: 'React 🔥' }).click();
      const reacted = await waitForRoom('the reaction', (snap) => (snap.reactions?.length ?? 0) === 1);
      const mark = reacted.reactions![0]!;
      expect(mark).toMatchObject({ emoji: '🔥', itemId: reacted.playback.itemId });

      const shownAt: number[] = [];
      for (const viewer of [ana, bo, cy]) {
        const float = viewer.page.locator('[data-testid="reaction-float"][data-emoji="🔥"]');
        await float.first().waitFor();
        if (viewer === ana) await ana.screenshot('series-reaction-focused');
        shownAt.push(Number(await float.first().getAttribute('data-shown-at')));
      }
      for (const at of shownAt) expect(Math.abs(at - mark.at)).toBeLessThanOrEqual(SAME_MOMENT_MS);
      for (const viewer of [ana, bo, cy]) {
        await viewer.showControls();
        expect(await viewer.page.getByTestId('reaction-mark').count()).toBe(1);
      }
    }, 90_000);

    it('refuses reactions when a host turns them off', async () => {
      await ana.page.getByTestId('settings-menu').click();
      await ana.page.getByRole('menuitemradio', { name: 'Emoji reactions' }).click();
      await waitForRoom('reactions off', (snap) => snap.settings.reactions === false);
      await bo.showControls();
      await expect.poll(() => bo.page.getByTestId('reaction-menu').count()).toBe(0);
      await ana.page.keyboard.press('Escape');
      await ana.page.getByTestId('settings-menu').click();
      await ana.page.getByRole('menuitemradio', { name: 'Emoji reactions' }).click();
      await waitForRoom('reactions on again', (snap) => snap.settings.reactions !== false);
      await ana.page.keyboard.press('Escape');
    }, 60_000);

    it('photographs the speed menu, a reaction and the remote at 480×270 and 390×844', async () => {
      for (const [name, viewport, isMobile] of [
        ['Dee', { width: 480, height: 270 }, false],
        ['Eve', { width: 390, height: 844 }, true],
      ] as const) {
        const viewer = await Viewer.join(browser, server.url, { name, room, viewport, isMobile });
        viewers.push(viewer);
        const size = viewport.width === 480 ? 'compact' : 'phone';
        await viewer.page.locator('video').waitFor({ state: 'attached' });
        await viewer.showControls();
        await viewer.page.getByTestId('reaction-menu').click();
        await viewer.page.getByRole('menuitem', { name: 'React 😂' }).click();
        await viewer.page.locator('[data-testid="reaction-float"][data-emoji="😂"]').first().waitFor();
        await viewer.screenshot(`series-reaction-${size}`);
        await viewer.page.keyboard.press('Escape');
        if (size === 'compact') await viewer.page.getByTestId('open-sheet').first().click();
        else await viewer.showControls();
        await viewer.page.getByTestId('speed-menu').click();
        await viewer.screenshot(`series-speed-menu-${size}`);
        await viewer.page.keyboard.press('Escape');
        await viewer.page.getByTestId('tab-people').click();
        await viewer.screenshot(`series-remote-${size}`);
        if (size === 'compact') await viewer.page.getByTestId('close-sheet').click();
      }
    }, 120_000);

    it('passes the remote in hosts mode: ask, accept, pass, and remove a member for the room’s life', async () => {
      await ana.page.getByTestId('settings-menu').click();
      await ana.page.getByRole('menuitemradio', { name: 'Hosts only' }).click();
      await ana.page.keyboard.press('Escape');
      await waitForRoom('hosts mode', (snap) => snap.settings.control === 'hosts');

      await bo.page.getByTestId('tab-people').click();
      await bo.page.getByTestId('ask-control').click();
      await waitForRoom('Bo asking', (snap) => snap.members.some((m) => m.name === 'Bo' && m.asking));
      await ana.page.getByTestId('tab-people').click();
      const boRow = ana.page.getByTestId('member').filter({ hasText: 'Bo' });
      await boRow.getByTestId('accept-request').waitFor();
      await ana.screenshot('series-remote-focused');
      // The host's remote controls at the small sizes too (the same page, resized).
      await ana.page.setViewportSize({ width: 480, height: 270 });
      await ana.showControls();
      await ana.page.getByTestId('open-sheet').first().click();
      await ana.page.getByTestId('tab-people').click();
      await ana.page.getByTestId('member').filter({ hasText: 'Bo' }).scrollIntoViewIfNeeded();
      await ana.screenshot('series-remote-host-compact');
      await ana.page.getByTestId('close-sheet').click();
      await ana.page.setViewportSize({ width: 390, height: 844 });
      await ana.page.getByTestId('tab-people').click();
      await ana.screenshot('series-remote-host-phone');
      await ana.page.setViewportSize({ width: 1280, height: 720 });
      await ana.page.getByTestId('tab-people').click();
      await boRow.getByTestId('accept-request').click();
      await waitForRoom('Bo a host', (snap) => snap.members.some((m) => m.name === 'Bo' && m.role === 'host'));
      await bo.page.getByTestId('notice').filter({ hasText: 'Ana let you control playback' }).waitFor();

      // Ana passes the remote to Cy: Cy alone is host, Ana and Bo are members.
      await ana.page.getByTestId('member').filter({ hasText: 'Cy' }).getByTestId('pass-remote').click();
      const passed = await waitForRoom('the remote with Cy', (snap) =>
        snap.members.every((m) => (m.name === 'Cy') === (m.role === 'host')),
      );
      expect(passed.members.filter((m) => m.role === 'host').map((m) => m.name)).toEqual(['Cy']);
      await ana.showControls();
      expect(await ana.page.getByTestId('play-pause').isDisabled()).toBe(true);

      // Cy removes Bo: Bo's room closes with a message, and Bo is not in the room any more.
      await cy.page.getByTestId('tab-people').click();
      const remove = cy.page.getByTestId('member').filter({ hasText: 'Bo' }).getByTestId('remove-member');
      await remove.click();
      await remove.click();
      await waitForRoom('Bo removed', (snap) => !snap.members.some((m) => m.name === 'Bo'));
      await bo.page.getByTestId('failed-banner').filter({ hasText: 'removed' }).waitFor();
      const actions = await waitFor(
        async () => {
          const rows = await server.app.database.db
            .select({ action: auditLog.action, details: auditLog.details })
            .from(auditLog);
          const ours = rows.filter((r) => r.details.roomId === roomId).map((r) => r.action);
          return ours.includes('room.member.remove') ? ours : false;
        },
        { what: 'the audit rows' },
      );
      expect(actions).toEqual(
        expect.arrayContaining([
          'room.control.request',
          'room.control.answer',
          'room.remote.pass',
          'room.member.remove',
        ]),
      );

      // The room is ended (the bot's /stop): the others are told the party was ended, not that it failed.
      expect(await server.app.rooms.end(roomId)).toEqual({ ok: true, ended: true });
      for (const viewer of [ana, cy]) await viewer.page.getByTestId('ended-banner').waitFor();
      expect(await ana.page.getByTestId('failed-banner').count()).toBe(0);
      expect(await ana.page.evaluate(() => window.__dpp?.connectionStatus())).toBe('ended');
      await ana.screenshot('party-ended-wide');
      for (const [size, width, height] of [
        ['compact', 480, 270],
        ['phone', 390, 844],
      ] as const) {
        await ana.page.setViewportSize({ width, height });
        expect(await ana.page.getByTestId('ended-banner').isVisible()).toBe(true);
        await ana.screenshot(`party-ended-${size}`);
      }
    }, 120_000);
  });
}
