import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { TEST_DATABASE_URL } from '../../../../../tests/support/services.ts';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';

export type App = Awaited<ReturnType<typeof buildApp>>;

/** The real app, built from an environment as the process would be (silent logs, throwaway data dir). */
export async function buildTestApp(env: Record<string, string | undefined>): Promise<App> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-lib-')),
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: 'memory://',
    ...env,
  });
  return buildApp({ config, logger: false, activityRoot: '/nonexistent' });
}

/** A database of its own on the real PostgreSQL, dropped by `drop`. */
export async function postgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `dpp_plex_${randomUUID().replaceAll('-', '')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** A guest session (dev auth mode): the Authorization header to send. */
export async function signIn(app: App, name = 'Tester'): Promise<{ authorization: string; userId: string }> {
  const response = await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name } });
  if (response.statusCode !== 200) throw new Error(`dev sign-in failed: ${response.statusCode} ${response.body}`);
  const body = response.json<{ token: string; user: { id: string } }>();
  return { authorization: `Bearer ${body.token}`, userId: body.user.id };
}
