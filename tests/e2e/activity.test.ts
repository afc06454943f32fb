import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { adminSuite } from './admin.suite.ts';
import { autoplaySuite } from './autoplay.suite.ts';
import { discordModeSuite } from './discord-mode.suite.ts';
import { errorReportingSuite } from './error-reporting.suite.ts';
import { layoutsSuite } from './layouts.suite.ts';
import { partyControlsSuite } from './party-controls.suite.ts';
import { plexLinkingSuite } from './plex-linking.suite.ts';
import { restartSuite } from './restart.suite.ts';
import { seriesNightSuite } from './series-night.suite.ts';
import { chromiumAvailable, launchChromium } from './support/browser.ts';
import { ensureActivityBuilt } from './support/server.ts';
import { watchPartySuite } from './watch-party.suite.ts';

/**
 * The activity end to end, in real headless Chromium against the real server (built activity, demo
 * library, the fake Plex and the fake Discord where they are needed). One browser for all suites, run one after the other:
 * the machine is shared, and browsers are the heaviest thing a test can start.
 * Without /usr/bin/chromium this is skipped with a loud notice (a failure with CI=true).
 */
const enabled = chromiumAvailable();

const SUITES = {
  'watch-party': watchPartySuite,
  layouts: layoutsSuite,
  autoplay: autoplaySuite,
  'plex-linking': plexLinkingSuite,
  'discord-mode': discordModeSuite,
  restart: restartSuite,
  admin: adminSuite,
  'error-reporting': errorReportingSuite,
  'series-night': seriesNightSuite,
  'party-controls': partyControlsSuite,
} satisfies Record<string, (getBrowser: () => Browser) => void>;

/** `E2E_SUITES=admin,layouts` runs only those suites (while working on one); unset: all of them. */
const chosen = process.env.E2E_SUITES?.split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const unknown = chosen?.filter((name) => !(name in SUITES)) ?? [];
if (unknown.length > 0)
  throw new Error(`E2E_SUITES names no suite: ${unknown.join(', ')} (${Object.keys(SUITES).join(', ')})`);

describe.skipIf(!enabled)('the activity in real Chromium', () => {
  let browser: Browser | undefined;
  const getBrowser = () => {
    if (!browser) throw new Error('the browser did not start');
    return browser;
  };

  beforeAll(async () => {
    ensureActivityBuilt();
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  for (const [name, suite] of Object.entries(SUITES)) {
    if (!chosen || chosen.includes(name)) suite(getBrowser);
  }
});
