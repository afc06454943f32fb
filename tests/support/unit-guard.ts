/**
 * The unit project's promise: no services, no child processes, no network beyond in-process fakes on
 * loopback. A test that reaches for PostgreSQL, Redis, a browser or a process fails here at once,
 * with the reason, instead of passing only where those happen to run. (Such a test belongs to the
 * `services` project in vitest.config.ts.)
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const SERVICE_PORTS = new Set([5432, 6379]);
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', undefined]);
const refuse = (what: string) => {
  throw new Error(`${what}: the unit project runs without services or processes (vitest.config.ts)`);
};

for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const) {
  Object.assign(childProcess, { [name]: () => refuse(`child_process.${name}`) });
}
syncBuiltinESMExports();

// The unit project shares its workers between files: guard once.
const connect = net.Socket.prototype.connect as ((...args: unknown[]) => net.Socket) & { guarded?: true };
if (!connect.guarded)
  net.Socket.prototype.connect = Object.assign(
    function guarded(this: net.Socket, ...args: unknown[]) {
      // net.connect() passes its normalised [options, callback] as one array.
      const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
      const options = (typeof first === 'object' && first !== null ? first : { port: first, host: second }) as {
        port?: number | string;
        host?: string;
        path?: string;
      };
      if (options.path === undefined) {
        if (SERVICE_PORTS.has(Number(options.port))) refuse(`a connection to port ${options.port}`);
        if (!LOOPBACK.has(options.host)) refuse(`a connection to ${options.host}`);
      }
      return connect.apply(this, args);
    },
    { guarded: true as const },
  ) as typeof net.Socket.prototype.connect;
