import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../tests/support/redis-server.ts';
import { waitFor } from '../../../tests/support/wait.ts';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

describe('operations endpoints', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;

  beforeAll(async () => {
    const config = loadConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')), DATABASE_URL: 'memory://' });
    app = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });
  });
  afterAll(() => app.close());

  it('/healthz says the process is alive', async () => {
    const response = await app.inject('/healthz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz reports the database and the cache', async () => {
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'ready',
      database: { status: 'ok', kind: 'pglite' },
      cache: { status: 'ok', kind: 'memory' },
    });
  });

  it('/metrics speaks the Prometheus text format', async () => {
    await app.inject('/healthz');
    const response = await app.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toMatch(/^# HELP dpp_http_requests_total /m);
    expect(response.body).toMatch(/^dpp_http_requests_total\{method="GET",route="\/healthz",status="2xx"\} \d+$/m);
    expect(response.body).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('/docs serves the OpenAPI document generated from the route schemas', async () => {
    const ui = await app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    const document = (await app.inject('/docs/json')).json();
    expect(document.openapi).toMatch(/^3\./);
    expect(document.paths['/readyz'].get.responses['200'].content['application/json'].schema.properties).toHaveProperty(
      'database',
    );
  });

  it('answers unknown API routes with a JSON error, and other pages with the activity', async () => {
    const api = await app.inject('/api/nothing-here');
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /api/nothing-here' } });
    const page = await app.inject('/some/deep/link');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('the server process', () => {
  it('serves, then closes cleanly on SIGTERM and SIGINT', { timeout: 60_000 }, async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const port = await freePort();
      const child = spawn(
        path.resolve(import.meta.dirname, '../../../node_modules/.bin/tsx'),
        [path.resolve(import.meta.dirname, '../src/server.ts')],
        {
          env: {
            PATH: process.env.PATH,
            PORT: String(port),
            DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')),
            LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok, {
        timeoutMs: 30_000,
        what: 'the server to be ready',
      });
      child.kill(signal);
      expect(await exited).toBe(0);
      expect(output).toContain(`"signal":"${signal}"`);
    }
  });
});
