import { randomBytes } from 'node:crypto';
import type { BotPlexPin, BotPlexStatus, BotSearchResponse } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { type App, buildTestApp } from '../library/support/test-app.ts';

const BOT_TOKEN = randomBytes(24).toString('base64url');
const GUILD = '100000000000000002';
const ADMIN = '300000000000000011';
const MANAGE = { 'x-acting-user-permissions': String(1 << 5) };

const bot = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${BOT_TOKEN}`,
  'x-acting-user': ADMIN,
  ...extra,
});

/** `/plex status|link|unlink` through the bot API against the fake Plex and plex.tv. */
describe('/api/bot/guilds/:guildId/plex', () => {
  let fake: FakePlex;
  let app: App;

  beforeAll(async () => {
    fake = await startFakePlex({ friendlyName: 'Basement Plex' });
    app = await buildTestApp({
      BOT_API_TOKEN: BOT_TOKEN,
      PLEX_TV_URL: fake.plexTvUrl,
      SECRET_KEY: randomBytes(32).toString('base64'),
    });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  const status = async () =>
    (await app.inject({ url: `/api/bot/guilds/${GUILD}/plex`, headers: bot() })).json<BotPlexStatus>();

  it('plays from the demo library until an admin links Plex; only Manage Server may link', async () => {
    expect(await status()).toEqual({ source: 'demo', server: null });
    const refused = await app.inject({ method: 'POST', url: `/api/bot/guilds/${GUILD}/plex/pins`, headers: bot() });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('not_allowed');
  });

  it('links through the PIN flow, then searches Plex, then unlinks', async () => {
    const created = await app.inject({
      method: 'POST',
      url: `/api/bot/guilds/${GUILD}/plex/pins`,
      headers: bot(MANAGE),
    });
    expect(created.statusCode, created.body).toBe(200);
    const pin = created.json<BotPlexPin>();
    expect(pin.linkUrl).toContain(pin.code);

    const poll = () => app.inject({ url: `/api/bot/guilds/${GUILD}/plex/pins/${pin.id}`, headers: bot(MANAGE) });
    expect((await poll()).json()).toEqual({ status: 'pending', server: null });
    fake.approvePin(pin.id);
    const linked = await poll();
    expect(linked.statusCode, linked.body).toBe(200);
    expect(linked.json()).toEqual({
      status: 'linked',
      server: { name: 'Basement Plex', machineId: expect.any(String) },
    });

    const after = await status();
    expect(after.source).toBe('guild');
    expect(after.server).toMatchObject({ name: 'Basement Plex', reachable: true });
    expect(after.server!.libraries.length).toBeGreaterThan(0);
    const search = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=a`, headers: bot() });
    expect(search.json<BotSearchResponse>().source).toEqual({ kind: 'plex', name: 'Basement Plex' });

    const unlink = await app.inject({ method: 'DELETE', url: `/api/bot/guilds/${GUILD}/plex`, headers: bot(MANAGE) });
    expect(unlink.json()).toEqual({ unlinked: true });
    expect(await status()).toEqual({ source: 'demo', server: null });
    const again = await app.inject({ method: 'DELETE', url: `/api/bot/guilds/${GUILD}/plex`, headers: bot(MANAGE) });
    expect(again.json()).toEqual({ unlinked: false });
  });
});
