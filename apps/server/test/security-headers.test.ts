import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

type App = Awaited<ReturnType<typeof buildApp>>;

/** A built activity as Vite lays it out: index.html, and content-hashed files under assets/. */
function fakeActivity(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'dpp-activity-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>activity</title>');
  writeFileSync(path.join(root, 'assets', 'index-3f9a1c.js'), 'console.log(1)');
  return root;
}

async function start(publicUrl: string): Promise<App> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')),
    DATABASE_URL: 'memory://',
    PUBLIC_URL: publicUrl,
  });
  return buildApp({ config, logger: false, activityRoot: fakeActivity() });
}

const directives = (csp: unknown): Map<string, string[]> =>
  new Map(
    String(csp)
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name as string, values]),
  );

describe('security headers', () => {
  let app: App;
  beforeAll(async () => {
    app = await start('http://localhost:3000');
  });
  afterAll(() => app.close());

  it.each([
    '/',
    '/index.html',
    '/some/activity/route',
    '/assets/index-3f9a1c.js',
    '/healthz',
    '/api/nothing-here',
    '/api/library',
  ])('%s carries the CSP, nosniff and a referrer policy', async (url) => {
    const response = await app.inject(url);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const csp = directives(response.headers['content-security-policy']);
    expect(csp.get('frame-ancestors')).toEqual([
      'https://discord.com',
      'https://*.discord.com',
      'https://*.discordsays.com',
      'http://localhost:3000',
    ]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('media-src')).toEqual(["'self'", 'blob:']);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    // frame-ancestors says who may frame; a SAMEORIGIN X-Frame-Options would contradict it.
    expect(response.headers['x-frame-options']).toBeUndefined();
    // Plain http: no HSTS, and requests are not upgraded.
    expect(response.headers['strict-transport-security']).toBeUndefined();
    expect(csp.has('upgrade-insecure-requests')).toBe(false);
  });

  it('index.html is revalidated on every load, hashed assets are immutable', async () => {
    for (const url of ['/', '/index.html', '/some/activity/route']) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['cache-control'], url).toBe('no-cache');
    }
    const asset = await app.inject('/assets/index-3f9a1c.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('/docs keeps working under the policy', async () => {
    const page = await app.inject('/docs/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBeDefined();
    // Swagger UI's page loads only its own scripts, which script-src 'self' allows.
    const scripts = [...page.body.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes, inline] of scripts) {
      expect(attributes).toMatch(/src="\.?\/?[^":]+"/);
      expect(inline?.trim()).toBe('');
    }
    const json = await app.inject('/docs/json');
    expect(json.statusCode).toBe(200);
  });
});

describe('security headers behind https', () => {
  let app: App;
  beforeAll(async () => {
    app = await start('https://watch.example.org');
  });
  afterAll(() => app.close());

  it('adds HSTS, upgrades requests, and lets PUBLIC_URL frame itself', async () => {
    const response = await app.inject('/');
    expect(response.headers['strict-transport-security']).toMatch(/^max-age=\d{7,}$/);
    const csp = directives(response.headers['content-security-policy']);
    expect(csp.has('upgrade-insecure-requests')).toBe(true);
    expect(csp.get('frame-ancestors')?.at(-1)).toBe('https://watch.example.org');
  });
});
