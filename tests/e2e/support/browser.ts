import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expectedPosition, type RoomSnapshot } from '../../../packages/shared/src/index.ts';
import { REPO_ROOT } from './server.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const ARTIFACTS = path.join(REPO_ROOT, 'tests/artifacts');

/**
 * Whether the browser suites can run. Without /usr/bin/chromium they are skipped with a loud
 * notice; with CI=true a missing browser fails the run instead (the CI image installs it).
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  if (ci) throw new Error(`CI=true and ${CHROMIUM_PATH} is missing: install the Debian package "chromium".`);
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n  SKIPPING the browser tests: ${CHROMIUM_PATH} is missing (apt-get install chromium).\n${bar}\n`,
  );
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

export interface VideoSample {
  currentTimeMs: number;
  paused: boolean;
  readyState: number;
  rate: number;
  muted: boolean;
  /** Page time origin + performance.now(): one clock for every page of this machine. */
  epochMs: number;
}

/** Collects the console lines in which Chromium reports a Content-Security-Policy violation. */
export function recordCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/** A browser context with one page, signed in as a guest and in the room. */
export class Viewer {
  private constructor(
    readonly name: string,
    readonly context: BrowserContext,
    readonly page: Page,
    /** What the Content-Security-Policy refused on this page (Chromium reports each on the console). */
    readonly cspViolations: string[],
  ) {}

  static async join(
    browser: Browser,
    baseUrl: string,
    options: { name: string; room: string; viewport?: { width: number; height: number }; isMobile?: boolean },
  ): Promise<Viewer> {
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1280, height: 720 },
      isMobile: options.isMobile,
      hasTouch: options.isMobile,
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.warn(`[${options.name}] page error: ${error.message}`));
    const cspViolations = recordCspViolations(page);
    await page.goto(`${baseUrl}/?room=${encodeURIComponent(options.room)}`);
    await page.getByLabel('Your name').fill(options.name);
    await page.getByRole('button', { name: 'Join the watch party' }).click();
    await page.getByTestId('room').waitFor({ timeout: 20_000 });
    return new Viewer(options.name, context, page, cspViolations);
  }

  /** Moves the pointer over the picture: the controls fade in (they hide while the pointer rests). */
  async showControls(): Promise<void> {
    await this.page.locator('.stage').hover({ position: { x: 40, y: 40 } });
    await this.page.getByTestId('controls').waitFor();
    await this.page.waitForFunction(() => document.querySelector('.stage')?.getAttribute('data-idle') === 'false');
  }

  video(): Promise<VideoSample | null> {
    return this.page.evaluate(() => {
      const video = document.querySelector('video');
      if (!video) return null;
      return {
        currentTimeMs: video.currentTime * 1000,
        paused: video.paused,
        readyState: video.readyState,
        rate: video.playbackRate,
        muted: video.muted,
        epochMs: performance.timeOrigin + performance.now(),
      };
    });
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

/** Where the room is at server time `atMs` (the server runs in this process: one clock). */
export function roomPositionAt(snapshot: RoomSnapshot, atMs: number): number {
  const entry = snapshot.playback.itemId === null ? undefined : snapshot.queue[0];
  return expectedPosition(snapshot.playback, atMs, entry?.durationMs ?? undefined);
}

/** The activity's debug hooks (apps/activity/src/lib/debug.ts), as far as the tests and benchmarks use them. */
declare global {
  interface Window {
    __dpp?: {
      roomId(): string | null;
      connectionStatus(): string;
      serverNow(): number;
      expectedPositionMs(): number | null;
      syncPhase(): string;
      correctiveSeeks(): number;
      command(intent: unknown): Promise<void>;
      dropConnection(): void;
    };
  }
}
