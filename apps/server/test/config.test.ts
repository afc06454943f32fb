import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseEnv } from '../src/config.ts';

const SERVER = path.resolve(import.meta.dirname, '../src/server.ts');
const TSX = path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx');

function runServer(env: Record<string, string>) {
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(TSX, [SERVER], {
      env: { PATH: process.env.PATH, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')), ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('configuration', () => {
  it('has defaults for everything, so an empty environment runs', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    // PUBLIC_URL follows PORT: loadConfig makes it http://localhost:<PORT> (origins.test.ts).
    expect(env.PUBLIC_URL).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT must be a port number \(got "abc"\)$/],
    [{ PORT: '70000' }, /^PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'nonsense' }, /^DATABASE_URL must be a URL starting with postgres:\/\//],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL must be a URL starting with redis:\/\//],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL /],
    [{ SECRET_KEY: 'short' }, /^SECRET_KEY must be 32 bytes/],
    [{ DISCORD_CLIENT_ID: '123' }, /^DISCORD_CLIENT_SECRET is required when any Discord credential is set/],
    [{ PLEX_URL: 'http://plex:32400' }, /^PLEX_TOKEN is required/],
    [{ NODE_ENV: 'production' }, /^DISCORD_CLIENT_ID is required in production/],
    [{ STREAM_CHUNK_KB: '8' }, /^STREAM_CHUNK_KB must be between 16 and 16384 \(KiB\) \(got "8"\)$/],
    [{ STREAM_CHUNK_KB: 'lots' }, /^STREAM_CHUNK_KB must be a number of KiB/],
  ])('rejects %j with one line naming the variable', (env, message) => {
    expect(() => parseEnv(env)).toThrow(ConfigError);
    expect(() => parseEnv(env)).toThrow(message);
  });

  it('never echoes a secret value in the error', () => {
    expect(() => parseEnv({ SECRET_KEY: 'hunter2-is-my-secret' })).toThrow(/^SECRET_KEY [^"]*$/);
    // A DSN carries its key: a malformed one is named, never shown.
    expect(() => parseEnv({ SENTRY_DSN: 'https://sentry.example.com/hunter2' })).toThrow(
      /^SENTRY_DSN must be a Sentry DSN: https:\/\/<key>@<host>\/<project id>[^"]*$/,
    );
  });

  it('reports errors to Sentry only with SENTRY_DSN, filed under NODE_ENV unless SENTRY_ENVIRONMENT says', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-config-'));
    expect(loadConfig({ DATA_DIR: dataDir }).sentry).toBeUndefined();
    expect(loadConfig({ DATA_DIR: dataDir, SENTRY_DSN: 'https://k3y@o1.ingest.sentry.io/42' }).sentry).toEqual({
      dsn: 'https://k3y@o1.ingest.sentry.io/42',
      environment: 'development',
    });
    expect(
      loadConfig({ DATA_DIR: dataDir, SENTRY_DSN: 'https://k3y@o1.ingest.sentry.io/42', SENTRY_ENVIRONMENT: 'staging' })
        .sentry?.environment,
    ).toBe('staging');
  });

  it.each([
    ['DATABASE_URL', 'mysql://admin:hunter2@db.internal/dpp'],
    ['DATABASE_URL', 'postgres//admin:hunter2@db.internal/dpp'],
    ['REDIS_URL', 'http://default:hunter2@redis.internal:6379'],
    ['PLEX_URL', 'ftp://plex:hunter2@plex.internal:32400'],
  ])('shows a bad %s with its password masked', (name, value) => {
    const error = (() => {
      try {
        parseEnv({ [name]: value, PLEX_TOKEN: 'x' });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^${name} `));
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain(':***@');
  });

  it('maps DATABASE_URL to PGlite on disk, in memory, or PostgreSQL', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-'));
    expect(loadConfig({ DATA_DIR: dataDir }).database).toEqual({
      kind: 'pglite',
      dataDir: path.join(dataDir, 'pglite'),
    });
    expect(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'memory://' }).database).toEqual({
      kind: 'pglite',
      dataDir: undefined,
    });
    expect(loadConfig({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://u@db/x' }).database).toEqual({
      kind: 'postgres',
      url: 'postgres://u@db/x',
      timeouts: { connectMs: 1000, statementMs: 1500 },
    });
    const tuned = loadConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: 'postgres://u@db/x',
      DATABASE_CONNECT_TIMEOUT_MS: '3000',
      DATABASE_STATEMENT_TIMEOUT_MS: '20000',
    });
    expect(tuned.database).toMatchObject({ timeouts: { connectMs: 3000, statementMs: 20000 } });
    expect(() => loadConfig({ DATA_DIR: dataDir, DATABASE_STATEMENT_TIMEOUT_MS: '5' })).toThrow(
      'DATABASE_STATEMENT_TIMEOUT_MS must be between 100 and 600000 (ms) (got "5")',
    );
  });

  it('generates the dev secrets once and keeps them in the data directory', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dpp-'));
    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(first.secretKey).toHaveLength(32);
    expect(second.secretKey.equals(first.secretKey)).toBe(true);
    expect(second.botApiToken).toBe(first.botApiToken);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL'],
  ])('the server process stops with a non-zero exit and one line for %j', async (env, name) => {
    const { code, stderr } = await runServer(env);
    expect(code).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Configuration error: ${name} `));
  });

  it('a database it cannot reach is reported without the password of its URL', async () => {
    const { code, stderr } = await runServer({ DATABASE_URL: 'postgres://dpp:hunter2@127.0.0.1:1/dpp' });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/^Failed to start: /m);
    expect(stderr).not.toContain('hunter2');
  });
});
