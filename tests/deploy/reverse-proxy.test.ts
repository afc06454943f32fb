/**
 * deploy/nginx/dpp.conf, run for real in front of the real server: only the ports, the upstream and
 * the certificate (a throwaway self-signed one) are changed for the test. HTTPS, the redirect from
 * HTTP, WebSocket upgrades on /ws and the /metrics lock-out must all work as docs/deploy.md says.
 * deploy/caddy/Caddyfile is checked with `caddy validate` where Caddy is installed.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp } from '../../apps/server/src/app.ts';
import { loadConfig } from '../../apps/server/src/config.ts';
import { freePort } from '../support/redis-server.ts';
import { hasTool, warnSkipping } from '../support/tools.ts';
import { waitFor } from '../support/wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PUBLIC_URL = 'https://dpp.example.com';

const nginx = hasTool('nginx', ['-v']) && hasTool('openssl', ['version']);
const caddy = hasTool('caddy', ['version']);
if (!nginx)
  warnSkipping('the nginx checks in tests/deploy/reverse-proxy.test.ts', 'nginx or openssl is not installed.');
if (!caddy) {
  warnSkipping(
    'the Caddy check in tests/deploy/reverse-proxy.test.ts',
    'caddy is not installed (Debian: apt-get install caddy).',
  );
}

describe.skipIf(!nginx)('deploy/nginx/dpp.conf in front of the server', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  let nginxProcess: ChildProcess | undefined;
  let https: string;
  let http: string;
  const insecure = new Agent({ connect: { rejectUnauthorized: false } });

  beforeAll(async () => {
    const config = loadConfig({
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-proxy-')),
      DATABASE_URL: 'memory://',
      PUBLIC_URL,
    });
    app = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');

    const dir = mkdtempSync(path.join(tmpdir(), 'dpp-nginx-'));
    chmodSync(dir, 0o755);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=dpp.example.com',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const site = readFileSync(path.join(ROOT, 'deploy/nginx/dpp.conf'), 'utf8')
      .replace(/^\s*listen \[::\]:.*$/gm, '')
      .replace(/listen 80;/, `listen 127.0.0.1:${httpPort};`)
      .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${httpsPort} ssl http2;`)
      .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${address.port};`)
      .replace(/\/etc\/letsencrypt\/live\/dpp\.example\.com\/fullchain\.pem/, path.join(dir, 'cert.pem'))
      .replace(/\/etc\/letsencrypt\/live\/dpp\.example\.com\/privkey\.pem/, path.join(dir, 'key.pem'));
    expect(site).toContain(`server 127.0.0.1:${address.port};`);
    writeFileSync(path.join(dir, 'dpp.conf'), site);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => ` ${kind}_temp_path ${dir};`);
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\n access_log off;\n${temp.join('\n')}\n include ${dir}/dpp.conf;\n}\n`,
    );
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')]);
    nginxProcess = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: 'ignore',
    });
    https = `https://127.0.0.1:${httpsPort}`;
    http = `http://127.0.0.1:${httpPort}`;
    await waitFor(async () => (await fetch(`${https}/healthz`, { dispatcher: insecure })).ok, {
      what: 'nginx serving',
      timeoutMs: 15_000,
    });
  });

  afterAll(async () => {
    if (nginxProcess && nginxProcess.exitCode === null) {
      const exited = new Promise((resolve) => nginxProcess!.once('exit', resolve));
      nginxProcess.kill('SIGQUIT');
      await exited;
    }
    await insecure.close();
    await app?.close();
  });

  it('serves the server over HTTPS and sends plain HTTP there', async () => {
    const ready = await fetch(`${https}/readyz`, { dispatcher: insecure });
    expect(ready.status).toBe(200);
    const redirect = await fetch(`${http}/healthz`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toMatch(/^https:\/\/127\.0\.0\.1\/healthz$/);
  });

  it('keeps /metrics off the public side (Prometheus scrapes each instance directly)', async () => {
    expect((await fetch(`${https}/metrics`, { dispatcher: insecure })).status).toBe(403);
  });

  it('carries room WebSockets (upgrade on /ws) both ways', async () => {
    const socket = new WebSocket(`${https.replace('https', 'wss')}/ws`, {
      origin: PUBLIC_URL,
      rejectUnauthorized: false,
    });
    const pong = new Promise<{ type: string; id: number }>((resolve, reject) => {
      socket.once('message', (data) => resolve(JSON.parse(data.toString())));
      socket.once('error', reject);
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'ping', id: 7, t0: 1 }));
    expect(await pong).toMatchObject({ type: 'pong', id: 7 });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.close();
    await closed;
  });
});

describe.skipIf(!caddy)('deploy/caddy/Caddyfile', () => {
  it('is accepted by caddy validate', () => {
    execFileSync('caddy', [
      'validate',
      '--adapter',
      'caddyfile',
      '--config',
      path.join(ROOT, 'deploy/caddy/Caddyfile'),
    ]);
  });
});
