import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { autoplaySuite } from './autoplay.suite.ts';
import { discordModeSuite } from './discord-mode.suite.ts';
import { layoutsSuite } from './layouts.suite.ts';
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

  watchPartySuite(getBrowser);
  layoutsSuite(getBrowser);
  autoplaySuite(getBrowser);
  plexLinkingSuite(getBrowser);
  discordModeSuite(getBrowser);
  restartSuite(getBrowser);
  seriesNightSuite(getBrowser);
});
