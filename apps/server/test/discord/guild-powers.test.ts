import { discordAuthResponseSchema } from '@dpp/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../../../../tests/fakes/discord/index.ts';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { guilds } from '../../src/db/schema.ts';
import { type App, buildTestApp, testDatabase } from '../rooms/support/test-app.ts';

const services = inject('services');

/**
 * Discord mode: the guild's powers reach activity users too (DESIGN 3, Permissions; 4a, Plex
 * linking for admins), read from Discord with the bot token, as bot commands carry them.
 */
describe(`guild powers of activity users (${services.postgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let discord: FakeDiscord;
  let plex: FakePlex;
  let app: App;
  let database: Awaited<ReturnType<typeof testDatabase>>;
  let roomId: string;
  const people: Record<'owner' | 'admin' | 'dj' | 'alice' | 'bob', { userId: string; token: string; name: string }> =
    {} as never;

  const signIn = async (discordId: string) => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/auth/discord',
      payload: { code: discord.authorize(discordId) },
    });
    expect(response.statusCode).toBe(200);
    const body = discordAuthResponseSchema.parse(response.json());
    return { userId: body.user.id, token: body.token, name: body.user.name };
  };

  beforeAll(async () => {
    discord = await startFakeDiscord();
    plex = await startFakePlex();
    database = await testDatabase(services.postgres);
    app = await buildTestApp({
      DATABASE_URL: database.url,
      DISCORD_CLIENT_ID: discord.applicationId,
      DISCORD_CLIENT_SECRET: discord.clientSecret,
      DISCORD_BOT_TOKEN: discord.botToken,
      DISCORD_API_URL: discord.apiUrl,
      PLEX_TV_URL: plex.plexTvUrl,
    });
    const { users, roles } = discord.guild;
    const adminId = discord.addMember('amira', [roles.admin]);
    people.owner = await signIn(users.owner);
    people.admin = await signIn(adminId);
    people.dj = await signIn(users.dana);
    people.alice = await signIn(users.alice);
    people.bob = await signIn(users.bob);
    await app.database.db
      .insert(guilds)
      .values({ discordGuildId: discord.guild.id, settings: { djRoleId: roles.dj, defaultControl: 'hosts' } });
    roomId = `${discord.guild.id}:${discord.guild.channels.movieNight}`;
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    await plex?.close();
    await discord?.close();
  });

  const act = (who: keyof typeof people, intent: Parameters<App['rooms']['command']>[2]) =>
    app.rooms.command(roomId, { userId: people[who].userId, name: people[who].name, avatar: null }, intent);

  it('in hosts mode, the DJ role, Manage Server and the owner control the room; a plain member does not', async () => {
    // Bob opens the room (its creator is a host) and hands control to hosts only.
    expect(await act('bob', { op: 'settings', control: 'hosts' })).toMatchObject({ ok: true });
    expect(await act('bob', { op: 'load', itemId: 'demo-sunrise-sync' })).toMatchObject({ ok: true });
    expect(await act('alice', { op: 'play' })).toMatchObject({ ok: false, code: 'not_allowed' });
    expect(await act('dj', { op: 'play' })).toMatchObject({ ok: true });
    expect(await act('admin', { op: 'pause' })).toMatchObject({ ok: true });
    expect(await act('owner', { op: 'seek', positionMs: 5000 })).toMatchObject({ ok: true });
    expect((await app.rooms.snapshot(roomId))?.playback).toMatchObject({ status: 'paused', positionMs: 5000 });
    // Still refused after all that: nothing about Alice changed.
    expect(await act('alice', { op: 'pause' })).toMatchObject({ ok: false, code: 'not_allowed' });
  });

  it('lets members with Manage Server (and the owner) link Plex for their guild, and nobody else', async () => {
    const pin = (who: keyof typeof people, guildId: string | undefined) =>
      app.inject({
        method: 'POST',
        url: '/api/plex/pins',
        headers: { authorization: `Bearer ${people[who].token}` },
        payload: guildId ? { guildId } : {},
      });
    const guildId = discord.guild.id;
    for (const who of ['owner', 'admin'] as const) {
      const response = await pin(who, guildId);
      expect(response.statusCode, who).toBe(200);
      expect(response.json()).toMatchObject({ code: expect.any(String) });
    }
    for (const who of ['alice', 'dj'] as const) {
      const response = await pin(who, guildId);
      expect(response.statusCode, who).toBe(403);
      expect(response.json()).toMatchObject({
        error: { code: 'forbidden', message: expect.stringMatching(/Manage Server/) },
      });
    }
    // A server for every guild is the operator's (PLEX_URL), whoever asks.
    expect((await pin('owner', undefined)).statusCode).toBe(403);
    // Another guild: not a member there.
    expect((await pin('admin', '999999999999999999')).statusCode).toBe(403);
  });

  it("shows a guild's library to its members only", async () => {
    const sections = (who: keyof typeof people, guildId: string) =>
      app.inject({
        url: `/api/library/sections?guildId=${guildId}`,
        headers: { authorization: `Bearer ${people[who].token}` },
      });
    expect((await sections('alice', discord.guild.id)).statusCode).toBe(200);
    const elsewhere = await sections('alice', '999999999999999999');
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringMatching(/not in/) } });
  });

  it('asks Discord once for a burst of checks by someone new (lookups are shared and cached)', async () => {
    const zed = await signIn(discord.addMember('zed'));
    const memberPath = `/guilds/${discord.guild.id}/members/`;
    const lookups = () => discord.requests.filter((r) => r.path.includes(memberPath)).length;
    const before = lookups();
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        app.rooms.command(roomId, { userId: zed.userId, name: zed.name, avatar: null }, { op: 'play' }),
      ),
    );
    expect(results.every((r) => !r.ok && r.code === 'not_allowed')).toBe(true);
    expect(lookups() - before).toBe(1);
  });
});
