import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { devSignIn, PartyClient } from '../support/party-client.ts';
import { hasRedisServerBinary, PrivateRedis } from '../support/redis-server.ts';
import { ServerProcess } from '../support/server-process.ts';
import { TEST_DATABASE_URL } from '../support/services.ts';
import { waitFor } from '../support/wait.ts';

/**
 * A party survives its server being killed: a real server process, three members on the activity's
 * own connection code, an item playing and three queued; SIGKILL, start again on the same data, and
 * the members come back by themselves to the same room, held paused where it was.
 */
const ROOM = 'dev:film-night';
const ITEMS = ['demo-sunrise-sync', 'demo-deep-blue-timecode', 'demo-green-room-countdown', 'demo-sunrise-sync'];
const services = inject('services');

describe('a party across a server restart (real processes)', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Three members; the first plays an item and queues three more; everyone ready; it plays a while. */
  async function partyPlaying(server: ServerProcess) {
    const members: PartyClient[] = [];
    for (const name of ['Ana', 'Ben', 'Cy']) {
      const { token } = await devSignIn(server.url, name);
      members.push(new PartyClient(server.wsUrl, ROOM, token));
    }
    cleanups.push(() => {
      for (const member of members) member.stop();
    });
    await waitFor(() => members.every((m) => m.open), { timeoutMs: 20_000, what: 'three members in' });
    const [ana] = members as [PartyClient, ...PartyClient[]];
    await ana.connection.command({ op: 'load', itemId: ITEMS[0]! });
    for (const itemId of ITEMS.slice(1)) await ana.connection.command({ op: 'queue.add', itemId });
    await waitFor(
      () => {
        for (const member of members) member.ready();
        return members.every((m) => m.snapshot?.playback.status === 'playing' && m.snapshot.queue.length === 4);
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the party playing' },
    );
    await waitFor(() => (ana.position() ?? 0) > 2000, { timeoutMs: 20_000, what: 'two seconds of the film' });
    return members;
  }

  /** Kills the server mid-film, runs `meanwhile`, starts it again and checks what the members got back. */
  async function killAndRestart(server: ServerProcess, members: PartyClient[], meanwhile = async () => {}) {
    const ana = members[0]!;
    const before = structuredClone(ana.snapshot!);
    const wasAt = ana.position()!;
    expect(await server.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await waitFor(() => members.every((m) => !m.open), { what: 'the members to notice' });
    await meanwhile();
    await server.up();

    // They reconnect by themselves and get the restored room.
    const restored = await waitFor(
      () => members.every((m) => m.open && m.snapshot?.playback.restored === true) && members.map((m) => m.snapshot!),
      { timeoutMs: 30_000, what: 'every member back in the restored room' },
    );
    for (const snapshot of restored) {
      expect(snapshot.queue).toEqual(before.queue);
      expect(snapshot.playback).toMatchObject({ itemId: ITEMS[0], status: 'paused', restored: true });
      expect(snapshot.seq).toBeGreaterThan(before.seq);
      expect(snapshot.settings).toEqual(before.settings);
    }
    // Everyone holds the same position, within a second of where the room was when it died.
    const positions = members.map((m) => m.position()!);
    expect(new Set(positions).size).toBe(1);
    expect(Math.abs(positions[0]! - wasAt)).toBeLessThan(1000);
    expect(ana.snapshot?.members.find((m) => m.name === 'Ana')?.role).toBe('host');

    // Play: the party goes on together from there.
    await ana.connection.command({ op: 'play' });
    await waitFor(
      () => {
        for (const member of members) member.ready();
        return members.every((m) => m.snapshot?.playback.status === 'playing' && !m.snapshot.playback.restored);
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the party playing again' },
    );
    const playing = members.map((m) => m.snapshot!.playback);
    expect(playing.every((p) => JSON.stringify(p) === JSON.stringify(playing[0]))).toBe(true);
    expect(playing[0]!.positionMs).toBe(positions[0]);
    return { wasAt, restoredAt: positions[0]! };
  }

  it('on the default embedded setup (PGlite): SIGKILL and start again on the same data directory', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-restart-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const server = await ServerProcess.start({ DATA_DIR: dataDir });
    cleanups.push(() => server.dispose());
    const members = await partyPlaying(server);
    const { wasAt, restoredAt } = await killAndRestart(server, members);
    process.stdout.write(`PGlite restart: the room was at ${wasAt.toFixed(0)} ms, restored at ${restoredAt} ms\n`);
  }, 240_000);

  it.skipIf(!services.postgres || !hasRedisServerBinary())(
    'on PostgreSQL and Redis, with Redis flushed while the server is down',
    async () => {
      const dbName = `dpp_restart_${randomUUID().replaceAll('-', '')}`;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`create database ${dbName}`);
      cleanups.push(async () => {
        await admin.query(`drop database if exists ${dbName} with (force)`);
        await admin.end();
      });
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${dbName}`;
      // A private redis-server: FLUSHALL only ever touches this one.
      const redis = await PrivateRedis.start();
      cleanups.push(() => redis.down());
      const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-restart-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const server = await ServerProcess.start({
        DATA_DIR: dataDir,
        DATABASE_URL: url.toString(),
        REDIS_URL: redis.url,
        SECRET_KEY: randomBytes(32).toString('base64'),
      });
      cleanups.push(() => server.dispose());
      const members = await partyPlaying(server);
      const { wasAt, restoredAt } = await killAndRestart(server, members, async () => {
        const client = new Redis(redis.url);
        try {
          expect(await client.exists(`dpp:room:${ROOM}`)).toBe(1);
          await client.flushall();
          expect(await client.exists(`dpp:room:${ROOM}`)).toBe(0);
        } finally {
          client.disconnect();
        }
      });
      process.stdout.write(
        `PostgreSQL + Redis restart: the room was at ${wasAt.toFixed(0)} ms, restored at ${restoredAt} ms\n`,
      );
    },
    240_000,
  );
});
