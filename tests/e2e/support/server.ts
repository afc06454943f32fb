import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../../apps/server/src/app.ts';
import { loadConfig } from '../../../apps/server/src/config.ts';
import { freePort } from '../../support/redis-server.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ACTIVITY_DIR = path.join(REPO_ROOT, 'apps/activity');
export const ACTIVITY_DIST = path.join(ACTIVITY_DIR, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Builds the activity (a production build) when dist is missing or older than its sources (the
 * activity's own files and the shared package it bundles), or always with `force`. Synchronous on
 * purpose: one build, before any browser starts.
 */
export function ensureActivityBuilt({ force = false }: { force?: boolean } = {}): void {
  const index = path.join(ACTIVITY_DIST, 'index.html');
  const sources = Math.max(
    newestMtime(path.join(ACTIVITY_DIR, 'src')),
    newestMtime(path.join(REPO_ROOT, 'packages/shared/src')),
    statSync(path.join(ACTIVITY_DIR, 'index.html')).mtimeMs,
    statSync(path.join(ACTIVITY_DIR, 'vite.config.ts')).mtimeMs,
  );
  if (!force && existsSync(index) && statSync(index).mtimeMs >= sources) return;
  console.info(`[e2e] building the activity (${force ? 'a fresh production build' : 'dist is missing or stale'})…`);
  // Vitest runs with NODE_ENV=test, which would make Vite bundle React's development build.
  execFileSync('pnpm', ['--filter', '@dpp/activity', 'build'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

export interface RunningServer {
  url: string;
  app: Awaited<ReturnType<typeof buildApp>>;
  close(): Promise<void>;
}

/**
 * The real server, in this process, on a free loopback port: embedded throwaway PGlite, the
 * in-process cache and bus, dev auth, the demo library, the built activity.
 */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-e2e-'));
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: url,
    DATABASE_URL: 'memory://',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await buildApp({ config, logger: false, activityRoot: ACTIVITY_DIST });
  await app.listen({ port, host: '127.0.0.1' });
  return {
    url,
    app,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
