import { startFakePlex } from './index.ts';

/**
 * `pnpm fake:plex`: runs the fake Plex Media Server and plex.tv for manual testing.
 * FAKE_PLEX_PORT (default 32400), FAKE_PLEX_TV_PORT (default the next port), FAKE_PLEX_TOKEN,
 * FAKE_PLEX_LATENCY_MS; PINs are approved on their own after FAKE_PLEX_PIN_APPROVE_MS (default 5000),
 * or at once through the page <plexTvUrl>/auth#?code=<code>.
 */
const port = Number(process.env.FAKE_PLEX_PORT ?? 32400);
const fake = await startFakePlex({
  port,
  plexTvPort: Number(process.env.FAKE_PLEX_TV_PORT ?? port + 1),
  token: process.env.FAKE_PLEX_TOKEN || undefined,
  latencyMs: Number(process.env.FAKE_PLEX_LATENCY_MS ?? 0),
  autoApprovePinsAfterMs: Number(process.env.FAKE_PLEX_PIN_APPROVE_MS ?? 5000),
});

console.info(`Fake Plex Media Server  ${fake.url}
  token                 ${fake.token}
  machine identifier    ${fake.machineIdentifier}
  https / remote / relay ${fake.connections.localHttps.uri}  ${fake.connections.remote.uri}  ${fake.connections.relay.uri}
Fake plex.tv            ${fake.plexTvUrl}  (account token ${fake.userToken}; PINs approve after ${process.env.FAKE_PLEX_PIN_APPROVE_MS ?? 5000} ms, or at ${fake.plexTvUrl}/auth#?code=<code>)

Point the server at it:
  PLEX_URL=${fake.url} PLEX_TOKEN=${fake.token} PLEX_TV_URL=${fake.plexTvUrl} pnpm start
Try:
  curl -H 'Accept: application/json' '${fake.url}/library/sections?X-Plex-Token=${fake.token}'
`);

const stop = async () => {
  await fake.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
