/**
 * BOT_MODE=embedded: the server starts the real bot in its own process once it listens. The bot signs
 * in to the fake Discord and answers /play through the HTTP API of the very server it lives in.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildApp } from '../../apps/server/src/app.ts';
import { ConfigError, loadConfig } from '../../apps/server/src/config.ts';
import { type FakeDiscord, messageText, startFakeDiscord } from '../fakes/discord/index.ts';
import { type App, buildTestApp, inVoice, playSuggested, registerOn } from '../support/bot-and-server.ts';

/** The real app in embedded mode, signed in to the fake Discord with its application's credentials. */
function embeddedApp(fake: FakeDiscord, env: Record<string, string> = {}) {
  return buildTestApp({
    BOT_MODE: 'embedded',
    DISCORD_CLIENT_ID: fake.applicationId,
    DISCORD_CLIENT_SECRET: 'embedded-test-client-secret',
    DISCORD_BOT_TOKEN: fake.botToken,
    DISCORD_API_URL: fake.apiUrl,
    ...env,
  });
}

describe('BOT_MODE=embedded', () => {
  let fake: FakeDiscord;
  let app: App;

  beforeAll(async () => {
    fake = await startFakeDiscord();
    await registerOn(fake);
    app = await embeddedApp(fake, { BOT_API_TOKEN: randomBytes(24).toString('base64url') });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
  });

  test('the bot in the server process answers /play by starting the room on that same server', async () => {
    expect(app.embeddedBot).toBeDefined();
    const bot = await app.embeddedBot!;
    expect(bot.client.isReady()).toBe(true);

    const { alice } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    await inVoice(bot, fake, alice, channelId);
    const message = await playSuggested(fake, alice, 'sunrise');
    expect(messageText(message)).toContain('Now playing: Sunrise Sync Check');

    // The room exists in this very app: the bot talked to the server it is embedded in.
    const snapshot = await app.rooms.snapshot(`${fake.guild.id}:${channelId}`);
    expect(snapshot?.playback.status).toBe('playing');
    expect(snapshot?.queue[0]?.title).toBe('Sunrise Sync Check');
  });

  test('closing the server signs the bot out of Discord first', async () => {
    const own = await embeddedApp(fake);
    await own.listen({ port: 0, host: '127.0.0.1' });
    const bot = await own.embeddedBot!;
    expect(bot.client.isReady()).toBe(true);
    await own.close();
    expect(bot.client.isReady()).toBe(false);
  });

  test("with SENTRY_DSN the bot reports through the server's error reporting, and without it through none", async () => {
    const reporting = await embeddedApp(fake, { SENTRY_DSN: 'http://publickey@127.0.0.1:9/1' });
    try {
      await reporting.listen({ port: 0, host: '127.0.0.1' });
      expect(reporting.errorReporting).toBeDefined();
      expect((await reporting.embeddedBot!).ctx.errors).toBe(reporting.errorReporting);
    } finally {
      await reporting.close();
    }
    expect((await app.embeddedBot!).ctx.errors).toBeUndefined();
  });

  test('separate mode (the default) runs no bot, and embedded mode without a bot token is refused', async () => {
    const config = loadConfig({
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-embedded-')),
      DATABASE_URL: 'memory://',
    });
    expect(config.botMode).toBe('separate');
    const separate = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });
    expect(separate.embeddedBot).toBeUndefined();
    await separate.close();
    expect(() => loadConfig({ BOT_MODE: 'embedded', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')) })).toThrow(
      new ConfigError('DISCORD_BOT_TOKEN is required when BOT_MODE=embedded (the bot runs inside the server)'),
    );
    expect(() => loadConfig({ BOT_MODE: 'both', DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-')) })).toThrow(
      /^BOT_MODE must be separate or embedded \(got "both"\)$/,
    );
  });
});
