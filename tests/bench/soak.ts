/**
 * `pnpm bench:soak`: a long film, measured. One server process (the real entry point) on a private
 * redis-server with a `maxmemory` policy, the fake Plex in this process, and for SOAK_MINUTES (20 by
 * default, after SOAK_WARMUP_MINUTES of warm-up):
 *
 * - a room of 10 readers at staggered positions (each started SOAK_STAGGER_S after the previous one)
 *   reading a generated 2-hour, SOAK_MBPS (24 Mbit/s) file through the proxy from the fake Plex, at
 *   playback speed (one second of film a second, in one range request);
 * - 1,000 sockets in 100 rooms whose hosts send a command every SOAK_COMMAND_MS, every member timing
 *   the broadcast and checking that seq never jumps.
 *
 * Every 30 s it samples the server's RSS, Redis `used_memory` and evictions, the upstream bytes, the
 * machine's load, whether every room key is still in Redis, and the window's broadcast latencies.
 * Loopback only; bounded in time (it stops by itself) and in size; every child stopped at the end.
 * Figures go to docs/benchmarks.md (its own section).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { WebSocket } from 'ws';
import { SessionTokens } from '../../apps/server/src/auth/session-tokens.ts';
import { startFakePlex } from '../fakes/plex/index.ts';
import { freePort } from '../support/redis-server.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_DIR = path.join(ROOT, 'apps/server/media/demo');
const SECRET = Buffer.alloc(32, 9);
const MIB = 1024 * 1024;

const MINUTES = Number(process.env.SOAK_MINUTES ?? 20);
const DATABASE_URL = process.env.SOAK_DATABASE_URL;
const WARMUP_MINUTES = Number(process.env.SOAK_WARMUP_MINUTES ?? 3);
const MBPS = Number(process.env.SOAK_MBPS ?? 24);
const READERS = 10;
const STAGGER_S = Number(process.env.SOAK_STAGGER_S ?? 3);
const ROOMS = Number(process.env.SOAK_ROOMS ?? 100);
const MEMBERS = 10;
const COMMAND_MS = Number(process.env.SOAK_COMMAND_MS ?? 2000);
const SAMPLE_MS = 30_000;
const REDIS_MAXMEMORY_MB = 256;
const FILM_MS = 2 * 60 * 60_000;
const BYTES_PER_SECOND = Math.round((MBPS * 1_000_000) / 8);
const FILM_BYTES = Math.round((FILM_MS / 1000) * BYTES_PER_SECOND);

const children: ChildProcess[] = [];
/** Set when the load starts (after the film is made and every socket is in). */
let stopAt = Number.POSITIVE_INFINITY;
const hardStop = setTimeout(
  () => {
    console.error('soak: over its time budget; stopping');
    for (const child of children) child.kill('SIGKILL');
    process.exit(2);
  },
  (WARMUP_MINUTES + MINUTES + 10) * 60_000,
);
hardStop.unref();

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mib = (n: number) => fmt(n / MIB, 1);

/** The 2-hour film: its logical size is the whole film; the part the readers reach holds random bytes. */
function makeFilm(work: string): { mediaDir: string } {
  const mediaDir = path.join(work, 'media');
  cpSync(DEMO_DIR, mediaDir, { recursive: true });
  const manifestFile = path.join(mediaDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    items: { durationMs: number; bitrate: number; files: { mp4: { path: string; bytes: number } } }[];
  };
  const clip = manifest.items[0];
  if (!clip) throw new Error('the demo manifest has no items');
  const file = path.join(mediaDir, clip.files.mp4.path);
  rmSync(file);
  const reach = Math.min(FILM_BYTES, (WARMUP_MINUTES + MINUTES + 2) * 60 * BYTES_PER_SECOND);
  const block = randomBytes(8 * MIB);
  const fd = openSync(file, 'w');
  try {
    // Random bytes as far as the readers get (the page cache serves them), sparse after that.
    for (let offset = 0; offset < reach; offset += block.length) writeSync(fd, block, 0, block.length, offset);
    writeSync(fd, Buffer.alloc(1), 0, 1, FILM_BYTES - 1);
  } finally {
    closeSync(fd);
  }
  clip.files.mp4.bytes = FILM_BYTES;
  clip.durationMs = FILM_MS;
  clip.bitrate = MBPS * 1000;
  writeFileSync(manifestFile, JSON.stringify(manifest));
  return { mediaDir };
}

async function startRedis(work: string) {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      work,
      '--maxmemory',
      `${REDIS_MAXMEMORY_MB}mb`,
      '--maxmemory-policy',
      'volatile-lru',
    ],
    { stdio: 'ignore' },
  );
  children.push(child);
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  await waitFor(async () => (await client.connect().then(() => true)) || false, { timeoutMs: 10_000, what: 'redis' });
  return { url, client };
}

