/**
 * The bot as it runs in production (real discord.js client, real command and event modules, real
 * server API client) against the fake Discord and the stub server.
 */
import type { Clock } from '@dpp/shared';
import { pino } from 'pino';
import { type FakeDiscordOptions, startFakeDiscord } from '../../../../tests/fakes/discord/index.ts';
import { createBot } from '../../src/bot.ts';
import type { BotConfig } from '../../src/config.ts';
import type { BotTuning } from '../../src/context.ts';
import { startBotErrorReporting } from '../../src/error-reporting.ts';
import { loadCommands } from '../../src/loader.ts';
import { registerCommands } from '../../src/register.ts';
import { ServerApi, type ServerApiOptions } from '../../src/server-api.ts';
import { startStubServer } from './stub-server.ts';

export interface HarnessOptions {
  tuning?: Partial<BotTuning>;
  api?: Partial<Omit<ServerApiOptions, 'log'>>;
  fake?: FakeDiscordOptions;
  /** SENTRY_DSN and SENTRY_ENVIRONMENT: the bot reports its bugs there, as its own process does. */
  sentry?: BotConfig['sentry'];
  /** The bot's time and timers (default: the system's). */
  clock?: Clock;
}

export async function startBotHarness(options: HarnessOptions = {}) {
  const fake = await startFakeDiscord(options.fake);
  const stub = await startStubServer();
  const log = pino({ level: process.env.BOT_TEST_LOG ?? 'silent' });
  const config: BotConfig = {
    botToken: fake.botToken,
    applicationId: fake.applicationId,
    discordApiUrl: fake.apiUrl,
    serverUrl: stub.url,
    botApiToken: stub.token,
    publicUrl: undefined,
    logLevel: 'silent',
    ...(options.sentry ? { sentry: options.sentry } : {}),
  };
  const errors = await startBotErrorReporting(config);
  const commands = await loadCommands();
  await registerCommands({
    token: fake.botToken,
    applicationId: fake.applicationId,
    apiUrl: fake.apiUrl,
    guildId: fake.guild.id,
    commands,
  });
  const api = new ServerApi({
    baseUrl: stub.url,
    token: stub.token,
    log,
    retry: { retries: 2, initialDelayMs: 5, maxDelayMs: 20 },
    breaker: { consecutiveFailures: 5, halfOpenAfterMs: 60_000 },
    ...options.api,
  });
  const bot = await createBot({
    config,
    log,
    api,
    commands,
    tuning: { emptyGraceMs: 30, plexPollIntervalMs: 5, ...options.tuning },
    ...(errors ? { errors } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await bot.start();
  return {
    fake,
    stub,
    bot,
    config,
    errors,
    /** Puts a user in a voice channel (or out of voice with null), as Discord would tell the bot. */
    async voice(userId: string, channelId: string | null) {
      await fake.dispatchVoiceState({ userId, channelId });
    },
    async close() {
      await bot.stop();
      await errors?.close();
      await stub.close();
      await fake.close();
    },
  };
}
export type BotHarness = Awaited<ReturnType<typeof startBotHarness>>;
