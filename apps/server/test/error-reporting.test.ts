import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../tests/fakes/plex/index.ts';
import { logModules } from '../../../tests/support/module-log.ts';
import { type SentryReceiver, startSentryReceiver } from '../../../tests/support/sentry-receiver.ts';
import { waitFor } from '../../../tests/support/wait.ts';
import { buildTestApp } from './rooms/support/test-app.ts';

const SECRET_KEY = randomBytes(32).toString('base64');
const BOT_API_TOKEN = randomBytes(24).toString('base64url');

/** A Sentry envelope as the activity's browser SDK sends it to the tunnel. */
function browserEnvelope(event: Record<string, unknown>): string {
  const header = {
    event_id: 'a'.repeat(32),
    sent_at: new Date().toISOString(),
    dsn: 'https://activity@errors.invalid/1',
  };
  return [JSON.stringify(header), JSON.stringify({ type: 'event' }), JSON.stringify(event)].join('\n');
}

describe('Sentry error reporting (SENTRY_DSN)', () => {
  // From here on, every module of Sentry's this process loads.
  const sentryModules = logModules(/\/@sentry\//);
  let receiver: SentryReceiver;
  let plex: FakePlex;

  beforeAll(async () => {
    receiver = await startSentryReceiver();
    plex = await startFakePlex();
  });
  afterEach(() => {
    plex.faults.clear();
    receiver.envelopes.length = 0;
  });
  afterAll(async () => {
    await plex?.close();
    await receiver?.close();
  });

  it('is off and costless when unset: no SDK loaded, no tunnel, nothing sent', async () => {
    const app = await buildTestApp({ DATABASE_URL: 'memory://', PLEX_URL: plex.url, PLEX_TOKEN: plex.token });
    try {
      expect(app.errorReporting).toBeUndefined();
      expect((await app.inject('/api/client-config')).json()).toEqual({ errorReporting: null });
      const tunnel = await app.inject({
        method: 'POST',
        url: '/api/client-errors',
        headers: { 'content-type': 'text/plain' },
        payload: browserEnvelope({}),
      });
      expect(tunnel.statusCode).toBe(404);

      plex.faults.error('sections', 401);
      const { token } = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'A' } })).json();
      const failed = await app.inject({ url: '/api/library/sections', headers: { authorization: `Bearer ${token}` } });
      expect(failed.statusCode).toBe(502);
    } finally {
      await app.close();
    }
    // Nothing started Sentry (its state lives on a global once started), and no module of it was loaded.
    expect((globalThis as { __SENTRY__?: unknown }).__SENTRY__).toBeUndefined();
    expect(sentryModules.loaded).toEqual([]);
    expect(receiver.envelopes).toEqual([]);
  }, 90_000);

  it("reports a 5xx by route, and passes the activity's reports on, with no secret in any envelope", async () => {
    const app = await buildTestApp({
      DATABASE_URL: 'memory://',
      PLEX_URL: plex.url,
      PLEX_TOKEN: plex.token,
      SECRET_KEY,
      BOT_API_TOKEN,
      SENTRY_DSN: receiver.dsn,
      SENTRY_ENVIRONMENT: 'staging',
    });
    let sessionToken = '';
    try {
      expect((await app.inject('/api/client-config')).json()).toEqual({
        errorReporting: { environment: 'staging', tunnel: '/api/client-errors' },
      });
      sessionToken = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'Ada' } })).json()
        .token;

      // A 5xx from the error handler: Plex refuses the server's token, the server answers 502.
      plex.faults.error('sections', 401);
      const failed = await app.inject({
        url: `/api/library/sections?token=${sessionToken}&X-Plex-Token=${plex.token}`,
        headers: { authorization: `Bearer ${sessionToken}`, cookie: `session=${sessionToken}` },
      });
      expect(failed.statusCode).toBe(502);

      // The activity's report, through the tunnel: secrets the page let slip are cut out on the way.
      const tunnel = await app.inject({
        method: 'POST',
        url: '/api/client-errors',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        payload: browserEnvelope({
          event_id: 'a'.repeat(32),
          platform: 'javascript',
          exception: { values: [{ type: 'Error', value: `boom with ${sessionToken}` }] },
          request: {
            url: `http://activity.test/?token=${sessionToken}`,
            headers: { Authorization: `Bearer ${sessionToken}` },
          },
          extra: { plexToken: plex.token, note: `key ${SECRET_KEY}` },
        }),
      });
      expect(tunnel.statusCode).toBe(200);
      const notEnvelope = await app.inject({
        method: 'POST',
        url: '/api/client-errors',
        headers: { 'content-type': 'text/plain' },
        payload: 'not an envelope',
      });
      expect(notEnvelope.statusCode).toBe(400);
      expect(notEnvelope.json().error.code).toBe('bad_request');

      await waitFor(() => receiver.events().length >= 2, { timeoutMs: 10_000, what: 'two events at the receiver' });
    } finally {
      await app.close();
    }

    // The module log does see the SDK when it is used (so its silence above means something).
    expect(sentryModules.loaded.some((url) => url.includes('/@sentry/node/'))).toBe(true);

    const [serverEvent, activityEvent] = [
      receiver.events().find((e) => e.tags?.service === 'server'),
      receiver.events().find((e) => e.exception?.values?.[0]?.value?.startsWith('boom')),
    ];
    expect(serverEvent?.tags).toMatchObject({ route: '/api/library/sections', method: 'GET', status: '502' });
    expect(serverEvent?.environment).toBe('staging');
    expect(serverEvent?.exception?.values?.[0]?.type).toBe('HttpError');
    expect(activityEvent?.exception?.values?.[0]?.value).toBe('boom with [redacted]');
    expect(activityEvent?.request).toEqual({ url: 'http://activity.test/' });
    // Sent with the server's DSN; the browser's placeholder stays behind.
    for (const envelope of receiver.envelopes) expect(envelope.header.dsn ?? receiver.dsn).toBe(receiver.dsn);

    const everything = receiver.everything();
    for (const secret of [plex.token, sessionToken, SECRET_KEY, BOT_API_TOKEN])
      expect(everything).not.toContain(secret);
    expect(everything).not.toContain('errors.invalid');
  }, 90_000);
});
