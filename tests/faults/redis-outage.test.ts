import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandError } from '../../apps/activity/src/room/room-socket-client.ts';
import { devSignIn, PartyClient } from '../support/party-client.ts';
import { hasRedisServerBinary, PrivateRedis } from '../support/redis-server.ts';
import { ServerProcess } from '../support/server-process.ts';
import { waitFor } from '../support/wait.ts';

/**
 * Redis trouble: a real server process on a private redis-server that the test kills and starts
 * again empty (it keeps nothing on disk). Readiness answers, commands fail fast with `unavailable`
 * (and the activity's are retried by themselves), and when Redis is back without its data the room
 * comes back from the database.
 */
const ROOM = 'dev:redis-outage';

describe.skipIf(!hasRedisServerBinary())(
  'a party while its Redis is killed and restarted empty (real processes)',
  () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-redis-outage-'));
    let redis: PrivateRedis;
    let server: ServerProcess;
    const members: PartyClient[] = [];

    beforeAll(async () => {
      redis = await PrivateRedis.start();
      server = await ServerProcess.start({ DATA_DIR: dataDir, REDIS_URL: redis.url });
      for (const name of ['Ana', 'Bo']) {
        const { token } = await devSignIn(server.url, name);
        members.push(new PartyClient(server.wsUrl, ROOM, token));
      }
      await waitFor(() => members.every((m) => m.open), { timeoutMs: 20_000, what: 'both in the room' });
    }, 180_000);

    afterAll(async () => {
      for (const member of members) member.stop();
      await server?.dispose();
      await redis?.down();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('answers readiness, fails commands fast, and restores the room when Redis is back empty', async () => {
      const [ana, bo] = members as [PartyClient, PartyClient];
      await ana.connection.command({ op: 'load', itemId: 'demo-sunrise-sync' });
      await ana.connection.command({ op: 'queue.add', itemId: 'demo-deep-blue-timecode' });
      await ana.connection.command({ op: 'pause' });
      const before = structuredClone(ana.snapshot!);

      await redis.down();

      let started = performance.now();
      const ready = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(15_000) });
      const readyMs = Math.round(performance.now() - started);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ database: { status: 'ok' }, cache: { status: 'down' } });

      started = performance.now();
      const refused = await ana.connection.command({ op: 'seek', positionMs: 5000 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      const commandMs = Math.round(performance.now() - started);
      expect(refused).toBeInstanceOf(CommandError);
      expect((refused as CommandError).code).toBe('unavailable');
      process.stdout.write(`Redis down: /readyz answered in ${readyMs} ms, a command failed in ${commandMs} ms\n`);

      // What the activity's buttons do: the same command, sent during the outage, is retried by itself.
      let added: 'applied' | unknown;
      bo.commands.send({ op: 'queue.add', itemId: 'demo-green-room-countdown' }).then(
        () => {
          added = 'applied';
        },
        (error: unknown) => {
          added = error;
        },
      );
      await waitFor(() => bo.retryLog.includes('retrying queue.add'), { what: 'the add refused and waiting to retry' });

      await redis.up();
      // Back without its data: the room comes back from its durable copy, held paused, to both members,
      // with the add sent during the outage applied once, without anyone pressing anything again.
      const restored = await waitFor(
        () =>
          members.every(
            (m) =>
              m.snapshot?.playback.restored === true &&
              m.snapshot.queue.some((e) => e.itemId === 'demo-green-room-countdown'),
          ) && members.map((m) => m.snapshot!),
        { timeoutMs: 30_000, what: 'the room restored from the database, with the retried add' },
      );
      await waitFor(() => added !== undefined, { what: 'the retried add settled' });
      expect(added).toBe('applied');
      expect(bo.retryLog).toEqual(['retrying queue.add', 'recovered queue.add']);
      for (const snapshot of restored) {
        expect(snapshot.queue.slice(0, -1)).toEqual(before.queue);
        expect(snapshot.queue.filter((e) => e.itemId === 'demo-green-room-countdown')).toHaveLength(1);
        expect(snapshot.playback).toMatchObject({ itemId: 'demo-sunrise-sync', status: 'paused' });
        expect(snapshot.playback.positionMs).toBe(before.playback.positionMs);
        expect(snapshot.seq).toBeGreaterThan(before.seq);
      }
      await waitFor(async () => (await fetch(`${server.url}/readyz`)).ok, { timeoutMs: 20_000, what: 'ready again' });
      await bo.connection.command({ op: 'play' });
      await waitFor(() => members.every((m) => m.snapshot?.playback.status !== 'paused'), {
        timeoutMs: 20_000,
        what: 'playing again for both',
      });
    }, 120_000);
  },
);
