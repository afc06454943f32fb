/**
 * Child process of `pnpm bench:proxy`: the real server on 127.0.0.1, in its own process so the load
 * generator does not share its event loop. BENCH_MEDIA_DIR: a demo-library directory whose clip the
 * bench reads (the demo library's local-file path); with PLEX_URL/PLEX_TOKEN set, Plex is the source.
 * Prints one JSON line `{ "url": … }` when listening; closes on SIGTERM.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../apps/server/src/app.ts';
import { loadConfig } from '../../apps/server/src/config.ts';
import { DemoSource } from '../../apps/server/src/library/demo-source.ts';

const config = loadConfig({
  DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-bench-')),
  DATABASE_URL: 'memory://',
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  PLEX_URL: process.env.PLEX_URL,
  PLEX_TOKEN: process.env.PLEX_TOKEN,
});
const app = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });

const mediaDir = process.env.BENCH_MEDIA_DIR;
if (mediaDir && !config.plex) {
  // The demo library, read from the bench's copy (its clip is a large file) instead of the repo's.
  const demo = await DemoSource.load(mediaDir);
  app.library.sourceFor = async () => demo;
  app.library.sourceForRoom = async () => demo;
}

const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ url })}\n`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
