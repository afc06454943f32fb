import { randomUUID } from 'node:crypto';
import { is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_DATABASE_URL } from '../../../../tests/support/services.ts';
import { type Database, openDatabase } from '../../src/db/database.ts';
import * as schema from '../../src/db/schema.ts';

const services = inject('services');

describe.skipIf(!services.postgres)('instances starting together on one empty PostgreSQL', () => {
  const dbName = `dpp_lock_${randomUUID().replaceAll('-', '')}`;
  let admin: pg.Client;
  const opened: Database[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
  });
  afterAll(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  it('all start: the migrations are applied once, one instance at a time', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${dbName}`;
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () => openDatabase({ kind: 'postgres', url: url.toString() })),
    );
    for (const result of results) if (result.status === 'fulfilled') opened.push(result.value);
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
    const check = new pg.Client({ connectionString: url.toString() });
    await check.connect();
    try {
      const applied = await check.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      const tables = await check.query(
        "select count(*)::int as n from information_schema.tables where table_schema = 'public'",
      );
      expect(applied.rows[0].n).toBeGreaterThan(0);
      // Every table the schema declares, each created once.
      expect(tables.rows[0].n).toBe(Object.values(schema).filter((value) => is(value, PgTable)).length);
    } finally {
      await check.end();
    }
  });
});
