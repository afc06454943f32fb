import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';

export type App = Awaited<ReturnType<typeof buildApp>>;

/** The real app on a throwaway PGlite, listening on an ephemeral loopback port. */
export async function startApp(env: Record<string, string | undefined> = {}): Promise<{ app: App; url: string }> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-streams-')),
    DATABASE_URL: 'memory://',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: address };
}

/** Reads a whole response body as bytes. */
export async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}
