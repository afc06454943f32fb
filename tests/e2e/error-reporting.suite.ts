import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SentryReceiver, startSentryReceiver } from '../support/sentry-receiver.ts';
import { waitFor } from '../support/wait.ts';
import { recordCspViolations, Viewer } from './support/browser.ts';
import { ACTIVITY_DIST, type RunningServer, startServer } from './support/server.ts';

/** The global the SDK keeps its state on: in its code, and nowhere else in ours. */
const SDK_MARKER = '__SENTRY__';

/** Every request a page makes, from before it loads. */
function recordRequests(page: Page): { method: string; url: string }[] {
  const requests: { method: string; url: string }[] = [];
  page.on('request', (request) => requests.push({ method: request.method(), url: request.url() }));
  return requests;
}

/** The session token the page signs in with (it never leaves the page's memory otherwise). */
function watchSessionToken(page: Page): { token: string } {
  const seen = { token: '' };
  page.on('response', async (response) => {
    if (response.url().endsWith('/api/auth/dev') && response.ok()) {
      seen.token = ((await response.json()) as { token: string }).token;
    }
  });
  return seen;
}

/** Throws from a timer in the page: an error nobody catches, as a bug in a handler would be. */
async function throwInPage(page: Page, message: string): Promise<void> {
  const thrown = page.waitForEvent('pageerror', { predicate: (error) => error.message.includes('boom') });
  await page.evaluate((text) => {
    setTimeout(() => {
      throw new Error(text);
    }, 0);
  }, message);
  await thrown;
}

export function errorReportingSuite(getBrowser: () => Browser): void {
  describe('error reporting from the activity (Sentry, opt-in)', () => {
    const room = `errors-${randomBytes(4).toString('hex')}`;
    const secretKey = randomBytes(32).toString('base64');
    let receiver: SentryReceiver;
    let quiet: RunningServer;
    let reporting: RunningServer;

    beforeAll(async () => {
      receiver = await startSentryReceiver();
      quiet = await startServer();
      reporting = await startServer({ SENTRY_DSN: receiver.dsn, SENTRY_ENVIRONMENT: 'e2e', SECRET_KEY: secretKey });
    }, 120_000);

    afterAll(async () => {
      await quiet?.close();
      await reporting?.close();
      await receiver?.close();
    });

    it('keeps the SDK out of the initial JavaScript', () => {
      const html = readFileSync(path.join(ACTIVITY_DIST, 'index.html'), 'utf8');
      const entries = [...html.matchAll(/<script[^>]+src="\/([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries)
        expect(readFileSync(path.join(ACTIVITY_DIST, entry), 'utf8')).not.toContain(SDK_MARKER);
      const assets = readdirSync(path.join(ACTIVITY_DIST, 'assets')).filter((f) => f.endsWith('.js'));
      const lazy = assets.filter((f) =>
        readFileSync(path.join(ACTIVITY_DIST, 'assets', f), 'utf8').includes(SDK_MARKER),
      );
      expect(lazy).toHaveLength(1);
    });

    it('without SENTRY_DSN loads no SDK and sends nothing, even when the page throws', async () => {
      const viewer = await Viewer.join(getBrowser(), quiet.url, { name: 'Quiet', room });
      try {
        const requests = recordRequests(viewer.page);
        await throwInPage(viewer.page, 'boom while nobody listens');
        // A round trip after the error: anything the page was about to send has gone out by now.
        await viewer.page.evaluate(() => fetch('/api/client-config').then((r) => r.json()));
        expect(await viewer.page.evaluate(() => '__SENTRY__' in window)).toBe(false);
        const loaded = await viewer.page.evaluate(() =>
          performance.getEntriesByType('resource').map((entry) => entry.name),
        );
        expect(loaded.filter((url) => url.includes('error-reporting'))).toEqual([]);
        expect(requests.filter((r) => r.url.includes('client-errors') || r.url.includes('error-reporting'))).toEqual(
          [],
        );
        expect(receiver.envelopes).toEqual([]);
      } finally {
        await viewer.close();
      }
    });

    it('with SENTRY_DSN reports an uncaught error through the server, with no secret in it', async () => {
      const browser = getBrowser();
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const page = await context.newPage();
      const session = watchSessionToken(page);
      const requests = recordRequests(page);
      const cspViolations = recordCspViolations(page);
      try {
        await page.goto(`${reporting.url}/?room=${room}`);
        await page.getByLabel('Your name').fill('Ada');
        await page.getByRole('button', { name: 'Join the watch party' }).click();
        await page.getByTestId('room').waitFor({ timeout: 20_000 });
        await page.waitForFunction(() => '__SENTRY__' in window, undefined, { timeout: 20_000 });
        expect(session.token).not.toBe('');

        await throwInPage(page, `boom with ${session.token}`);
        await waitFor(() => receiver.events().some((e) => e.exception?.values?.[0]?.value?.startsWith('boom')), {
          timeoutMs: 15_000,
          what: "the activity's error at the receiver",
        });

        const event = receiver.events().find((e) => e.exception?.values?.[0]?.value?.startsWith('boom'));
        expect(event?.exception?.values?.[0]?.value).toBe('boom with [redacted]');
        expect(event?.environment).toBe('e2e');
        // Sent to the activity's own origin (the server's tunnel), never to Sentry directly.
        const reports = requests.filter((r) => r.method === 'POST' && r.url.includes('/api/client-errors'));
        expect(reports.length).toBeGreaterThan(0);
        expect(requests.filter((r) => !r.url.startsWith(reporting.url) && !r.url.startsWith('data:'))).toEqual([]);
        // The page's policy stays `connect-src 'self'`: nothing was refused on the way.
        expect(cspViolations).toEqual([]);

        const everything = receiver.everything();
        expect(everything).not.toContain(session.token);
        expect(everything).not.toContain(secretKey);
        expect(everything).not.toContain(reporting.app.config.botApiToken);
        expect(everything).not.toContain('errors.invalid');
      } finally {
        await context.close();
      }
    });
  });
}
