import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { CLOSE_CODES, PROTOCOL_VERSION } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DiscordProxyVerifier } from '../../src/auth/discord-proxy.ts';
import { type App, startApp } from '../streams/support/stream-app.ts';

/** A key pair standing in for the application's (Discord holds the private half). */
function applicationKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const hex = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  return { hex, privateKey };
}

/** The headers Discord's activity proxy adds, signed as Discord signs them. */
function proxyHeaders(
  privateKey: KeyObject,
  payload: Record<string, unknown>,
  options: { encoding?: 'base64' | 'hex'; timestamp?: string } = {},
): Record<string, string> {
  const bytes = Buffer.from(JSON.stringify(payload));
  return {
    'x-discord-proxy-payload': bytes.toString('base64'),
    'x-signature-ed25519': sign(null, bytes, privateKey).toString(options.encoding ?? 'base64'),
    'x-signature-timestamp': options.timestamp ?? String(payload.created_at),
  };
}

const NOW_S = 1_800_000_000;
const ALICE = '81384788765712384';

describe('Discord activity proxy signatures', () => {
  const keys = applicationKeys();
  const verifier = new DiscordProxyVerifier(keys.hex, () => NOW_S * 1000);
  const payload = { created_at: NOW_S, expires_at: NOW_S + 300, user_id: ALICE };

  it('accepts what Discord signed (base64 or hex signature) and names the user', () => {
    expect(verifier.check(proxyHeaders(keys.privateKey, payload))).toEqual({ ok: true, userId: ALICE });
    expect(verifier.check(proxyHeaders(keys.privateKey, payload, { encoding: 'hex' }))).toEqual({
      ok: true,
      userId: ALICE,
    });
    const nested = { created_at: NOW_S, expires_at: NOW_S + 300, user: { id: ALICE } };
    expect(verifier.check(proxyHeaders(keys.privateKey, nested))).toEqual({ ok: true, userId: ALICE });
  });

  it('refuses another key, an altered payload, a wrong timestamp, an expired payload, or none', () => {
    const other = applicationKeys();
    expect(verifier.check(proxyHeaders(other.privateKey, payload))).toEqual({ ok: false, reason: 'signature' });
    const headers = proxyHeaders(keys.privateKey, payload);
    const altered = {
      ...headers,
      'x-discord-proxy-payload': Buffer.from(JSON.stringify({ ...payload, user_id: '1' })).toString('base64'),
    };
    expect(verifier.check(altered)).toEqual({ ok: false, reason: 'signature' });
    expect(verifier.check(proxyHeaders(keys.privateKey, payload, { timestamp: String(NOW_S - 1) }))).toEqual({
      ok: false,
      reason: 'timestamp',
    });
    const old = { ...payload, created_at: NOW_S - 600, expires_at: NOW_S - 1 };
    expect(verifier.check(proxyHeaders(keys.privateKey, old))).toEqual({ ok: false, reason: 'expired' });
    expect(verifier.check({})).toEqual({ ok: false, reason: 'missing' });
  });

  describe('in the app', () => {
    let app: App;
    let base: string;
    const metricsToken = 'metrics-token-for-the-scraper';

    beforeAll(async () => {
      ({ app, url: base } = await startApp({ DISCORD_PUBLIC_KEY: keys.hex, METRICS_TOKEN: metricsToken }));
    });
    afterAll(() => app?.close());

    it("takes a Discord user's session only with Discord's signature for that same user", async () => {
      const { token } = app.sessions.sign({
        userId: crypto.randomUUID(),
        discordId: ALICE,
        name: 'Alice',
        avatar: null,
      });
      const auth = { authorization: `Bearer ${token}` };
      const now = Math.floor(Date.now() / 1000);
      const signedFor = (user: string) =>
        proxyHeaders(keys.privateKey, { created_at: now, expires_at: now + 300, user_id: user });

      const bare = await fetch(`${base}/api/me`, { headers: auth });
      expect(bare.status).toBe(401);
      expect(((await bare.json()) as { error: { code: string } }).error.code).toBe('proxy_unverified');
      const forAlice = await fetch(`${base}/api/me`, { headers: { ...auth, ...signedFor(ALICE) } });
      expect(forAlice.status).toBe(200);
      const forSomeoneElse = await fetch(`${base}/api/me`, { headers: { ...auth, ...signedFor('42') } });
      expect(forSomeoneElse.status).toBe(403);
      expect(((await forSomeoneElse.json()) as { error: { code: string } }).error.code).toBe('proxy_user_mismatch');
    });

    /** Opens the room socket with these upgrade headers, says hello, and reports how it went. */
    const joinRoom = (token: string, headers: Record<string, string>) =>
      new Promise<{ welcomed: boolean; error?: string; code?: number; reason?: string }>((resolve, reject) => {
        const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`, { headers, perMessageDeflate: false });
        let error: string | undefined;
        socket.once('open', () =>
          socket.send(
            JSON.stringify({ type: 'hello', protocolVersion: PROTOCOL_VERSION, token, roomId: 'dev:proxy-ws' }),
          ),
        );
        socket.on('message', (data) => {
          const frame = JSON.parse(data.toString()) as { type: string; code?: string };
          if (frame.type === 'error') error = frame.code;
          if (frame.type === 'welcome') {
            socket.close(1000);
            resolve({ welcomed: true });
          }
        });
        socket.once('close', (code, reason) => resolve({ welcomed: false, error, code, reason: reason.toString() }));
        socket.once('error', reject);
      });

    it("joins a room over the WebSocket only with Discord's signature for the session's user", async () => {
      const { token } = app.sessions.sign({
        userId: crypto.randomUUID(),
        discordId: ALICE,
        name: 'Alice',
        avatar: null,
      });
      const now = Math.floor(Date.now() / 1000);
      const signedFor = (user: string) =>
        proxyHeaders(keys.privateKey, { created_at: now, expires_at: now + 300, user_id: user });

      expect(await joinRoom(token, signedFor(ALICE))).toEqual({ welcomed: true });

      const bare = await joinRoom(token, {});
      expect(bare).toMatchObject({ welcomed: false, error: 'unauthorized', code: CLOSE_CODES.unauthorized.code });
      expect(bare.reason).toMatch(/^proxy_unverified/);

      const forged = await joinRoom(
        token,
        proxyHeaders(applicationKeys().privateKey, { created_at: now, user_id: ALICE }),
      );
      expect(forged).toMatchObject({ welcomed: false, code: CLOSE_CODES.unauthorized.code });
      expect(forged.reason).toMatch(/^proxy_unverified.*signature/);

      const forSomeoneElse = await joinRoom(token, signedFor('42'));
      expect(forSomeoneElse).toMatchObject({ welcomed: false, error: 'forbidden', code: CLOSE_CODES.forbidden.code });
      expect(forSomeoneElse.reason).toMatch(/^proxy_user_mismatch/);

      // A guest (dev sign-in) has no Discord identity to sign: as on HTTP, it is not asked for one.
      const guest = app.sessions.sign({
        userId: crypto.randomUUID(),
        discordId: `guest:${crypto.randomUUID()}`,
        name: 'Guest',
        avatar: null,
      });
      expect(await joinRoom(guest.token, {})).toEqual({ welcomed: true });
    });

    it('serves /metrics only with METRICS_TOKEN as a bearer token', async () => {
      const none = await fetch(`${base}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(
        (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-xxxxxxxx' } })).status,
      ).toBe(401);
      const scraped = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toMatch(/^# HELP /m);
    });
  });
});
