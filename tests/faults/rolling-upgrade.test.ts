import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devSignIn, PartyClient } from '../support/party-client.ts';
import { hasRedisServerBinary, PrivateRedis } from '../support/redis-server.ts';
import { ServerProcess } from '../support/server-process.ts';
import { TEST_DATABASE_URL } from '../support/services.ts';
import { TcpBalancer } from '../support/tcp-proxy.ts';
import { waitFor } from '../support/wait.ts';

/**
 * A rolling upgrade: two server processes on one Redis and one PostgreSQL behind a balancer; the
 * one half the party is on gets SIGTERM mid-film. Its members are closed with 1012 and land on the
 * other; the members already there never see playback stop; nothing acked before the stop is lost.
 */
const services = inject('services');
const ROOM = 'dev:rolling';

describe.skipIf(!services.postgres || !hasRedisServerBinary())('a rolling upgrade (real processes)', () => {
  const dbName = `dpp_rolling_${randomUUID().replaceAll('-', '')}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-rolling-'));
  let admin: pg.Client;
  let redis: PrivateRedis;
  let first: ServerProcess;
  let second: ServerProcess;
  let balancer: TcpBalancer;
  const members: PartyClient[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${dbName}`;
    redis = await PrivateRedis.start();
    const env = {
      DATA_DIR: dataDir,
      DATABASE_URL: url.toString(),
      REDIS_URL: redis.url,
      SECRET_KEY: randomBytes(32).toString('base64'),
      BOT_API_TOKEN: randomBytes(24).toString('base64url'),
    };
    first = await ServerProcess.start(env);
    second = await ServerProcess.start(env);
    balancer = await TcpBalancer.start([first.port, second.port]);
  }, 240_000);

  afterAll(async () => {
    for (const member of members) member.stop();
    await balancer?.close();
    await first?.dispose();
    await second?.dispose();
    await redis?.down();
    await admin?.query(`drop database if exists ${dbName} with (force)`);
    await admin?.end();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('moves the stopped instance’s members to the other within 3 s, never stops playback, loses nothing acked', async () => {
    for (const name of ['Ana', 'Bo', 'Cy', 'Di']) {
      // Signed in beside the balancer, so that only the sockets take turns.
      const { token } = await devSignIn(second.url, name);
      members.push(new PartyClient(`ws://127.0.0.1:${balancer.port}/ws`, ROOM, token));
      await waitFor(() => members.at(-1)!.open, { timeoutMs: 20_000, what: `${name} in` });
    }
    // The balancer alternates: Ana and Cy on the first instance, Bo and Di on the second.
    const onFirst = members.filter((_, i) => i % 2 === 0);
    const onSecond = members.filter((_, i) => i % 2 === 1);
    const ana = members[0]!;
    await ana.connection.command({ op: 'load', itemId: 'demo-green-room-countdown' });
    await waitFor(
      () => {
        for (const member of members) member.ready();
        return members.every((m) => m.snapshot?.playback.status === 'playing');
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'everyone playing' },
    );
    // Commands acked by the instance about to stop, right before it stops.
    for (const itemId of ['demo-sunrise-sync', 'demo-deep-blue-timecode', 'demo-sunrise-sync']) {
      await onFirst[1]!.connection.command({ op: 'queue.add', itemId });
    }
    const logged = onSecond.map((m) => m.playbackLog.length);

    const stoppedAt = performance.now();
    const exit = await first.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });

    // The first instance's members were told 1012 and are back (on the second) with a snapshot.
    for (const member of onFirst) {
      expect(member.statuses.some((s) => s.code === 1012)).toBe(true);
    }
    await waitFor(() => onFirst.every((m) => m.open && m.welcomes.length === 2), {
      timeoutMs: 20_000,
      what: 'the moved members back',
    });
    const moved = onFirst.map((m) => Math.round(m.statuses.findLast((s) => s.status === 'open')!.at - stoppedAt));
    process.stdout.write(
      `rolling upgrade: members back on the other instance ${JSON.stringify(moved)} ms after SIGTERM\n`,
    );

    // Nothing acked is lost; every member sees the same room, still playing.
    for (const member of members) {
      expect(member.snapshot?.queue.map((e) => e.itemId)).toEqual([
        'demo-green-room-countdown',
        'demo-sunrise-sync',
        'demo-deep-blue-timecode',
        'demo-sunrise-sync',
      ]);
      expect(member.snapshot?.playback.status).toBe('playing');
    }
    // The second instance's members never saw playback stop.
    onSecond.forEach((member, i) => {
      expect(member.playbackLog.slice(logged[i])).not.toContain('paused');
      expect(member.playbackLog.slice(logged[i])).not.toContain('waiting');
      expect(member.statuses.filter((s) => s.status !== 'open' && s.status !== 'connecting')).toEqual([]);
    });
  }, 180_000);
});
