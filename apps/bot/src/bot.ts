/**
 * Builds the bot: the discord.js client (intents Guilds and GuildVoiceStates only), the server API
 * client, the search cache, voice presence and invites, wired to the command and event modules.
 * Everything can be swapped through options, which is how the tests run it against the fake Discord
 * and the real server in process.
 */

import { type Clock, type ErrorReporter, systemClock } from '@dpp/shared';
import {
  ActivityType,
  Client,
  type ClientEvents,
  type ClientOptions,
  GatewayIntentBits,
  PresenceUpdateStatus,
} from 'discord.js';
import type { Logger } from 'pino';
import type { BotEvent } from './bot-event.ts';
import type { Command } from './command.ts';
import type { BotConfig } from './config.ts';
import type { BotContext, BotTuning } from './context.ts';
import { ActivityInvites } from './invites.ts';
import { LibrarySearch } from './library-search.ts';
import { loadCommands, loadEvents } from './loader.ts';
import { createLogger } from './logger.ts';
import { NowPlayingMessages } from './now-playing-messages.ts';
import { type Actor, ServerApi } from './server-api.ts';
import { VoicePresence } from './voice-presence.ts';

/** All the bot needs: guilds and channels, and who is in which voice channel. Nothing privileged. */
export const BOT_INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates] as const;

export const DEFAULT_TUNING: BotTuning = {
  emptyGraceMs: 60_000,
  autocompleteBudgetMs: 2_500,
  plexPollIntervalMs: 2_000,
  nowPlayingEditIntervalMs: 5_000,
  roomFeedBackoff: { initialDelayMs: 1_000, maxDelayMs: 60_000 },
};

export interface BotOptions {
  config: BotConfig;
  log?: Logger;
  api?: ServerApi;
  commands?: Map<string, Command>;
  events?: BotEvent[];
  tuning?: Partial<BotTuning>;
  /** Where bugs go besides the log (Sentry): the bot's own, or the server's when embedded. */
  errors?: ErrorReporter;
  /** Merged into the discord.js client options (never the intents). */
  clientOptions?: Omit<Partial<ClientOptions>, 'intents'>;
  /** Time and timers for everything the bot schedules (default: the system's). */
  clock?: Clock;
}

export interface Bot {
  client: Client;
  ctx: BotContext;
  /** Logs in; resolves once the gateway session is ready. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createBot(options: BotOptions): Promise<Bot> {
  const { config } = options;
  const log = options.log ?? createLogger(config.logLevel);
  const commands = options.commands ?? (await loadCommands());
  const events = options.events ?? (await loadEvents());
  const tuning = { ...DEFAULT_TUNING, ...options.tuning };
  const clock = options.clock ?? systemClock;
  const client = new Client({
    ...options.clientOptions,
    intents: [...BOT_INTENTS],
    rest: { ...options.clientOptions?.rest, api: config.discordApiUrl },
    allowedMentions: { parse: [] },
  });
  const api =
    options.api ??
    new ServerApi({
      baseUrl: config.serverUrl,
      token: config.botApiToken,
      log: log.child({ component: 'server-api' }),
      clock,
    });
  const self = (): Actor => ({ id: client.user?.id ?? config.applicationId, name: client.user?.username ?? null });
  const stopping = new AbortController();
  const voice = new VoicePresence({
    api,
    log: log.child({ component: 'voice' }),
    self,
    emptyGraceMs: tuning.emptyGraceMs,
    feedBackoff: tuning.roomFeedBackoff,
    clock,
  });
  const nowPlaying = new NowPlayingMessages({
    client,
    api,
    log: log.child({ component: 'now-playing' }),
    applicationId: config.applicationId,
    publicUrl: config.publicUrl,
    self,
    editIntervalMs: tuning.nowPlayingEditIntervalMs,
    feedBackoff: tuning.roomFeedBackoff,
    clock,
  });
  const ctx: BotContext = {
    client,
    config,
    log,
    api,
    search: new LibrarySearch({ api, log: log.child({ component: 'search' }), clock }),
    voice,
    invites: new ActivityInvites({ applicationId: config.applicationId, log, clock }),
    nowPlaying,
    commands,
    tuning,
    signal: stopping.signal,
    clock,
    errors: options.errors,
  };

  for (const event of events) {
    // Called synchronously: discord.js mutates cached structures (a member's VoiceState) with the
    // next event, so a handler must read its arguments before its first await.
    const listener = (...args: ClientEvents[keyof ClientEvents]) => {
      const failed = (error: unknown) => {
        log.error({ err: error, event: event.name }, 'event handler failed');
        options.errors?.capture(error, { service: 'bot', event: event.name });
      };
      try {
        Promise.resolve(event.execute(ctx, ...args)).catch(failed);
      } catch (error) {
        failed(error);
      }
    };
    if (event.once) client.once(event.name, listener as never);
    else client.on(event.name, listener as never);
  }

  // While the server is unreachable the bot says so in its status, and stays up.
  const showServerState = (up: boolean) => {
    if (!client.isReady()) return;
    client.user.setPresence(
      up
        ? { status: PresenceUpdateStatus.Online, activities: [] }
        : {
            status: PresenceUpdateStatus.DoNotDisturb,
            activities: [
              { type: ActivityType.Custom, name: 'Server unreachable', state: '⚠️ Watch-party server unreachable' },
            ],
          },
    );
  };
  api.events.on('down', () => showServerState(false));
  api.events.on('up', () => showServerState(true));

  return {
    client,
    ctx,
    async start() {
      const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
      await client.login(config.botToken);
      await ready;
    },
    async stop() {
      stopping.abort();
      await Promise.all([voice.close(), nowPlaying.close()]);
      await client.destroy();
    },
  };
}
