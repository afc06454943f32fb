import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.ts';
import { Viewer } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';

/**
 * The activity at the sizes Discord gives it: focused (1280×720), picture-in-picture (480×270) and a
 * phone (390×844). Every main screen is photographed into tests/artifacts/ and checked for the facts
 * a viewer would notice: nothing runs off the side, every control is on screen, the picture fills a
 * small window, captions sit above the controls; and axe-core (injected into the real page) finds no
 * serious or critical accessibility violation.
 */
const SIZES = [
  { layout: 'focused', viewport: { width: 1280, height: 720 }, isMobile: false },
  { layout: 'compact', viewport: { width: 480, height: 270 }, isMobile: false },
  { layout: 'phone', viewport: { width: 390, height: 844 }, isMobile: true },
] as const;
type Size = (typeof SIZES)[number];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const LONG_CLIP = 'Harbour Long Take';

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
}

interface LayoutFacts {
  viewport: { width: number; height: number };
  scrollWidth: number;
  /** Visible elements that stick out sideways (not clipped by a scrolling or clipping ancestor). */
  overflowing: string[];
  /** Visible controls a viewer acts with that are not fully on screen (or in a scroll area on screen). */
  offscreen: string[];
}

/** Layout facts read from the page itself (rendered boxes, computed styles). */
function layoutFacts(page: Page): Promise<LayoutFacts> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    const height = window.innerHeight;
    const describe = (el: Element) => {
      const id = el.getAttribute('data-testid') ?? el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 30);
      return `${el.tagName.toLowerCase()}.${String(el.className).split(' ')[0]} "${id}"`;
    };
    const visible = (el: Element) => {
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      return (
        style.visibility !== 'hidden' &&
        style.display !== 'none' &&
        Number(style.opacity) > 0 &&
        rect.width > 0 &&
        rect.height > 0
      );
    };
    /** The nearest ancestor that clips or scrolls its content on this axis. */
    const clipper = (el: Element, axis: 'x' | 'y') => {
      for (let p = el.parentElement; p; p = p.parentElement) {
        const overflow = getComputedStyle(p)[axis === 'x' ? 'overflowX' : 'overflowY'];
        if (overflow !== 'visible') return p;
      }
      return null;
    };
    const overflowing: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      if (!visible(el)) continue;
      const rect = el.getBoundingClientRect();
      if (rect.left >= -1 && rect.right <= width + 1) continue;
      const clip = clipper(el, 'x');
      if (clip && clip !== document.body && clip !== document.documentElement) {
        const box = clip.getBoundingClientRect();
        if (box.left >= -1 && box.right <= width + 1) continue;
      }
      overflowing.push(describe(el));
    }
    const offscreen: string[] = [];
    const controls = document.querySelectorAll(
      'button, a[href], input, select, textarea, [role="slider"], [role="tab"], [role="menuitem"], [role="menuitemradio"]',
    );
    for (const el of Array.from(controls)) {
      if (!visible(el) || el.closest('[hidden]')) continue;
      const rect = el.getBoundingClientRect();
      const inside = (b: DOMRect) => b.left >= -1 && b.top >= -1 && b.right <= width + 1 && b.bottom <= height + 1;
      if (inside(rect)) continue;
      // In a scroll area: reachable by scrolling it, if the area itself is on screen.
      const scroller = clipper(el, 'y');
      if (
        scroller &&
        /auto|scroll/.test(getComputedStyle(scroller).overflowY) &&
        inside(scroller.getBoundingClientRect())
      ) {
        continue;
      }
      offscreen.push(describe(el));
    }
    return {
      viewport: { width, height },
      scrollWidth: document.documentElement.scrollWidth,
      overflowing: overflowing.slice(0, 10),
      offscreen: offscreen.slice(0, 10),
    };
  });
}

