/**
 * The bot as it runs in production (real discord.js client, real command and event modules, real
 * server API client) against the fake Discord and the REAL server (demo library, throwaway PGlite),
 * through a tap that records each bot API call and lets a test play a failing server.
 */
import { afterAll, beforeAll } from 'vitest';
import { type FakeDiscordOptions, startFakeDiscord } from '../../../../tests/fakes/discord/index.ts';
import { type BotOptions, startBot, startServer, type TestServer } from '../../../../tests/support/bot-and-server.ts';
import { tapBotApi } from '../../../../tests/support/bot-api-tap.ts';

export interface HarnessOptions extends BotOptions {
  fake?: FakeDiscordOptions;
}

/**
 * One real server for the calling test file, started before its tests and closed after them. Each
 * test's bot gets a fake Discord of its own, with a guild of its own, so its rooms are its own.
 */
export function serverForThisFile(env: () => Record<string, string> | Promise<Record<string, string>> = () => ({})) {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(await env());
  });
  afterAll(async () => {
    await server?.app.close();
  });
  return () => {
    if (!server) throw new Error('the server starts before the tests');
    return server;
  };
}

export async function startBotHarness(server: TestServer, options: HarnessOptions = {}) {
  const fake = await startFakeDiscord(options.fake);
  const tap = await tapBotApi(server.serverUrl);
  const bot = await startBot(
    fake,
    { serverUrl: tap.url, token: server.token },
    {
      ...options,
      tuning: { emptyGraceMs: 30, ...options.tuning },
    },
  );
  const { alice } = fake.guild.users;
  const roomId = `${fake.guild.id}:${fake.guild.channels.movieNight}`;
  return {
    fake,
    tap,
    server,
    bot,
    /** The Movie Night room of this test's guild. */
    roomId,
    alice,
    /** Puts a user in a voice channel (or out of voice with null), as Discord would tell the bot. */
    async voice(userId: string, channelId: string | null) {
      await fake.dispatchVoiceState({ userId, channelId });
    },
    async close() {
      await bot.stop();
      await tap.close();
      await fake.close();
    },
  };
}
export type BotHarness = Awaited<ReturnType<typeof startBotHarness>>;
