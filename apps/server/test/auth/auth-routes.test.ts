import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionTokens } from '../../src/auth/session-tokens.ts';
import { users } from '../../src/db/schema.ts';
import { type App, buildTestApp, testDatabase } from '../rooms/support/test-app.ts';

const services = inject('services');
const BOT_TOKEN = randomBytes(24).toString('base64url');

describe(`sign-in and sessions (${services.postgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let app: App;
  let database: Awaited<ReturnType<typeof testDatabase>>;

  beforeAll(async () => {
    database = await testDatabase(services.postgres);
    app = await buildTestApp({ DATABASE_URL: database.url, BOT_API_TOKEN: BOT_TOKEN });
  });
  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const signIn = async (name: string) => {
    const response = await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name } });
    expect(response.statusCode).toBe(200);
    return response.json<{ token: string; user: { id: string; discordId: string; name: string }; expiresAt: string }>();
  };

  it('dev sign-in creates a guest user and a session that /api/me recognises', async () => {
    const session = await signIn('  Ada ');
    expect(session.user).toMatchObject({ name: 'Ada', avatar: null });
    expect(session.user.discordId).toMatch(/^guest:[0-9a-f-]{36}$/);
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
    const [row] = await app.database.db.select().from(users).where(eq(users.id, session.user.id));
    expect(row).toMatchObject({ discordId: session.user.discordId, name: 'Ada' });

    const me = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${session.token}` } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({ user: session.user, via: 'session' });
  });

  it('gives every dev sign-in a user of its own', async () => {
    const [a, b] = [await signIn('Sam'), await signIn('Sam')];
    expect(a.user.id).not.toBe(b.user.id);
  });

  it('rejects a bad name with a clear 400', async () => {
    const response = await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: '' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('bad_request');
  });

  it('answers 401 without a token, with a forged one, and with a token from another server', async () => {
    const session = await signIn('Eve');
    const foreign = new SessionTokens(randomBytes(32)).sign({
      userId: session.user.id,
      discordId: 'x',
      name: 'Eve',
      avatar: null,
    });
    for (const authorization of [undefined, 'Bearer nope', `Bearer ${session.token}x`, `Bearer ${foreign.token}`]) {
      const response = await app.inject({ url: '/api/me', headers: authorization ? { authorization } : {} });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('unauthorized');
    }
  });

  it('lets the bot act for a Discord user, creating and then renaming them', async () => {
    const headers = { authorization: `Bearer ${BOT_TOKEN}`, 'x-acting-user': '81384788765712384' };
    const first = await app.inject({
      url: '/api/me',
      headers: { ...headers, 'x-acting-user-name': encodeURIComponent('Zoë 🎬') },
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ user: { discordId: '81384788765712384', name: 'Zoë 🎬' }, via: 'bot' });

    const unnamed = await app.inject({ url: '/api/me', headers });
    expect(unnamed.json().user).toEqual(first.json().user);

    const renamed = await app.inject({ url: '/api/me', headers: { ...headers, 'x-acting-user-name': 'Zoe' } });
    expect(renamed.json().user).toMatchObject({ id: first.json().user.id, name: 'Zoe' });
  });

  it('requires the bot to say who it acts for', async () => {
    for (const acting of [undefined, 'guest:1', 'abc']) {
      const response = await app.inject({
        url: '/api/me',
        headers: { authorization: `Bearer ${BOT_TOKEN}`, ...(acting ? { 'x-acting-user': acting } : {}) },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('acting_user_required');
    }
  });
});

describe('dev sign-in with Discord configured', () => {
  it('is refused with an error that says why', async () => {
    const database = await testDatabase(services.postgres);
    const app = await buildTestApp({
      DATABASE_URL: database.url,
      DISCORD_CLIENT_ID: '123456789012345678',
      DISCORD_CLIENT_SECRET: 'secret',
      DISCORD_BOT_TOKEN: 'bot-token',
    });
    try {
      const response = await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'Ada' } });
      expect(response.statusCode).toBe(403);
      expect(response.json().error).toEqual({
        code: 'dev_auth_disabled',
        message: expect.stringContaining('Discord'),
      });
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
