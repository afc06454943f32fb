import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { TEST_DATABASE_URL } from '../../../../../tests/support/services.ts';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';

export type App = Awaited<ReturnType<typeof buildApp>>;

/** A database of its own on the real PostgreSQL (dropped by `drop`), or a throwaway PGlite without one. */
export async function testDatabase(postgres: boolean): Promise<{ url: string; drop(): Promise<void> }> {
  if (!postgres) return { url: 'memory://', drop: async () => {} };
  const name = `dpp_test_${randomUUID().replaceAll('-', '')}`;
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

/** The real app, built from an environment like the process would be. */
export async function buildTestApp(env: Record<string, string | undefined>): Promise<App> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')),
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...env,
  });
  return buildApp({ config, logger: false, activityRoot: '/nonexistent' });
}
