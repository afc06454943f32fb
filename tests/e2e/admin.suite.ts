import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotSearchResponse } from '../../packages/shared/src/index.ts';
import { startFakeDiscord } from '../fakes/discord/index.ts';
import { seedGuild } from '../fakes/discord/state.ts';
import { waitFor } from '../support/wait.ts';
import { ARTIFACTS, recordCspViolations } from './support/browser.ts';
import { ACTIVITY_DIST, type RunningServer, startServer } from './support/server.ts';

type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>;

const ADMIN_TOKEN = randomBytes(32).toString('base64url');
const BOT_TOKEN = randomBytes(24).toString('base64url');
/** Series colours: the bandwidth line (the accent, #e5a00d) and the members line (#6c8cff, drawn over rooms). */
const ACCENT_RGB = [229, 160, 13] as const;
const MEMBERS_RGB = [108, 140, 255] as const;
const SHOTS = '/tmp/i14d-shots';

/** Files of the built activity that a page loads before anything else: its entry and every static import, transitively. */
function initialScripts(html: string): string[] {
  const entries = [
    ...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="([^"]+\.js)"/g),
  ].map((m) => path.join(ACTIVITY_DIST, m[1] ?? ''));
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    // Static imports only (`import{a}from"./x.js"`, `import"./x.js"`); `import("./x.js")` is lazy.
    for (const m of code.matchAll(/(?:^|[;\s}])import\s*(?:[\w$*{}\s,]+from\s*)?["']([^"']+\.js)["']/g)) {
      queue.push(path.resolve(path.dirname(file), m[1] ?? ''));
    }
  }
  return [...seen];
}

