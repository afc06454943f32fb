/**
 * The pieces the bot's tests start: the real server app (demo library, throwaway PGlite) and the real
 * bot with its commands registered on a fake Discord, talking to that server; and the few things a
 * test does to the server or in Discord besides what the bot does.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createBot } from '../../apps/bot/src/bot.ts';
import type { BotConfig } from '../../apps/bot/src/config.ts';
import type { BotTuning } from '../../apps/bot/src/context.ts';
import { startBotErrorReporting } from '../../apps/bot/src/error-reporting.ts';
import { loadCommands } from '../../apps/bot/src/loader.ts';
import { registerCommands } from '../../apps/bot/src/register.ts';
import { ServerApi, type ServerApiOptions } from '../../apps/bot/src/server-api.ts';
import { buildApp } from '../../apps/server/src/app.ts';
import { loadConfig } from '../../apps/server/src/config.ts';
import type { Clock, RoomSnapshot } from '../../packages/shared/src/index.ts';
import type { FakeDiscord } from '../fakes/discord/index.ts';
import { waitFor } from './wait.ts';

export type App = Awaited<ReturnType<typeof buildApp>>;
export type Bot = Awaited<ReturnType<typeof createBot>>;
export interface TestServer {
  app: App;
  serverUrl: string;
  token: string;
}

/** The real app for a test: a throwaway PGlite and data directory, silent, without the built activity. */
export function buildTestApp(env: Record<string, string> = {}): Promise<App> {
  return buildApp({
    config: loadConfig({
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-bot-server-')),
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: 'memory://',
      ...env,
    }),
    logger: false,
    activityRoot: '/nonexistent',
  });
}

/** The server on a loopback port, with a bot API token of its own. */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const token = randomBytes(24).toString('base64url');
  const app = await buildTestApp({ BOT_API_TOKEN: token, ...env });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  return { app, serverUrl: `http://127.0.0.1:${address.port}`, token };
}

/** Registers the bot's commands on the fake Discord's guild, as `pnpm bot:register --guild` does. */
export async function registerOn(fake: FakeDiscord) {
  const commands = await loadCommands();
  await registerCommands({
    token: fake.botToken,
    applicationId: fake.applicationId,
    apiUrl: fake.apiUrl,
    guildId: fake.guild.id,
    commands,
  });
  return commands;
}

export interface BotOptions {
  tuning?: Partial<BotTuning>;
  api?: Partial<Omit<ServerApiOptions, 'log'>>;
  /** SENTRY_DSN and SENTRY_ENVIRONMENT: the bot reports its bugs there, as its own process does. */
  sentry?: BotConfig['sentry'];
  /** The bot's time and timers (default: the system's). */
  clock?: Clock;
}

/** Registers the commands on the fake Discord's guild and starts the bot against the server. */
export async function startBot(
  fake: FakeDiscord,
  server: { serverUrl: string; token: string },
  options: BotOptions = {},
): Promise<Bot> {
  const log = pino({ level: process.env.BOT_TEST_LOG ?? 'silent' });
  const commands = await registerOn(fake);
  const config: BotConfig = {
    botToken: fake.botToken,
    applicationId: fake.applicationId,
    discordApiUrl: fake.apiUrl,
    serverUrl: server.serverUrl,
    botApiToken: server.token,
    publicUrl: undefined,
    logLevel: 'silent',
    ...(options.sentry ? { sentry: options.sentry } : {}),
  };
  const errors = await startBotErrorReporting(config);
  const bot = await createBot({
    config,
    log,
    api: new ServerApi({
      baseUrl: server.serverUrl,
      token: server.token,
      log,
      retry: { retries: 2, initialDelayMs: 5, maxDelayMs: 20 },
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 60_000 },
      ...options.api,
    }),
    commands,
    tuning: { plexPollIntervalMs: 5, ...options.tuning },
    ...(errors ? { errors } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await bot.start();
  // Its own error reporting (with SENTRY_DSN) stops with it, as in its own process.
  return { ...bot, stop: () => bot.stop().then(() => errors?.close()) };
}

/** Puts a user in a voice channel (or out of voice with null) and waits until the bot has seen it. */
export async function inVoice(bot: Bot, fake: FakeDiscord, userId: string, channelId: string | null) {
  await fake.dispatchVoiceState({ userId, channelId });
  await waitFor(
    () => (bot.client.guilds.cache.get(fake.guild.id)?.voiceStates.cache.get(userId)?.channelId ?? null) === channelId,
    { what: 'the bot to see the voice state' },
  );
}

/** /play with the first autocomplete suggestion for `query`, as a user picks it; the settled reply. */
export async function playSuggested(fake: FakeDiscord, userId: string, query: string) {
  const suggestions = await fake.autocomplete('play', { query }, 'query', { user: userId });
  const first = suggestions.choices[0];
  if (!first) throw new Error(`no suggestion for ${query}`);
  return (await fake.command('play', { query: String(first.value) }, { user: userId })).settled();
}

/** A bot API call made by someone else than the bot under test (the activity, another bot call). */
export async function botApi(
  server: TestServer,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  userId: string,
  payload?: object,
  headers: Record<string, string> = {},
) {
  return server.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${server.token}`, 'x-acting-user': userId, ...headers },
    ...(payload ? { payload } : {}),
  });
}

/** A room command through the bot API (a room that does not exist yet is created by load and queue.add). */
export async function roomCommand(server: TestServer, roomId: string, userId: string, body: object) {
  const response = await botApi(server, 'POST', `/api/bot/rooms/${roomId}/commands`, userId, body);
  if (response.statusCode !== 200) throw new Error(`${JSON.stringify(body)}: ${response.statusCode} ${response.body}`);
  return response.json() as { serverTime: number; snapshot: RoomSnapshot };
}

/** The room as the server holds it now, or undefined when there is none. */
export async function roomOf(server: TestServer, roomId: string): Promise<RoomSnapshot | undefined> {
  const response = await botApi(server, 'GET', `/api/bot/rooms/${roomId}`, roomId.split(':')[0] ?? '');
  if (response.statusCode === 404) return undefined;
  return (response.json() as { snapshot: RoomSnapshot }).snapshot;
}

/** The first item of the guild's library that matches `q`. */
export async function libraryItemId(server: TestServer, guildId: string, q: string): Promise<string> {
  const response = await botApi(
    server,
    'GET',
    `/api/bot/search?guildId=${guildId}&q=${encodeURIComponent(q)}`,
    guildId,
  );
  const id = (response.json() as { items: { id: string }[] }).items[0]?.id;
  if (!id) throw new Error(`no library item matches ${q}`);
  return id;
}
