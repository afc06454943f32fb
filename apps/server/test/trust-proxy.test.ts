import { CLOSE_CODES } from '@dpp/shared';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, parseEnv } from '../src/config.ts';
import { type App, startApp } from './streams/support/stream-app.ts';

let app: App | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** 310 requests to /api/me, each claiming another client address in X-Forwarded-For. */
async function spoofedBurst(target: App): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < 310; i++) {
    const response = await target.inject({
      method: 'GET',
      url: '/api/me',
      headers: { 'x-forwarded-for': `203.0.113.${i % 250}, 198.51.100.${i % 200}` },
    });
    statuses.push(response.statusCode);
  }
  return statuses;
}

describe('TRUST_PROXY', () => {
  it.each([
    [{}, false],
    [{ TRUST_PROXY: '' }, false],
    [{ TRUST_PROXY: 'false' }, false],
    [{ TRUST_PROXY: 'true' }, true],
    [{ TRUST_PROXY: '2' }, 2],
    [{ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1/128,loopback' }, ['10.0.0.0/8', '127.0.0.1', '::1/128', 'loopback']],
  ])('reads %j', (env, expected) => {
    expect(parseEnv(env).TRUST_PROXY).toEqual(expected);
  });

  it.each(['yes', '10.0.0.0/33', 'proxy.internal', '10.0.0.1,,'])('refuses TRUST_PROXY=%j with one line', (value) => {
    expect(() => parseEnv({ TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => parseEnv({ TRUST_PROXY: value })).toThrow(/^TRUST_PROXY must be true, a hop count, or /);
  });

  it('by default believes no X-Forwarded-For: spoofing it does not escape the per-address limit', async () => {
    ({ app } = await startApp());
    const statuses = await spoofedBurst(app);
    expect(statuses.slice(0, 300).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(300).every((status) => status === 429)).toBe(true);
  });

  it('behind a trusted proxy, counts each forwarded client on its own', async () => {
    ({ app } = await startApp({ TRUST_PROXY: '127.0.0.1' }));
    const statuses = await spoofedBurst(app);
    // The proxy (127.0.0.1, what inject connects from) is trusted, so each forwarded client
    // (the right-most untrusted address) has a budget of its own.
    expect(statuses.includes(429)).toBe(false);
    const ip = await app.inject({ method: 'GET', url: '/api/nothing', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(ip.statusCode).toBe(404);
  });
});

/** Opens a room socket; resolves with it once open, or with the close code and reason it got instead. */
function connect(url: string): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

describe('room sockets per client address', () => {
  it('refuses a socket past the open cap with a typed close, and admits one again after a close', async () => {
    let url: string;
    ({ app, url } = await startApp({ WS_SOCKETS_PER_ADDRESS: '3' }));
    const held = await Promise.all([connect(url), connect(url), connect(url)]);
    const fourth = await connect(url);
    expect(await fourth.closed).toEqual({ code: CLOSE_CODES.rateLimited.code, reason: 'too many open connections' });
    held[0]?.socket.close();
    await held[0]?.closed;
    const again = await connect(url);
    expect(again.socket.readyState).toBe(WebSocket.OPEN);
    // Still open: it was admitted, not refused.
    again.socket.close();
    expect((await again.closed).code).not.toBe(CLOSE_CODES.rateLimited.code);
    for (const { socket } of held) socket.close();
  });

  it('refuses upgrade attempts past 4× the cap a minute, even when each socket closes at once', async () => {
    let url: string;
    ({ app, url } = await startApp({ WS_SOCKETS_PER_ADDRESS: '2' }));
    const codes: number[] = [];
    const reasons: string[] = [];
    for (let i = 0; i < 9; i++) {
      const { socket, closed } = await connect(url);
      socket.close();
      const result = await closed;
      codes.push(result.code);
      reasons.push(result.reason);
    }
    expect(codes.slice(0, 8).every((code) => code !== CLOSE_CODES.rateLimited.code)).toBe(true);
    expect(codes[8]).toBe(CLOSE_CODES.rateLimited.code);
    expect(reasons[8]).toBe('too many connection attempts');
  });
});
