/**
 * The pieces the bot's integration tests start: the real server app (demo library, throwaway PGlite)
 * and the real bot with its commands registered on a fake Discord, talking to that server.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createBot } from '../../../apps/bot/src/bot.ts';
import type { BotTuning } from '../../../apps/bot/src/context.ts';
import { loadCommands } from '../../../apps/bot/src/loader.ts';
import { registerCommands } from '../../../apps/bot/src/register.ts';
import { ServerApi } from '../../../apps/bot/src/server-api.ts';
import { buildApp } from '../../../apps/server/src/app.ts';
import { loadConfig } from '../../../apps/server/src/config.ts';
import type { FakeDiscord } from '../../fakes/discord/index.ts';

export type App = Awaited<ReturnType<typeof buildApp>>;
export type Bot = Awaited<ReturnType<typeof createBot>>;

/** The server on a loopback port, with a bot API token of its own. */
export async function startServer(): Promise<{ app: App; serverUrl: string; token: string }> {
  const token = randomBytes(24).toString('base64url');
  const app = await buildApp({
    config: loadConfig({
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-bot-server-')),
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: 'memory://',
      BOT_API_TOKEN: token,
    }),
    logger: false,
    activityRoot: '/nonexistent',
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  return { app, serverUrl: `http://127.0.0.1:${address.port}`, token };
}

/** Registers the commands on the fake Discord's guild and starts the bot against the server. */
export async function startBot(
  fake: FakeDiscord,
  server: { serverUrl: string; token: string },
  tuning: Partial<BotTuning> = {},
): Promise<Bot> {
  const log = pino({ level: process.env.BOT_TEST_LOG ?? 'silent' });
  const commands = await loadCommands();
  await registerCommands({
    token: fake.botToken,
    applicationId: fake.applicationId,
    apiUrl: fake.apiUrl,
    guildId: fake.guild.id,
    commands,
  });
  const bot = await createBot({
    config: {
      botToken: fake.botToken,
      applicationId: fake.applicationId,
      discordApiUrl: fake.apiUrl,
      serverUrl: server.serverUrl,
      botApiToken: server.token,
      publicUrl: undefined,
      logLevel: 'silent',
    },
    log,
    api: new ServerApi({
      baseUrl: server.serverUrl,
      token: server.token,
      log,
      retry: { retries: 2, initialDelayMs: 5, maxDelayMs: 20 },
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 60_000 },
    }),
    commands,
    tuning: { plexPollIntervalMs: 5, ...tuning },
  });
  await bot.start();
  return bot;
}
