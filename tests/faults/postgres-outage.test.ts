import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../fakes/plex/index.ts';
import { devSignIn, PartyClient } from '../support/party-client.ts';
import { ServerProcess } from '../support/server-process.ts';
import { TEST_DATABASE_URL } from '../support/services.ts';
import { type ProxyMode, TcpProxy } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

/**
 * PostgreSQL trouble never stops a party: a real server process reaches its own database through a
 * TCP proxy this test owns, which refuses or blackholes it (the machine's PostgreSQL is never
 * touched). Times are printed for the report; the assertions are about behaviour, with generous
 * limits (an answer, never a hang), because the machine is shared.
 */
const services = inject('services');
const ROOM = 'dev:outage';

describe.skipIf(!services.postgres)('a party while PostgreSQL is refused or blackholed (real process)', () => {
  const dbName = `dpp_outage_${randomUUID().replaceAll('-', '')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-outage-'));
  let admin: pg.Client;
  let proxy: TcpProxy;
  let plex: FakePlex;
  let server: ServerProcess;
  let ana: PartyClient;
  let anaAuth: { authorization: string };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    const target = new URL(TEST_DATABASE_URL);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(TEST_DATABASE_URL);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    viaProxy.pathname = `/${dbName}`;
    plex = await startFakePlex();
    server = await ServerProcess.start({
      DATA_DIR: dataDir,
      DATABASE_URL: viaProxy.toString(),
      PLEX_URL: plex.url,
      PLEX_TOKEN: plex.token,
    });
    const { token } = await devSignIn(server.url, 'Ana');
    anaAuth = { authorization: `Bearer ${token}` };
    ana = new PartyClient(server.wsUrl, ROOM, token);
    await waitFor(() => ana.open, { timeoutMs: 20_000, what: 'Ana in the room' });
    // Browsed once while the database answers: the linked-server lookup is remembered.
    expect((await fetch(`${server.url}/api/library/items/101`, { headers: anaAuth })).status).toBe(200);
    await ana.connection.command({ op: 'load', itemId: '101' });
  }, 180_000);

  afterAll(async () => {
    ana?.stop();
    await server?.dispose();
    await plex?.close();
    await proxy?.close();
    await admin?.query(`drop database if exists ${dbName} with (force)`);
    await admin?.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A request that must answer (never hang): its status, body and how long it took. */
  async function timed(url: string, init: RequestInit = {}) {
    const started = performance.now();
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, body, ms: Math.round(performance.now() - started) };
  }

  for (const mode of ['refuse', 'blackhole'] as ProxyMode[]) {
    it(`keeps the party going with the database ${mode === 'refuse' ? 'refused' : 'blackholed'}`, async () => {
      proxy.setMode(mode);
      const figures: Record<string, number> = {};

      const ready = await timed(`${server.url}/readyz`);
      figures.readyz = ready.ms;
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'not_ready', database: { status: 'down' }, cache: { status: 'ok' } });

      // Commands: the room lives in the room store, not in the database.
      let started = performance.now();
      await ana.connection.command({ op: 'queue.add', itemId: '102' });
      await ana.connection.command({ op: 'pause' });
      // Where the room left the item (a paused seek writes it): queued until the database is back.
      const leftAt = mode === 'refuse' ? 10_000 : 12_000;
      await ana.connection.command({ op: 'seek', positionMs: leftAt });
      figures.commands = Math.round(performance.now() - started);
      expect(ana.snapshot?.queue.map((e) => e.itemId)).toContain('102');

      // Library: an item seen before and one never seen, through the remembered server lookup.
      const seen = await timed(`${server.url}/api/library/items/101`, { headers: anaAuth });
      const unseen = await timed(`${server.url}/api/library/items/103`, { headers: anaAuth });
      figures.library = Math.max(seen.ms, unseen.ms);
      expect([seen.status, unseen.status]).toEqual([200, 200]);

      // A new stream offer, and a new guest signing in.
      const offer = await timed(`${server.url}/api/rooms/${ROOM}/stream?quality=original`, { headers: anaAuth });
      figures.offer = offer.ms;
      expect(offer.status).toBe(200);
      started = performance.now();
      const bo = await devSignIn(server.url, `Bo ${mode}`);
      figures.signIn = Math.round(performance.now() - started);
      expect(bo.token).toBeTruthy();

      // What truly needs the database says so: 503 with a typed error, never a 500 or a hang.
      const servers = await timed(`${server.url}/api/plex/servers`, { headers: anaAuth });
      figures.needsDatabase = servers.ms;
      expect(servers.status).toBe(503);
      expect(servers.body).toEqual({
        error: { code: 'database_unavailable', message: 'The database is not answering; try again shortly.' },
      });
      process.stdout.write(`PostgreSQL ${mode}: ${JSON.stringify(figures)} (ms)\n`);

      // Back: ready again, and the guest who signed in meanwhile is written.
      proxy.setMode('pass');
      await waitFor(async () => (await fetch(`${server.url}/readyz`)).ok, { timeoutMs: 30_000, what: 'ready again' });
      const users = await waitFor(
        async () => {
          const target = new URL(TEST_DATABASE_URL);
          target.pathname = `/${dbName}`;
          const client = new pg.Client({ connectionString: target.toString() });
          await client.connect();
          try {
            const { rows } = await client.query('select count(*)::int as n from users where name = $1', [`Bo ${mode}`]);
            return rows[0].n === 1 && rows[0].n;
          } finally {
            await client.end();
          }
        },
        { timeoutMs: 30_000, what: 'the guest who signed in during the outage to be written' },
      );
      expect(users).toBe(1);
      // And so is the play progress written during the outage: the room's, and Ana's own.
      const progress = await waitFor(
        async () => {
          const target = new URL(TEST_DATABASE_URL);
          target.pathname = `/${dbName}`;
          const client = new pg.Client({ connectionString: target.toString() });
          await client.connect();
          try {
            const guild = await client.query('select position_ms from guild_progress where item_id = $1', ['101']);
            const own = await client.query('select position_ms from play_progress where item_id = $1', ['101']);
            const positions = [guild.rows[0]?.position_ms, own.rows[0]?.position_ms];
            return positions.every((p) => p === leftAt) && positions;
          } finally {
            await client.end();
          }
        },
        { timeoutMs: 30_000, what: 'the play progress written during the outage to be written' },
      );
      expect(progress).toEqual([leftAt, leftAt]);
    }, 120_000);
  }

  it('exits within the grace period on SIGTERM while the database is blackholed', async () => {
    proxy.setMode('blackhole');
    // Something is waiting on the database when the signal comes.
    const hanging = fetch(`${server.url}/api/plex/servers`, { headers: anaAuth }).catch(() => undefined);
    const started = performance.now();
    const exit = await server.stop('SIGTERM');
    const ms = Math.round(performance.now() - started);
    process.stdout.write(`SIGTERM with PostgreSQL blackholed: exited ${JSON.stringify(exit)} after ${ms} ms\n`);
    expect(exit.signal).toBeNull();
    expect(exit.code).toBe(0);
    await hanging;
  }, 60_000);
});