async function startServer(env: Record<string, string>) {
  const port = await freePort();
  // Node itself (not the tsx launcher), so the memory probe's signal reaches the measured process.
  const probe = path.join(ROOT, 'tests/bench/memory-probe.ts');
  const flags = process.env.SOAK_GC === '1' ? ['--expose-gc'] : [];
  const child = spawn(
    process.execPath,
    [...flags, '--import', 'tsx', '--import', probe, path.join(ROOT, 'apps/server/src/server.ts')],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, PORT: String(port), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  let lastProbe: ProbeReading | undefined;
  let pendingProbe: ((reading: ProbeReading) => void) | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{"probe"')) return;
    lastProbe = JSON.parse(line) as ProbeReading;
    pendingProbe?.(lastProbe);
    pendingProbe = undefined;
  });
  /** The server's heap and off-heap memory (after a full collection with SOAK_GC=1). */
  const memory = () =>
    new Promise<ProbeReading>((resolve) => {
      pendingProbe = resolve;
      child.kill('SIGUSR2');
      // A busy server answers late: the previous reading then stands in.
      setTimeout(() => lastProbe && pendingProbe === resolve && resolve(lastProbe), 5_000).unref();
    });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.ok, {
    timeoutMs: 120_000,
    intervalMs: 200,
    what: 'the server',
  });
  return { url, port, pid: child.pid ?? 0, memory };
}

interface ProbeReading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
}

interface Member {
  socket: WebSocket;
  seq: number;
  gaps: number;
  snapshots: number;
  /** Command replies that were errors (a rejected command is never broadcast, so it is not timed). */
  errors: number;
  onState?: (commanded: boolean) => void;
}

function connect(port: number, roomId: string, user: number, tokens: SessionTokens): Promise<Member> {
  const { token } = tokens.sign({
    userId: `00000000-0000-4000-8000-${String(user).padStart(12, '0')}`,
    discordId: `guest:soak-${user}`,
    name: `viewer ${user}`,
    avatar: null,
  });
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    const member: Member = { socket, seq: 0, gaps: 0, snapshots: 0, errors: 0 };
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`socket closed before its welcome (${code})`)));
    socket.once('open', () => socket.send(JSON.stringify({ type: 'hello', protocolVersion: 1, token, roomId })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as {
        type: string;
        seq?: number;
        snapshot?: { seq: number };
        cause?: { type: string };
      };
      if (message.type === 'welcome' || message.type === 'snapshot') {
        if (message.type === 'snapshot') member.snapshots += 1;
        member.seq = message.snapshot?.seq ?? member.seq;
        if (message.type === 'welcome') resolve(member);
      } else if (message.type === 'state' && message.seq !== undefined) {
        if (message.seq !== member.seq + 1) member.gaps += 1;
        member.seq = message.seq;
        member.onState?.(message.cause?.type === 'command');
      } else if (message.type === 'error') {
        member.errors += 1;
      }
    });
  });
}

