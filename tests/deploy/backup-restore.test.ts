/**
 * Backup and restore exactly as docs/deploy.md tells the admin: pg_dump of a database holding rooms'
 * history, a linked Plex server and guild settings, pg_restore into a fresh database, and the server
 * started on it with everything there; and the same for the embedded data directory (PGlite), by
 * archiving DATA_DIR while the server is stopped.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { watchSessions } from '../../apps/server/src/db/schema.ts';
import { type App, buildTestApp, testDatabase } from '../../apps/server/test/rooms/support/test-app.ts';
import type { BotSearchResponse } from '../../packages/shared/src/index.ts';
import { hasTool, warnSkipping } from '../support/tools.ts';
import { waitFor } from '../support/wait.ts';

const services = inject('services');
const BOT_API_TOKEN = randomBytes(24).toString('base64url');
const SECRET_KEY = randomBytes(32).toString('base64');
const GUILD = '100000000000000042';
const ROOM = `${GUILD}:200000000000000042`;
const ALICE = '300000000000000042';
const PLEX_TOKEN = 'plex-token-that-must-survive-the-restore';
const MANAGE_GUILD = String(1 << 5);

const tools = ['pg_dump', 'pg_restore', 'tar'].every((tool) => hasTool(tool));
if (!tools) {
  warnSkipping(
    'tests/deploy/backup-restore.test.ts',
    'pg_dump, pg_restore or tar is missing (Debian: apt-get install postgresql-client).',
  );
}

const bot = (extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${BOT_API_TOKEN}`,
  'x-acting-user': ALICE,
  'x-acting-user-name': 'Alice',
  ...extra,
});

/** What an admin builds up: a guild setting, a linked Plex server, and a party with its history. */
async function fill(app: App) {
  const settings = await app.inject({
    method: 'PATCH',
    url: `/api/bot/guilds/${GUILD}/settings`,
    headers: bot({ 'x-acting-user-permissions': MANAGE_GUILD }),
    payload: { control: 'hosts', djRoleId: '400000000000000042' },
  });
  expect(settings.statusCode).toBe(200);
  const search = await app.inject({ url: `/api/bot/search?guildId=${GUILD}&q=e`, headers: bot() });
  const item = search.json<BotSearchResponse>().items.find((i) => i.playable)!;
  const load = await app.inject({
    method: 'POST',
    url: `/api/bot/rooms/${encodeURIComponent(ROOM)}/commands`,
    headers: bot(),
    payload: { op: 'load', itemId: item.id },
  });
  expect(load.statusCode).toBe(200);
  await waitFor(async () => (await history(app)).some((s) => s.items.some((i) => i.itemId === item.id)), {
    what: 'the watch history written',
  });
  // Linked last: from now on the guild's library is that (unreachable) Plex server, not the demo.
  const admin = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'Admin' } })).json<{
    user: { id: string };
  }>().user;
  await app.plex.servers.save({
    guildId: GUILD,
    name: 'Living room Plex',
    baseUrl: 'http://plex.lan:32400',
    machineId: 'machine-42',
    token: PLEX_TOKEN,
    actorId: admin.id,
  });
  return item;
}

const history = (app: App) => app.database.db.select().from(watchSessions);

/** Everything fill() made, read back through the product. */
async function expectFilled(app: App, itemId: string) {
  const settings = await app.inject({ url: `/api/bot/guilds/${GUILD}/settings`, headers: bot() });
  expect(settings.json()).toEqual({ control: 'hosts', djRoleId: '400000000000000042' });
  const [server] = await app.plex.servers.list(GUILD);
  expect(server).toMatchObject({ name: 'Living room Plex', baseUrl: 'http://plex.lan:32400' });
  // The token decrypts: the restored rows and the kept SECRET_KEY belong together.
  expect(await app.plex.servers.token(server!.id)).toBe(PLEX_TOKEN);
  const sessions = (await history(app)).filter((s) => s.roomId === ROOM);
  expect(sessions).toHaveLength(1);
  expect(sessions[0]!.items.map((i) => i.itemId)).toEqual([itemId]);
}

describe.skipIf(!tools || !services.postgres)('PostgreSQL: pg_dump, pg_restore into a fresh database', () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('restores rooms’ history, linked Plex servers and guild settings, and the server starts on it', async () => {
    const source = await testDatabase(true);
    cleanup.push(() => source.drop());
    const env = { DATABASE_URL: source.url, BOT_API_TOKEN, SECRET_KEY };
    const before = await buildTestApp(env);
    const item = await fill(before);
    await before.close();

    const dump = path.join(mkdtempSync(path.join(tmpdir(), 'dpp-backup-')), 'dpp.dump');
    // docs/deploy.md: pg_dump -Fc, then pg_restore --no-owner into an empty database.
    execFileSync('pg_dump', ['-Fc', '--dbname', source.url, '--file', dump]);
    const target = await testDatabase(true);
    cleanup.push(() => target.drop());
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', target.url, dump]);

    const after = await buildTestApp({ ...env, DATABASE_URL: target.url });
    cleanup.push(() => after.close());
    expect((await after.inject('/readyz')).statusCode).toBe(200);
    await expectFilled(after, item.id);
  }, 120_000);
});

describe.skipIf(!tools)('the embedded data directory (PGlite): archive while stopped, unpack elsewhere', () => {
  it('brings back the database and the generated secrets with it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-data-'));
    // No SECRET_KEY: a dev install keeps the generated one in DATA_DIR, and the backup must carry it.
    const before = await buildTestApp({ DATA_DIR: dataDir, DATABASE_URL: undefined, BOT_API_TOKEN });
    const item = await fill(before);
    await before.close();

    const archive = path.join(mkdtempSync(path.join(tmpdir(), 'dpp-backup-')), 'dpp-data.tar.gz');
    execFileSync('tar', ['-C', dataDir, '-czf', archive, '.']);
    const restored = path.join(mkdtempSync(path.join(tmpdir(), 'dpp-restore-')), 'data');
    mkdirSync(restored);
    execFileSync('tar', ['-C', restored, '-xzf', archive]);

    const after = await buildTestApp({ DATA_DIR: restored, DATABASE_URL: undefined, BOT_API_TOKEN });
    try {
      expect(after.database.kind).toBe('pglite');
      await expectFilled(after, item.id);
    } finally {
      await after.close();
    }
    // Two on-disk PGlite start-ups with migrations: slow on a busy machine.
  }, 180_000);
});
