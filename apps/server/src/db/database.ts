import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import type { Config } from '../config.ts';
import * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  kind: 'postgres' | 'pglite';
  db: Db;
  /** Runs a trivial query; rejects when the database cannot answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../drizzle', import.meta.url));

/** Key of the PostgreSQL advisory lock that instances starting together take to migrate one at a time. */
const MIGRATION_LOCK = 0x64707001;

/**
 * Applies the migrations holding a session-level advisory lock, so instances starting at once take
 * turns: the first applies them, the others find them applied. The lock dies with its connection.
 */
async function migrateLocked(url: string, connectMs: number): Promise<void> {
  // A connection of its own, without the pool's statement timeouts: waiting for the lock while another
  // instance migrates, or a long migration, is normal here.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectMs * 10 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Whether an error means the database did not answer (refused, timed out, connection lost), as
 * opposed to a bug or a constraint: callers answer 503 and queue what must not be lost.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    if (/timeout|terminated|Connection ended|not queryable|ECONNREFUSED|ECONNRESET/i.test(cause.message)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now
  '57014', // query_canceled (statement_timeout)
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);

/** Opens the configured database and applies the migrations in drizzle/ before returning. */
export async function openDatabase(target: Config['database']): Promise<Database> {
  if (target.kind === 'postgres') {
    const { connectMs, statementMs } = target.timeouts ?? { connectMs: 1000, statementMs: 1500 };
    await migrateLocked(target.url, connectMs);
    const pool = new pg.Pool({
      connectionString: target.url,
      max: 10,
      connectionTimeoutMillis: connectMs,
      // The server cancels a slow statement; the client gives up on a database that stopped answering.
      statement_timeout: statementMs,
      query_timeout: statementMs + 250,
      // A dead peer (no RST) is noticed on idle connections too.
      keepAlive: true,
    });
    // A pool error on an idle client must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const db = drizzlePg(pool, { schema });
    return {
      kind: 'postgres',
      db: db as unknown as Db,
      ping: async () => void (await db.execute(sql`select 1`)),
      // A pool whose clients are stuck on a dead peer may never end on its own: bounded by the timeouts.
      close: () =>
        Promise.race([
          pool.end(),
          new Promise<void>((resolve) => setTimeout(resolve, connectMs + statementMs).unref()),
        ]),
    };
  }
  if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
  const client = await PGlite.create(target.dataDir);
  const db = drizzlePglite(client, { schema });
  try {
    await migratePglite(db, { migrationsFolder: MIGRATIONS_DIR });
  } catch (error) {
    await client.close();
    throw error;
  }
  return {
    kind: 'pglite',
    db: db as unknown as Db,
    ping: async () => void (await db.execute(sql`select 1`)),
    close: () => client.close(),
  };
}
