import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_DATABASE_URL } from '../../../../tests/support/services.ts';
import { MIGRATIONS_DIR, openDatabase } from '../../src/db/database.ts';

/** Everything about the public schema that a migration decides: columns, constraints, indexes. */
const CATALOG = `
  select 'column' as kind, table_name || '.' || column_name as name,
         concat_ws(' ', data_type, is_nullable, column_default) as definition
    from information_schema.columns where table_schema = 'public'
  union all
  select 'constraint', tc.table_name || '.' || tc.constraint_name, tc.constraint_type || ' ' || pg_get_constraintdef(c.oid)
    from information_schema.table_constraints tc
    join pg_constraint c on c.conname = tc.constraint_name
    join pg_namespace n on n.oid = c.connamespace and n.nspname = 'public'
   where tc.table_schema = 'public' and tc.constraint_type <> 'CHECK'
  union all
  select 'index', tablename || '.' || indexname, indexdef from pg_indexes where schemaname = 'public'
  order by 1, 2`;

type Row = { kind: string; name: string; definition: string };

const services = inject('services');

describe.skipIf(!services.postgres)('migrations on PGlite and on PostgreSQL', () => {
  const dbName = `dpp_catalog_${randomUUID().replaceAll('-', '')}`;
  let admin: pg.Client;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
  });
  afterAll(async () => {
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  it('produce the same catalog', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${dbName}`;
    const real = await openDatabase({ kind: 'postgres', url: url.toString() });
    const realPool = new pg.Client({ connectionString: url.toString() });
    await realPool.connect();
    const realRows = (await realPool.query<Row>(CATALOG)).rows;
    await realPool.end();
    await real.close();

    const lite = await PGlite.create();
    await migrate(drizzle(lite), { migrationsFolder: MIGRATIONS_DIR });
    const liteRows = (await lite.query<Row>(CATALOG)).rows;
    await lite.close();

    expect(realRows.length).toBeGreaterThan(30);
    expect(liteRows).toEqual(realRows);
    const tables = new Set(realRows.filter((r) => r.kind === 'column').map((r) => r.name.split('.')[0]));
    expect([...tables].sort()).toEqual([
      'audit_log',
      'guild_progress',
      'guilds',
      'play_progress',
      'plex_accounts',
      'plex_device_keys',
      'plex_servers',
      'rooms',
      'users',
      'watch_sessions',
    ]);
  });

  it('apply twice without error (start-up is idempotent)', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${dbName}`;
    const again = await openDatabase({ kind: 'postgres', url: url.toString() });
    await again.ping();
    await again.close();
  });
});
