/**
 * `pnpm bench:rooms`: room broadcast latency and memory per socket on ONE server process, against a
 * bare `ws` server doing the same broadcast pattern, in the same run.
 *
 * For each size (1k sockets in 100 rooms, 10k sockets in 1k rooms; 10 members a room) it starts the
 * server as a child process, connects every socket (hello → welcome), then runs rounds in which the
 * host of each of a batch of rooms sends a command and every member times the broadcast's arrival.
 * Memory per socket is the server's heap + off-heap growth (after a full GC) over the connect phase.
 * Loopback only; bounded in sockets, rounds and time; stops by itself. Figures go to docs/benchmarks.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { SessionTokens } from '../../apps/server/src/auth/session-tokens.ts';
import { freePort } from '../support/redis-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = Buffer.alloc(32, 7);
const MEMBERS_PER_ROOM = 10;
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const BROADCASTS = Number(process.env.BENCH_BROADCASTS ?? 3000);
const BATCH_ROOMS = 20;
const PHASE_TIMEOUT_MS = 180_000;

type Target = 'room server' | 'bare ws';

interface Server {
  port: number;
  child: ChildProcess;
  memory(): Promise<number>;
  stop(): Promise<void>;
}

function waitForLine(child: ChildProcess, test: (line: string) => boolean, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 60_000);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (test(line)) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what}: process exited with ${code}`)));
  });
}

async function startServer(target: Target): Promise<Server> {
  const port = await freePort();
  const entry = target === 'bare ws' ? 'tests/bench/bare-ws-server.ts' : 'apps/server/src/server.ts';
  // Node itself (not the tsx launcher), so the memory probe's signal reaches the measured process.
  const probe = path.join(ROOT, 'tests/bench/memory-probe.ts');
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', probe, path.join(ROOT, entry)], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DATABASE_URL: 'memory://',
      DATA_DIR: path.join(tmpdir(), `dpp-bench-${port}`),
      SECRET_KEY: SECRET.toString('base64'),
      LOG_LEVEL: 'warn',
      // Every simulated client comes from this one loopback address.
      WS_SOCKETS_PER_ADDRESS: '100000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (target === 'bare ws') {
    await waitForLine(child, (l) => l.includes('"listening"'), 'bare ws server');
  } else {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 600 || child.exitCode !== null) throw new Error('room server did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    child,
    // Heap and off-heap (Buffers) after a full collection: what the sockets and rooms hold on to.
    memory: async () => {
      const line = waitForLine(child, (l) => l.startsWith('{"probe"'), 'memory probe');
      child.kill('SIGUSR2');
      const { heapUsed, external } = JSON.parse(await line) as { heapUsed: number; external: number };
      return heapUsed + external;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

interface Client {
  socket: WebSocket;
  onState?: (seq: number) => void;
}

function connectMember(port: number, roomId: string, user: number, tokens: SessionTokens): Promise<Client> {
  const { token } = tokens.sign({
    userId: `00000000-0000-4000-8000-${String(user).padStart(12, '0')}`,
    discordId: `guest:bench-${user}`,
    name: `viewer ${user}`,
    avatar: null,
  });
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
    const client: Client = { socket };
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'hello', protocolVersion: 1, token, roomId })));
    socket.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('{"type":"welcome"')) return resolve(client);
      if (text.startsWith('{"type":"state"')) {
        const seq = Number(/"seq":(\d+)/.exec(text)?.[1]);
        client.onState?.(seq);
      }
    });
    socket.once('close', (code) => reject(new Error(`socket closed before welcome (${code})`)));
  });
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

interface Result {
  target: Target;
  sockets: number;
  rooms: number;
  broadcasts: number;
  deliveries: number;
  p50: number;
  p99: number;
  max: number;
  bytesPerSocket: number;
  connectSeconds: number;
}

async function run(target: Target, sockets: number): Promise<Result> {
  const server = await startServer(target);
  const tokens = new SessionTokens(SECRET);
  const roomCount = sockets / MEMBERS_PER_ROOM;
  const rooms: Client[][] = [];
  try {
    const before = await server.memory();
    const connectStart = performance.now();
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    for (let r = 0; r < roomCount; r += 10) {
      if (Date.now() > deadline) throw new Error('connect phase took too long');
      const batch = [];
      for (let k = r; k < Math.min(roomCount, r + 10); k++) {
        batch.push(
          (async () => {
            const members: Client[] = [];
            // The host first, so it is the room's creator; the rest join together.
            members.push(await connectMember(server.port, `dev:bench-${k}`, k * MEMBERS_PER_ROOM, tokens));
            members.push(
              ...(await Promise.all(
                Array.from({ length: MEMBERS_PER_ROOM - 1 }, (_, m) =>
                  connectMember(server.port, `dev:bench-${k}`, k * MEMBERS_PER_ROOM + m + 1, tokens),
                ),
              )),
            );
            rooms[k] = members;
          })(),
        );
      }
      await Promise.all(batch);
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const after = await server.memory();

    // Broadcast rounds: a batch of rooms at once, each host sends one command, every member times it.
    const latencies: number[] = [];
    const warmUp = Math.min(200, Math.floor(BROADCASTS / 5));
    const hostsOnly: boolean[] = [];
    let broadcasts = 0;
    let round = 0;
    const roundDeadline = Date.now() + PHASE_TIMEOUT_MS;
    while (broadcasts < BROADCASTS && Date.now() < roundDeadline) {
      const batch = Math.min(BATCH_ROOMS, roomCount);
      const picks = Array.from({ length: batch }, (_, i) => (round * batch + i) % roomCount);
      round++;
      await Promise.all(
        picks.map(
          (k) =>
            new Promise<void>((resolve) => {
              const members = rooms[k] ?? [];
              let pending = members.length;
              const sentAt = performance.now();
              for (const member of members) {
                member.onState = () => {
                  member.onState = undefined;
                  if (broadcasts >= warmUp) latencies.push(performance.now() - sentAt);
                  pending -= 1;
                  if (pending === 0) resolve();
                };
              }
              // Alternate each room's control mode, so every command changes something and broadcasts.
              hostsOnly[k] = !hostsOnly[k];
              const control = hostsOnly[k] ? 'hosts' : 'everyone';
              members[0]?.socket.send(
                JSON.stringify({ type: 'command', id: `c${round}-${k}`, op: 'settings', control }),
              );
            }),
        ),
      );
      broadcasts += picks.length;
    }
    latencies.sort((a, b) => a - b);
    return {
      target,
      sockets,
      rooms: roomCount,
      broadcasts,
      deliveries: latencies.length,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: latencies.at(-1) ?? Number.NaN,
      bytesPerSocket: (after - before) / sockets,
      connectSeconds,
    };
  } finally {
    for (const members of rooms) for (const member of members ?? []) member.socket.terminate();
    await server.stop();
  }
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function main() {
  const results: Result[] = [];
  for (const sockets of SIZES) {
    for (const target of ['room server', 'bare ws'] as const) {
      process.stdout.write(`${target}: ${sockets} sockets in ${sockets / MEMBERS_PER_ROOM} rooms… `);
      const result = await run(target, sockets);
      results.push(result);
      process.stdout.write(
        `p50 ${fmt(result.p50, 2)} ms, p99 ${fmt(result.p99, 2)} ms, ${fmt(result.bytesPerSocket / 1024)} KB/socket\n`,
      );
    }
  }

  const rows = SIZES.map((sockets) => {
    const ours = results.find((r) => r.sockets === sockets && r.target === 'room server');
    const bare = results.find((r) => r.sockets === sockets && r.target === 'bare ws');
    if (!ours || !bare) return '';
    return `| ${sockets} | ${ours.rooms} | ${ours.broadcasts} / ${ours.deliveries} | ${fmt(ours.p50, 2)} | ${fmt(ours.p99, 2)} | ${fmt(ours.max, 1)} | ${fmt(bare.p50, 2)} | ${fmt(bare.p99, 2)} | ${fmt(ours.p99 / bare.p99, 2)}× | ${fmt(ours.bytesPerSocket / 1024)} | ${fmt(bare.bytesPerSocket / 1024)} | ${fmt(ours.connectSeconds)} s |`;
  }).join('\n');

  const section = `## Rooms (\`pnpm bench:rooms\`)

One server process (in-process room store and event bus, PGlite in memory, LOG_LEVEL=warn) and one
client process on ${cpus().length} cores, over loopback. ${MEMBERS_PER_ROOM} members a room; each round, the hosts of
${BATCH_ROOMS} rooms send a \`settings\` command at once and every member times the \`state\` broadcast
from the moment its host sent the command (one clock: clients live in one process). The bare \`ws\`
server does the same broadcast pattern with no auth, validation, store or permissions. Memory per socket
is the growth of the server's heap plus off-heap buffers (after a full GC) over the connect phase,\ndivided by the sockets. The first ${Math.min(200, Math.floor(BROADCASTS / 5))} broadcasts of each run warm up and are not counted.

Targets: 10k sockets on one process, p99 ≤ 50 ms, ≤ 1.5× the bare ws p99, ≤ 30 KB a socket.

| sockets | rooms | broadcasts / deliveries | p50 ms | p99 ms | max ms | bare p50 ms | bare p99 ms | p99 ratio | KB/socket | bare KB/socket | connect |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows}

Measured ${new Date().toISOString().slice(0, 10)} with \`pnpm bench:rooms\` (sizes: \`BENCH_SIZES\`, broadcasts per size: \`BENCH_BROADCASTS\`).
`;
  writeSection('Rooms', section);
  process.stdout.write(`\n${section}`);
}

/** Replaces (or appends) one `## <title>` section of docs/benchmarks.md, keeping the others. */
function writeSection(title: string, section: string) {
  const file = path.join(ROOT, 'docs/benchmarks.md');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text =
      '# Benchmarks\n\nFigures measured on the development machine; each section says the command that gives it.\n';
  }
  const pattern = new RegExp(`## ${title} \\(.*?(?=\\n## |\\n<!-- |$)`, 's');
  text = pattern.test(text) ? text.replace(pattern, section.trimEnd()) : `${text.trimEnd()}\n\n${section.trimEnd()}`;
  writeFileSync(file, `${text.trimEnd()}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