async function main() {
  const work = mkdtempSync(path.join(tmpdir(), 'dpp-soak-'));
  const tokens = new SessionTokens(SECRET);
  const members: Member[] = [];
  let running = true;
  try {
    process.stdout.write(`soak: generating a ${fmt(FILM_BYTES / 1e9, 1)} GB film at ${MBPS} Mbit/s…\n`);
    const { mediaDir } = makeFilm(work);
    const redis = await startRedis(work);
    const plex = await startFakePlex({ mediaDir, requestLogSize: 10 });
    const server = await startServer({
      // Unset: PGlite in DATA_DIR, as a self-hosted install runs it (memory:// would count the database's files as RSS).
      ...(DATABASE_URL ? { DATABASE_URL } : {}),
      DATA_DIR: path.join(work, 'data'),
      REDIS_URL: redis.url,
      PLEX_URL: plex.url,
      PLEX_TOKEN: plex.token,
      SECRET_KEY: SECRET.toString('base64'),
      // Every simulated client comes from this one loopback address.
      WS_SOCKETS_PER_ADDRESS: '100000',
    });
    process.stdout.write(`soak: server ${server.url} (pid ${server.pid}), redis ${redis.url}\n`);

    // The film room: ten members, the first loads the film (paused: the readers set the pace).
    const filmRoom = 'dev:soak-film';
    const readers: Member[] = [];
    for (let i = 0; i < READERS; i++) readers.push(await connect(server.port, filmRoom, 900_000 + i, tokens));
    members.push(...readers);
    const host = readers[0]!;
    const hostToken = tokens.sign({
      userId: '00000000-0000-4000-8000-000000900000',
      discordId: 'guest:soak-900000',
      name: 'viewer 900000',
      avatar: null,
    }).token;
    host.socket.send(JSON.stringify({ type: 'command', id: 'load', op: 'load', itemId: '101' }));
    host.socket.send(JSON.stringify({ type: 'command', id: 'pause', op: 'pause' }));
    const offer = await waitFor(
      async () => {
        const response = await fetch(`${server.url}/api/rooms/${filmRoom}/stream?quality=original`, {
          headers: { authorization: `Bearer ${hostToken}` },
        });
        return response.ok && ((await response.json()) as { url: string });
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the stream offer' },
    );
    const streamUrl = `${server.url}${offer.url}`;

    // The 100 rooms of 10.
    const rooms: Member[][] = [];
    for (let r = 0; r < ROOMS; r += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, ROOMS - r) }, async (_, j) => {
          const k = r + j;
          const roomMembers = [await connect(server.port, `dev:soak-${k}`, k * MEMBERS, tokens)];
          roomMembers.push(
            ...(await Promise.all(
              Array.from({ length: MEMBERS - 1 }, (_, m) =>
                connect(server.port, `dev:soak-${k}`, k * MEMBERS + m + 1, tokens),
              ),
            )),
          );
          rooms[k] = roomMembers;
        }),
      );
    }
    members.push(...rooms.flat());
    process.stdout.write(`soak: ${members.length} sockets connected in ${ROOMS + 1} rooms\n`);

    // Readers: reader i starts i × stagger later, then reads one second of film every second.
    // A read that takes 30 s is counted as an error rather than holding the reader for ever.
    const agent = new Agent({
      connections: READERS * 2,
      keepAliveTimeout: 30_000,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    stopAt = Date.now() + (WARMUP_MINUTES + MINUTES) * 60_000;
    const readTo: number[] = Array.from({ length: READERS }, () => 0);
    let readErrors = 0;
    let behind = 0;
    const started = performance.now();
    const reader = async (i: number) => {
      await new Promise((resolve) => setTimeout(resolve, i * STAGGER_S * 1000));
      const begin = performance.now();
      for (let second = 0; running && Date.now() < stopAt; second++) {
        const start = second * BYTES_PER_SECOND;
        const end = Math.min(FILM_BYTES, start + BYTES_PER_SECOND) - 1;
        try {
          const response = await request(streamUrl, { dispatcher: agent, headers: { range: `bytes=${start}-${end}` } });
          if (response.statusCode !== 206) throw new Error(`reader ${i}: ${response.statusCode}`);
          let got = 0;
          for await (const chunk of response.body) got += (chunk as Buffer).length;
          if (got !== end - start + 1) throw new Error(`reader ${i}: ${got} bytes for ${end - start + 1}`);
          readTo[i] = end + 1;
        } catch (error) {
          readErrors += 1;
          if (readErrors < 5) console.error(String(error));
        }
        const due = begin + (second + 1) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        else behind += 1;
      }
    };
    const readersDone = Promise.all(Array.from({ length: READERS }, (_, i) => reader(i)));

    // Commands: every room's host, every COMMAND_MS (spread over the period), timed at every member.
    let latencies: number[] = [];
    let broadcasts = 0;
    const hostsOnly: boolean[] = [];
    const commandTimers = rooms.map((roomMembers, k) => {
      const tick = () => {
        const sentAt = performance.now();
        for (const member of roomMembers) {
          // Timed to the broadcast of a command (a member's own state change is not one).
          member.onState = (commanded) => {
            if (!commanded) return;
            member.onState = undefined;
            latencies.push(performance.now() - sentAt);
          };
        }
        hostsOnly[k] = !hostsOnly[k];
        broadcasts += 1;
        roomMembers[0]?.socket.send(
          JSON.stringify({
            type: 'command',
            id: `c${broadcasts}`,
            op: 'settings',
            control: hostsOnly[k] ? 'hosts' : 'everyone',
          }),
        );
      };
      const offset = setTimeout(
        () => {
          tick();
          commandTimers[k] = setInterval(tick, COMMAND_MS);
        },
        Math.floor((k / ROOMS) * COMMAND_MS),
      );
      return offset as NodeJS.Timeout;
    });

    // Samples.
    interface Sample {
      minute: number;
      rss: number;
      heapUsed: number;
      external: number;
      redisUsed: number;
      evicted: number;
      roomKeys: number;
      upstream: number;
      needed: number;
      p50: number;
      p99: number;
      deliveries: number;
      load: number;
    }
    const samples: Sample[] = [];
    const roomIds = [filmRoom, ...rooms.map((_, k) => `dev:soak-${k}`)];
    while (Date.now() < stopAt) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(SAMPLE_MS, Math.max(0, stopAt - Date.now()))));
      const info = await redis.client.info();
      const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
      const present = await redis.client.exists(...roomIds.map((id) => `dpp:room:${id}`));
      const window = latencies.sort((a, b) => a - b);
      latencies = [];
      const heap = await server.memory();
      const sample: Sample = {
        minute: (performance.now() - started) / 60_000,
        rss: rssOf(server.pid),
        heapUsed: heap.heapUsed,
        external: heap.external,
        redisUsed: field('used_memory'),
        evicted: field('evicted_keys'),
        roomKeys: present,
        upstream: plex.counters.bytes('part'),
        needed: Math.max(...readTo),
        p50: quantile(window, 0.5),
        p99: quantile(window, 0.99),
        deliveries: window.length,
        load: loadavg()[0] ?? Number.NaN,
      };
      samples.push(sample);
      process.stdout.write(
        `  ${fmt(sample.minute, 1)} min: rss ${mib(sample.rss)} MiB (heap ${mib(sample.heapUsed)}, external ${mib(sample.external)}), redis ${mib(sample.redisUsed)} MiB (${sample.evicted} evicted), rooms ${present}/${roomIds.length}, upstream ${mib(sample.upstream)} / needed ${mib(sample.needed)} MiB, p50 ${fmt(sample.p50, 2)} ms, p99 ${fmt(sample.p99, 2)} ms, load ${fmt(sample.load, 2)}\n`,
      );
    }
    running = false;
    for (const timer of commandTimers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    await Promise.race([readersDone, new Promise((resolve) => setTimeout(resolve, 35_000))]);
    await agent.destroy();

    // Figures.
    const steady = samples.filter((s) => s.minute >= WARMUP_MINUTES);
    const spread = (values: number[]) => (Math.max(...values) - Math.min(...values)) / Math.min(...values);
    const deviation = (values: number[]) => {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return Math.max(...values.map((v) => Math.abs(v - mean))) / mean;
    };
    /** Growth from the first to the last steady sample along the least-squares line, over its mean. */
    const drift = (values: number[]) => {
      const xs = steady.map((s) => s.minute);
      const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
      const my = values.reduce((a, b) => a + b, 0) / values.length;
      const slope =
        xs.reduce((sum, x, i) => sum + (x - mx) * (values[i]! - my), 0) / xs.reduce((sum, x) => sum + (x - mx) ** 2, 0);
      return (slope * (xs.at(-1)! - xs[0]!)) / my;
    };
    const last = samples.at(-1)!;
    const gaps = members.reduce((sum, m) => sum + m.gaps, 0);
    const errors = members.reduce((sum, m) => sum + m.errors, 0);
    const snapshots = members.reduce((sum, m) => sum + m.snapshots, 0);
    const p99s = steady.map((s) => s.p99);
    const loads = samples.map((s) => s.load);
    const rows = steady
      .filter((_, i) => i % 2 === 1 || i === steady.length - 1)
      .map(
        (s) =>
          `| ${fmt(s.minute, 1)} | ${mib(s.rss)} | ${mib(s.heapUsed)} | ${mib(s.external)} | ${mib(s.redisUsed)} | ${s.evicted} | ${s.roomKeys}/${roomIds.length} | ${mib(s.upstream)} | ${mib(s.needed)} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.load, 2)} |`,
      )
      .join('\n');
    const section = `## Soak: a long film (\`pnpm bench:soak\`)

One server process (\`apps/server/src/server.ts\`, ${DATABASE_URL ? `\`DATABASE_URL=${DATABASE_URL.replace(/\/\/[^@/]*@/, '//…@')}\`` : 'PGlite in its data directory, the default'}, LOG_LEVEL=warn${process.env.SOAK_GC === '1' ? ', a full collection before each sample' : ''}) on a private
redis-server (\`maxmemory ${REDIS_MAXMEMORY_MB}mb\`, \`volatile-lru\`), the fake Plex and every client in the bench
process, ${cpus().length} cores, loopback only. For ${MINUTES} minutes after ${WARMUP_MINUTES} of warm-up: a room of ${READERS} readers
reading a generated 2-hour ${MBPS} Mbit/s file (${fmt(FILM_BYTES / 1e9, 1)} GB) through the proxy (direct play from the
fake Plex) at playback speed, each started ${STAGGER_S} s after the previous one; and ${ROOMS * MEMBERS} sockets in ${ROOMS}
rooms whose hosts each send a \`settings\` command every ${COMMAND_MS / 1000} s, every member timing the broadcast.

The machine's 1-minute load average went from ${fmt(Math.min(...loads), 2)} to ${fmt(Math.max(...loads), 2)} during the run${
      Math.max(...loads) > cpus().length / 2
        ? ` (other work shared its ${cpus().length} cores, so latencies carry it)`
        : ''
    }.

| figure | result | target |
| --- | --- | --- |
| server RSS after warm-up, spread (max−min)/min | ${fmt(spread(steady.map((s) => s.rss)) * 100)} % (${mib(Math.min(...steady.map((s) => s.rss)))}–${mib(Math.max(...steady.map((s) => s.rss)))} MiB) | (shown: the reads in flight make a sawtooth) |
| server RSS after warm-up, largest distance of a sample from the mean | ${fmt(deviation(steady.map((s) => s.rss)) * 100)} % (mean ${mib(steady.reduce((sum, s) => sum + s.rss, 0) / steady.length)} MiB) | flat: within 10 % |
| server RSS trend after warm-up (least-squares line, first to last sample, over the mean) | ${fmt(drift(steady.map((s) => s.rss)) * 100)} % | flat: within ±10 % |
| server heap used / external after warm-up, spread | ${fmt(spread(steady.map((s) => s.heapUsed)) * 100)} % / ${fmt(spread(steady.map((s) => s.external)) * 100)} % | (where RSS goes) |
| Redis \`used_memory\` after warm-up, spread | ${fmt(spread(steady.map((s) => s.redisUsed)) * 100)} % (${mib(Math.min(...steady.map((s) => s.redisUsed)))}–${mib(Math.max(...steady.map((s) => s.redisUsed)))} MiB; ${last.evicted} cache keys evicted) | ≤ 10 %, bounded by \`maxmemory\` |
| room keys present at every sample | ${steady.every((s) => s.roomKeys === roomIds.length) ? 'yes' : 'NO'} (${roomIds.length} rooms) | never evicted |
| upstream bytes / bytes the room needed | ${fmt(last.upstream / last.needed, 3)} (${mib(last.upstream)} / ${mib(last.needed)} MiB) | ≤ 1.05 |
| seq gaps seen by clients / snapshots sent instead | ${gaps} / ${snapshots} | 0 unresolved |
| broadcast p99 per 30 s window after warm-up | ${fmt(Math.min(...p99s), 2)}–${fmt(Math.max(...p99s), 2)} ms (median ${fmt(
      quantile(
        [...p99s].sort((a, b) => a - b),
        0.5,
      ),
      2,
    )} ms) | stable |
| reader seconds that fell behind playback speed / read errors | ${behind} / ${readErrors} | 0 / 0 |
| commands sent / answered with an error | ${broadcasts} / ${errors} | 0 errors |

RSS rises and falls with the buffers of the reads in flight (\`external\`: Buffers, and PGlite's WebAssembly
memory); a leak would show as a trend and in the heap after a full collection. With
\`SOAK_DATABASE_URL=memory://\` the database's files, write-ahead log included, live in the server's memory,
so RSS grows with every write: run the soak on the default or on PostgreSQL.

| minute | server RSS MiB | heap used MiB | external MiB | Redis used MiB | evicted keys | room keys | upstream MiB | needed MiB | p50 ms | p99 ms | load |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows}

Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`pnpm bench:soak\` (\`SOAK_MINUTES\`, \`SOAK_WARMUP_MINUTES\`, \`SOAK_DATABASE_URL\`, \`SOAK_GC\`, \`SOAK_MBPS\`, \`SOAK_STAGGER_S\`, \`SOAK_ROOMS\`, \`SOAK_COMMAND_MS\`).
`;
    writeSection('Soak', section);
    process.stdout.write(`\n${section}`);
    await plex.close();
    redis.client.disconnect();
  } finally {
    running = false;
    for (const member of members) member.socket.terminate();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(work, { recursive: true, force: true });
  }
}

/** Replaces (or appends) one `## <title>` section of docs/benchmarks.md, keeping the others. */
function writeSection(title: string, section: string) {
  const file = path.join(ROOT, 'docs/benchmarks.md');
  const text = readFileSync(file, 'utf8');
  const pattern = new RegExp(`## ${title}: .*?(?=\\n## |\\n<!-- |$)`, 's');
  const next = pattern.test(text)
    ? text.replace(pattern, section.trimEnd())
    : `${text.trimEnd()}\n\n${section.trimEnd()}`;
  writeFileSync(file, `${next.trimEnd()}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
