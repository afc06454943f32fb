import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-server.ts';
import { waitFor } from './wait.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The real server entry point (apps/server/src/server.ts) as a child process on a fixed loopback port,
 * so a test can SIGKILL or SIGTERM it and start it again where its clients reconnect.
 */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  /** What the process wrote on stderr and stdout (its logs), for a failing test's message. */
  output = '';

  private constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  static async start(env: Record<string, string>, port?: number): Promise<ServerProcess> {
    const server = new ServerProcess(port ?? (await freePort()), env);
    await server.up();
    return server;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get pid() {
    return this.child?.pid;
  }

  /** Starts the process and resolves once `/readyz` answers 200. */
  async up(): Promise<void> {
    // Node with tsx's loader (not the tsx CLI), so signals reach the server itself.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'apps/server/src/server.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PUBLIC_URL: this.url,
        ...this.env,
        PORT: String(this.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk) => {
      this.output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      this.output += chunk;
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${this.output}`);
        return (await fetch(`${this.url}/readyz`).catch(() => undefined))?.ok;
      },
      { timeoutMs: 120_000, intervalMs: 100, what: `the server on ${this.port} to be ready` },
    );
  }

  /** Sends a signal and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child || !this.exited) return { code: null, signal: null };
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const result = await this.exited;
    this.child = undefined;
    return result;
  }

  /** Stops whatever is left at the end of a test. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
  }
}
