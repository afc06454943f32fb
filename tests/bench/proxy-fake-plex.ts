/**
 * Child process of `pnpm bench:proxy`: the fake Plex Media Server serving BENCH_MEDIA_DIR, in its
 * own process. Prints one JSON line `{ "url", "token" }` when listening; closes on SIGTERM.
 */
import { startFakePlex } from '../fakes/plex/index.ts';

const fake = await startFakePlex({ mediaDir: process.env.BENCH_MEDIA_DIR, requestLogSize: 10 });
process.stdout.write(`${JSON.stringify({ url: fake.url, token: fake.token })}\n`);

const stop = async () => {
  await fake.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