async function expectFits(page: Page, what: string): Promise<void> {
  const facts = await layoutFacts(page);
  expect(facts.scrollWidth, `${what}: the page scrolls sideways`).toBeLessThanOrEqual(facts.viewport.width);
  expect(facts.overflowing, `${what}: elements stick out sideways`).toEqual([]);
  expect(facts.offscreen, `${what}: controls off screen`).toEqual([]);
}

/** axe-core in the page: the serious and critical violations (rule id and the first offending node). */
async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') refuses inline
  // script tags, as it should, and does not govern what the test harness runs.
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe;
    interface AxeResults {
      violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[];
    }
    const results = await axe.run(document, { resultTypes: ['violations'] });
    return results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes[0]?.target)} and ${v.nodes.length - 1} more`);
  });
}

async function box(page: Page, testId: string): Promise<Box> {
  const b = await page.getByTestId(testId).first().boundingBox();
  if (!b) throw new Error(`${testId} has no box`);
  return { left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height, width: b.width, height: b.height };
}

export function layoutsSuite(getBrowser: () => Browser): void {
  describe('the activity at 1280×720, 480×270 and 390×844', () => {
    let server: RunningServer;
    const room = `layouts-${randomBytes(4).toString('hex')}`;
    let host: Viewer;

    const snapshot = async () => {
      const snap = await server.app.rooms.snapshot(`dev:${room}`);
      if (!snap) throw new Error('no room');
      return snap;
    };

    beforeAll(async () => {
      server = await startServer();
      host = await Viewer.join(getBrowser(), server.url, { name: 'Host', room });
    }, 120_000);

    afterAll(async () => {
      await host?.close().catch(() => undefined);
      await server?.close();
    });

    const open = (size: Size, name: string) =>
      Viewer.join(getBrowser(), server.url, { name, room, viewport: size.viewport, isMobile: size.isMobile });

    for (const size of SIZES) {
      it(`${size.layout}: the sign-in fits and can be used with a pointer`, async () => {
        const context = await getBrowser().newContext({
          viewport: size.viewport,
          isMobile: size.isMobile,
          hasTouch: size.isMobile,
        });
        try {
          const page = await context.newPage();
          await page.goto(`${server.url}/?room=${room}`);
          await page.getByLabel('Your name').fill('Pip');
          await page.screenshot({ path: `tests/artifacts/layout-${size.layout}-sign-in.png` });
          await expectFits(page, 'sign-in');
          expect(await axeViolations(page)).toEqual([]);
          await page.getByRole('button', { name: 'Join the watch party' }).click({ trial: true, timeout: 2000 });
        } finally {
          await context.close();
        }
      }, 60_000);
    }

    for (const size of SIZES) {
      it(`${size.layout}: nothing playing, then panels`, async () => {
        const viewer = await open(size, `Empty ${size.layout}`);
        try {
          const { page } = viewer;
          await page.getByTestId('empty-stage').waitFor();
          expect(await page.getByTestId('room').getAttribute('data-layout')).toBe(size.layout);
          await viewer.screenshot(`layout-${size.layout}-empty`);
          await expectFits(page, 'empty room');
          expect(await axeViolations(page)).toEqual([]);

          // The library: beside the picture, below it, or (compact) in a sheet over it.
          await page.getByRole('button', { name: 'Browse the library' }).click();
          await page.getByTestId('library-item').first().waitFor();
          await viewer.screenshot(`layout-${size.layout}-library`);
          await expectFits(page, 'library');
          expect(await axeViolations(page)).toEqual([]);
          if (size.layout === 'compact') {
            await page.getByTestId('close-sheet').click();
            await page.getByTestId('empty-stage').waitFor();
            expect(await page.locator('.side').isVisible()).toBe(false);
          }
        } finally {
          await viewer.close();
        }
      }, 90_000);
    }

    it('plays the long demo clip for the whole room', async () => {
      await host.page.getByTestId('tab-library').click();
      await host.page.getByTestId('library-item').filter({ hasText: LONG_CLIP }).locator('.card-open').click();
      await host.page.getByTestId('play-now').click();
      await waitFor(async () => (await snapshot()).playback.status === 'playing', {
        timeoutMs: 30_000,
        what: 'the room to play',
      });
      expect((await snapshot()).queue[0]?.durationMs).toBeGreaterThanOrEqual(120_000);
    }, 60_000);

    for (const size of SIZES) {
      it(`${size.layout}: playing, with captions above the controls, menus and notices that fit`, async () => {
        const viewer = await open(size, `Watcher ${size.layout}`);
        try {
          const { page } = viewer;
          await page.getByTestId('controls').waitFor();
          await page.waitForFunction(() => document.querySelector('video')?.paused === false);
          // Subtitles on (this viewer's choice), from the menu, by keyboard-free pointer use.
          const subtitlesButton =
            size.layout === 'compact' ? await openSheet(page) : page.getByTestId('subtitles-menu');
          if (size.layout !== 'compact') await viewer.showControls();
          await subtitlesButton.click();
          await page.getByRole('menuitemradio', { name: 'English' }).waitFor();
          await viewer.screenshot(`layout-${size.layout}-subtitles-menu`);
          await expectFits(page, 'subtitles menu');
          expect(await axeViolations(page)).toEqual([]);
          await page.getByRole('menuitemradio', { name: 'English' }).click();
          if (size.layout === 'compact') await page.getByTestId('close-sheet').click();

          await viewer.showControls();
          await page.getByTestId('captions').waitFor({ timeout: 15_000 });
          await viewer.screenshot(`layout-${size.layout}-playing`);
          await expectFits(page, 'playing');
          expect(await axeViolations(page)).toEqual([]);

          // Measured in one go while a cue shows (a cue ends after a few seconds; the next one follows).
          const { stage, controls, captions, captionPx } = await waitFor(
            () =>
              page.evaluate(() => {
                const rect = (testId: string) => {
                  const found = document.querySelector(`[data-testid="${testId}"]`)?.getBoundingClientRect();
                  return (
                    found && {
                      left: found.left,
                      top: found.top,
                      right: found.right,
                      bottom: found.bottom,
                      width: found.width,
                      height: found.height,
                    }
                  );
                };
                const line = document.querySelector('.caption-line');
                const [stage, controls, captions] = [rect('room-video'), rect('controls'), rect('captions')];
                if (!stage || !controls || !captions || !line) return undefined;
                return { stage, controls, captions, captionPx: Number.parseFloat(getComputedStyle(line).fontSize) };
              }),
            { timeoutMs: 15_000, what: 'a caption on screen with the controls' },
          );
          expect(captions.bottom, 'captions above the controls').toBeLessThanOrEqual(controls.top + 1);
          expect(captionPx).toBeGreaterThanOrEqual(14);
          if (size.layout === 'compact') {
            const area = (stage.width * stage.height) / (size.viewport.width * size.viewport.height);
            expect(area, 'the picture fills the compact window').toBeGreaterThanOrEqual(0.6);
          }

          // Someone else pauses and resumes: one notice, off the picture (compact: a small line).
          await host.page.evaluate(() => window.__dpp?.command({ op: 'pause' }));
          const notice = page.getByTestId('notice').filter({ hasText: 'Host paused at' });
          await notice.waitFor();
          expect(await page.getByTestId('notice').count()).toBe(1);
          const line = await box(page, 'notice');
          if (size.layout === 'compact') {
            expect(line.height).toBeLessThanOrEqual(30);
          } else {
            const overlap = Math.max(0, Math.min(line.bottom, stage.bottom) - Math.max(line.top, stage.top));
            expect(overlap, 'the notice stays off the picture').toBe(0);
          }
          await viewer.screenshot(`layout-${size.layout}-notice`);
          await host.page.evaluate(() => window.__dpp?.command({ op: 'play' }));
          await waitFor(async () => (await snapshot()).playback.status === 'playing', {
            timeoutMs: 10_000,
            what: 'the room to play again',
          });
        } finally {
          await viewer.close();
        }
      }, 120_000);
    }

    it('fades the controls after 3 s of rest while playing; captions move down; any pointer move wakes them', async () => {
      const viewer = await open(SIZES[0], 'Rester');
      try {
        const { page } = viewer;
        await page.waitForFunction(() => document.querySelector('video')?.paused === false);
        // Subtitles were chosen by the earlier viewers in this browser's storage? Each viewer has its
        // own context: choose them here.
        await viewer.showControls();
        await page.getByTestId('subtitles-menu').click();
        await page.getByRole('menuitemradio', { name: 'English' }).click();
        await page.getByTestId('captions').waitFor({ timeout: 15_000 });
        await viewer.showControls();
        await page.waitForFunction(() => document.querySelector('.stage')?.getAttribute('data-idle') === 'true', null, {
          timeout: 10_000,
        });
        await page.waitForFunction(() => {
          const el = document.querySelector('[data-testid="controls"]');
          return el !== null && getComputedStyle(el).opacity === '0';
        });
        // The captions came down to the bottom edge with the controls gone.
        const stageBox = await box(page, 'room-video');
        const captionsBox = await box(page, 'captions');
        expect(stageBox.bottom - captionsBox.bottom).toBeLessThan(stageBox.height * 0.1);
        await page.mouse.move(300, 300);
        await page.mouse.move(320, 310);
        await page.waitForFunction(() => document.querySelector('.stage')?.getAttribute('data-idle') === 'false');
      } finally {
        await viewer.close();
      }
    }, 60_000);

    it('shows a player chunk that failed to load over the stage, with a retry that loads it', async () => {
      const context = await getBrowser().newContext({ viewport: SIZES[0].viewport });
      // The network drops the player chunk (its preload and the import itself) until the retry.
      let failing = true;
      let blocked = 0;
      await context.route(/\/assets\/player-view-[^/]+\.js$/, async (route) => {
        if (failing) {
          blocked += 1;
          await route.abort('connectionreset');
          return;
        }
        await route.continue();
      });
      try {
        const page = await context.newPage();
        await page.goto(`${server.url}/?room=${room}`);
        await page.getByLabel('Your name').fill('Flaky');
        await page.getByRole('button', { name: 'Join the watch party' }).click();
        const failed = page.getByTestId('player-failed');
        await failed.waitFor({ timeout: 20_000 });
        expect(blocked).toBeGreaterThan(0);
        // On top of everything else on the stage: the element at its button's centre is the button.
        const retry = failed.getByRole('button', { name: 'Try again' });
        const center = await retry.boundingBox();
        if (!center) throw new Error('no retry button box');
        const topmost = await page.evaluate(
          ({ x, y }) => document.elementFromPoint(x, y)?.closest('[data-testid="player-failed"]') !== null,
          { x: center.x + center.width / 2, y: center.y + center.height / 2 },
        );
        expect(topmost).toBe(true);
        await page.screenshot({ path: 'tests/artifacts/layout-focused-player-failed.png' });
        failing = false;
        await retry.click();
        await page.locator('video').waitFor({ state: 'attached', timeout: 20_000 });
        expect(await failed.count()).toBe(0);
      } finally {
        await context.close();
      }
    }, 60_000);

    it('lets a page on the other loopback name in, and tells a page on a foreign origin to use PUBLIC_URL', async () => {
      // The e2e server's PUBLIC_URL is http://127.0.0.1:<port>: localhost on that port is the same server.
      const other = await Viewer.join(getBrowser(), server.url.replace('127.0.0.1', 'localhost'), {
        name: 'Loopback',
        room,
      });
      await other.page.getByTestId('controls').waitFor();
      await other.close();

      const elsewhere = await startServer({ PUBLIC_URL: 'http://activity.example.test' });
      const context = await getBrowser().newContext({ viewport: SIZES[1].viewport });
      try {
        const page = await context.newPage();
        await page.goto(`${elsewhere.url}/?room=${room}`);
        await page.getByLabel('Your name').fill('Lost');
        await page.getByRole('button', { name: 'Join the watch party' }).click();
        const message = page.getByText('is not PUBLIC_URL (http://activity.example.test)');
        await message.waitFor({ timeout: 20_000 });
        await page.screenshot({ path: 'tests/artifacts/layout-compact-origin-refused.png' });
        await expectFits(page, 'origin refused');
      } finally {
        await context.close();
        await elsewhere.close();
      }
    }, 60_000);

    it('keeps Space for the focused control; menus and tabs follow the WAI-ARIA keys', async () => {
      const viewer = await open(SIZES[0], 'Keys');
      try {
        const { page } = viewer;
        // Back to the start of the two-minute clip: its end (the queue moving on) must not fall inside this test.
        await host.page.evaluate(() => window.__dpp?.command({ op: 'seek', positionMs: 0 }));
        await waitFor(async () => (await snapshot()).playback.positionMs === 0, { what: 'the seek to the start' });
        await page.waitForFunction(() => document.querySelector('video')?.paused === false);
        const rev = (await snapshot()).playback.rev;
        await viewer.showControls();
        const subtitles = page.getByTestId('subtitles-menu');
        await subtitles.focus();
        await page.keyboard.press(' ');
        // Space opened the menu (on its checked item) and did not toggle the room.
        await page.getByRole('menu').waitFor();
        expect(await subtitles.getAttribute('aria-expanded')).toBe('true');
        expect(await page.evaluate(() => document.activeElement?.getAttribute('role'))).toBe('menuitemradio');
        await page.keyboard.press('End');
        const last = await page.evaluate(() => document.activeElement?.textContent);
        await page.keyboard.press('Home');
        const first = await page.evaluate(() => document.activeElement?.textContent);
        expect(first).toBe('Off');
        expect(last).not.toBe(first);
        await page.keyboard.press('ArrowDown');
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('English');
        await page.keyboard.press('Escape');
        await page.getByRole('menu').waitFor({ state: 'detached' });
        expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('subtitles-menu');
        expect((await snapshot()).playback.rev).toBe(rev);

        // Tabs: the arrows move the selection and the focus, Home and End jump.
        await page.getByTestId('tab-queue').click();
        await page.keyboard.press('ArrowRight');
        expect(await page.getByTestId('tab-library').getAttribute('aria-selected')).toBe('true');
        expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('tab-library');
        await page.keyboard.press('End');
        expect(await page.getByTestId('tab-people').getAttribute('aria-selected')).toBe('true');
        await page.keyboard.press('Home');
        expect(await page.getByTestId('tab-queue').getAttribute('aria-selected')).toBe('true');
        // Space on a tab is the tab's: the room still plays.
        await page.keyboard.press(' ');
        expect((await snapshot()).playback.rev).toBe(rev);

        // With nothing focused, Space pauses the room.
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await page.keyboard.press(' ');
        await waitFor(async () => (await snapshot()).playback.status === 'paused', {
          timeoutMs: 10_000,
          what: 'Space to pause the room',
        });
        await page.waitForFunction(
          () => document.querySelector('[data-testid="play-pause"]')?.getAttribute('data-state') === 'paused',
        );
        await page.keyboard.press('k');
        await waitFor(async () => (await snapshot()).playback.status === 'playing', {
          timeoutMs: 10_000,
          what: 'k to resume the room',
        });
      } finally {
        await viewer.close();
      }
    }, 60_000);
  });
}

/** Opens the compact layout's sheet; returns its subtitles menu button. */
async function openSheet(page: Page) {
  await page.locator('.stage').hover({ position: { x: 40, y: 40 } });
  await page.getByTestId('open-sheet').first().click();
  await page.getByTestId('close-sheet').waitFor();
  return page.locator('.side').getByTestId('subtitles-menu');
}
