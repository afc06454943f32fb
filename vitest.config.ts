import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: every pure test (no PostgreSQL, PGlite, Redis, browser or child process;
 * in-process fakes on loopback at most), the inner loop: `pnpm test:unit`, seconds, no services. A
 * guard (tests/support/unit-guard.ts) fails a unit test that reaches for a service or a process.
 * `services`: everything else, with the global setup that finds PostgreSQL and Redis. `pnpm test`
 * runs both.
 */
const unit = [
  'packages/*/test/**/*.test.ts',
  'apps/activity/test/**/*.test.{ts,tsx}',
  'apps/bot/test/{loader,register,time}.test.ts',
  'apps/server/test/admin/overview.test.ts',
  'apps/server/test/auth/session-tokens.test.ts',
  'apps/server/test/bot-api/engine-voice.test.ts',
  'apps/server/test/lib/sealing.test.ts',
  'apps/server/test/library/{art-ids,demo-source,plex-series}.test.ts',
  'apps/server/test/plex/{network-location,plex-client,server-discovery,spec-conformance}.test.ts',
  'apps/server/test/rooms/{heartbeat,remote-and-reactions,room-engine,room-logic,up-next}.test.ts',
  'apps/server/test/streams/{file-pump,ranges-and-playlists,shared-flight,stream-ids,subtitles}.test.ts',
  'tests/docs/*.test.ts',
  'tests/fakes/**/*.test.ts',
];
const everything = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.{ts,tsx}', 'tests/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: unit,
          setupFiles: ['tests/support/unit-guard.ts'],
          // Pure tests share the loaded modules: most of a fresh worker's time is importing them.
          pool: 'threads',
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'services',
          include: everything,
          exclude: [...configDefaults.exclude, ...unit],
          globalSetup: ['tests/support/global-setup.ts'],
        },
      },
    ],
  },
});