/** Pixels of one colour (allowing for anti-aliasing) on the chart's canvas. */
function paintedPixels(page: Page, testId: string, rgb: readonly [number, number, number]): Promise<number> {
  return page.evaluate(
    ({ testId, rgb }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="${testId}"] canvas`);
      const context = canvas?.getContext('2d');
      if (!canvas || !context || canvas.width === 0) return 0;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      const [r = 0, g = 0, b = 0] = rgb;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) {
        const near =
          Math.abs((data[i] ?? 0) - r) < 24 &&
          Math.abs((data[i + 1] ?? 0) - g) < 24 &&
          Math.abs((data[i + 2] ?? 0) - b) < 24;
        if (near && (data[i + 3] ?? 0) > 200) count += 1;
      }
      return count;
    },
    { testId, rgb: [...rgb] },
  );
}

/**
 * The admin dashboard at /admin, in Chromium, against the real server in Discord mode (the fake
 * Discord, two guilds): the operator signs in with ADMIN_TOKEN once (kept in sessionStorage only),
 * sees the charts draw and a new room arrive within 5 s; a guild admin never sees another guild's
 * room. The page passes the server's CSP, and none of it is in the activity's initial JS.
 */
export function adminSuite(getBrowser: () => Browser): void {
  describe('the admin dashboard (/admin)', () => {
    let discord: FakeDiscord;
    let server: RunningServer;
    let other: ReturnType<typeof seedGuild>;
    const contexts: BrowserContext[] = [];
    let channel = 0;

    beforeAll(async () => {
      discord = await startFakeDiscord({ applicationId: '1234567890123456780' });
      other = seedGuild(discord.state, 'Other Club');
      discord.grantRole(discord.guild.users.alice, discord.guild.roles.admin);
      server = await startServer({
        DISCORD_CLIENT_ID: discord.applicationId,
        DISCORD_CLIENT_SECRET: discord.clientSecret,
        DISCORD_BOT_TOKEN: discord.botToken,
        DISCORD_API_URL: discord.apiUrl,
        BOT_API_TOKEN: BOT_TOKEN,
        ADMIN_TOKEN,
      });
      mkdirSync(SHOTS, { recursive: true });
      mkdirSync(ARTIFACTS, { recursive: true });
    }, 60_000);
    afterAll(async () => {
      for (const context of contexts) await context.close();
      await server?.close();
      await discord?.close();
    });

    /** A room in a fresh channel of the guild, started the way the bot's /play starts one. */
    async function startRoom(guildId: string): Promise<string> {
      channel += 1;
      const roomId = `${guildId}:40000000000000${String(channel).padStart(4, '0')}`;
      const headers = { authorization: `Bearer ${BOT_TOKEN}`, 'x-acting-user': '300000000000000011' };
      const search = await fetch(`${server.url}/api/bot/search?guildId=${guildId}&q=e`, { headers });
      const item = ((await search.json()) as BotSearchResponse).items.find((i) => i.playable);
      const played = await fetch(`${server.url}/api/bot/rooms/${roomId}/play`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ itemId: item?.id }),
      });
      expect(played.status).toBe(200);
      return roomId;
    }

    async function openDashboard(token: string, viewport = { width: 1280, height: 720 }) {
      const context = await getBrowser().newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      const csp = recordCspViolations(page);
      const urls: string[] = [];
      const answers: string[] = [];
      page.on('request', (request) => urls.push(request.url()));
      page.on('response', (response) => {
        if (response.url().endsWith('/api/admin/overview')) void response.text().then((text) => answers.push(text));
      });
      await page.goto(`${server.url}/admin`);
      await page.getByLabel('Token').waitFor();
      await page.screenshot({ path: path.join(SHOTS, `admin-sign-in-${viewport.width}x${viewport.height}.png`) });
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Open' }).click();
      await page.getByTestId('scope').waitFor({ timeout: 10_000 });
      return { page, csp, urls, answers };
    }

    it('asks the operator for the token once, draws the charts, and shows a new room within 5 s', async () => {
      const { page, csp, urls } = await openDashboard(ADMIN_TOKEN);
      expect(await page.getByTestId('scope').textContent()).toContain('Operator');

      const roomId = await startRoom(discord.guild.id);
      await page.locator(`[data-room-id="${roomId}"]`).waitFor({ timeout: 5000 });

      // The charts draw their lines: pixels of the series' colours on the canvases.
      await waitFor(async () => (await paintedPixels(page, 'chart-rooms', MEMBERS_RGB)) > 20, {
        timeoutMs: 10_000,
        what: 'the members line on the rooms chart',
      });
      expect(await paintedPixels(page, 'chart-bandwidth', ACCENT_RGB)).toBeGreaterThan(20);
      for (const id of ['cache', 'errors']) {
        expect(await page.locator(`[data-testid="chart-${id}"] canvas`).count()).toBe(1);
      }
      expect(await page.getByTestId('instance-row').count()).toBe(1);

      // The token lives in this tab's sessionStorage, and never in a URL.
      expect(await page.evaluate(() => sessionStorage.getItem('dpp.admin.token'))).toBe(ADMIN_TOKEN);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect(urls.filter((u) => u.includes(ADMIN_TOKEN))).toEqual([]);
      // A reload does not ask again.
      await page.reload();
      await page.locator('[data-testid="chart-rooms"] canvas').waitFor({ timeout: 10_000 });

      await page.screenshot({ path: path.join(SHOTS, 'admin-1280x720.png'), fullPage: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'admin-1280x720.png') });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.locator(`[data-room-id="${roomId}"]`).waitFor();
      // The charts follow the narrower page (uPlot is resized by a ResizeObserver).
      await waitFor(
        () =>
          page.evaluate(() => {
            const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="chart-rooms"] canvas');
            return canvas !== null && canvas.getBoundingClientRect().right <= window.innerWidth;
          }),
        { what: 'the charts to fit the phone' },
      );
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(SHOTS, 'admin-390x844.png'), fullPage: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'admin-390x844.png') });
      await page.setViewportSize({ width: 480, height: 270 });
      await page.screenshot({ path: path.join(SHOTS, 'admin-480x270.png') });
      expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(
        0,
      );
      expect(csp).toEqual([]);
    });

    it("never shows a guild admin another guild's room", async () => {
      const signIn = await fetch(`${server.url}/api/auth/discord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: discord.authorize(discord.guild.users.alice) }),
      });
      const { token } = (await signIn.json()) as { token: string };
      const theirs = await startRoom(other.id);
      const { page, csp, answers } = await openDashboard(token);
      expect(await page.getByTestId('scope').textContent()).toContain('Your servers: 1');

      // Rooms started after the page loaded: theirs first, then one of alice's guild. Once alice's
      // shows, the page has read the overview after both existed.
      const theirsLater = await startRoom(other.id);
      const mine = await startRoom(discord.guild.id);
      await page.locator(`[data-room-id="${mine}"]`).waitFor({ timeout: 5000 });

      expect(await page.locator(`[data-room-id^="${other.id}:"]`).count()).toBe(0);
      expect(answers.length).toBeGreaterThan(0);
      for (const answer of answers) {
        expect(answer).not.toContain(other.id);
        expect(answer).not.toContain(theirs);
        expect(answer).not.toContain(theirsLater);
      }
      // Nor the instance list, which is the operator's.
      expect(await page.getByTestId('instance-row').count()).toBe(0);
      expect(csp).toEqual([]);
    });

    it('says so when a token is wrong, and when its user manages no guild', async () => {
      const context = await getBrowser().newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${server.url}/admin`);
      await page.getByLabel('Token').fill(randomBytes(32).toString('base64url'));
      await page.getByRole('button', { name: 'Open' }).click();
      await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor({ timeout: 5000 });
      await page.screenshot({ path: path.join(SHOTS, 'admin-wrong-token-390x844.png') });

      const signIn = await fetch(`${server.url}/api/auth/discord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: discord.authorize(discord.guild.users.bob) }),
      });
      const { token } = (await signIn.json()) as { token: string };
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Open' }).click();
      await page.getByTestId('forbidden').waitFor({ timeout: 5000 });
      expect(await page.getByTestId('forbidden').textContent()).toContain('Manage Server');
      await page.screenshot({ path: path.join(SHOTS, 'admin-forbidden-390x844.png') });
      // "Use another token" forgets it and asks again.
      await page.getByRole('button', { name: 'Use another token' }).click();
      await page.getByLabel('Token').waitFor();
      expect(await page.evaluate(() => sessionStorage.getItem('dpp.admin.token'))).toBeNull();
    });

    it("keeps the chart library and the admin page out of the activity's initial JS", () => {
      const activity = initialScripts(readFileSync(path.join(ACTIVITY_DIST, 'index.html'), 'utf8'));
      const admin = initialScripts(readFileSync(path.join(ACTIVITY_DIST, 'admin.html'), 'utf8'));
      expect(activity.length).toBeGreaterThan(0);
      const uplot = /\buplot\b|u-legend/i;
      const adminPage = 'data-admin-dashboard';
      for (const file of activity) {
        const code = readFileSync(file, 'utf8');
        expect(uplot.test(code), `${path.basename(file)} holds uPlot`).toBe(false);
        expect(code.includes(adminPage), `${path.basename(file)} holds the admin page`).toBe(false);
      }
      // The checks can fail: the admin page's own entry holds it, and uPlot is in a lazy chunk beside.
      expect(admin.some((file) => readFileSync(file, 'utf8').includes(adminPage))).toBe(true);
      expect(admin.some((file) => uplot.test(readFileSync(file, 'utf8')))).toBe(false);
      const assets = readdirSync(path.join(ACTIVITY_DIST, 'assets')).filter((name) => name.endsWith('.js'));
      expect(assets.some((name) => uplot.test(readFileSync(path.join(ACTIVITY_DIST, 'assets', name), 'utf8')))).toBe(
        true,
      );
    });
  });
}
