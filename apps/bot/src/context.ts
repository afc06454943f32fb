import type { Clock, ErrorReporter } from '@dpp/shared';
import type { Client } from 'discord.js';
import type { Logger } from 'pino';
import type { Command } from './command.ts';
import type { BotConfig } from './config.ts';
import type { ActivityInvites } from './invites.ts';
import type { LibrarySearch } from './library-search.ts';
import type { NowPlayingMessages } from './now-playing-messages.ts';
import type { ServerApi } from './server-api.ts';
import type { VoicePresence } from './voice-presence.ts';

/** Tunables with production defaults; tests shorten the waits. */
export interface BotTuning {
  /** How long a voice channel must stay empty before its room ends. */
  emptyGraceMs: number;
  /** Autocomplete answers this long after the interaction was created at the latest (Discord allows 3000). */
  autocompleteBudgetMs: number;
  /** How often /plex link checks whether the admin approved the PIN. */
  plexPollIntervalMs: number;
  /** A now-playing message is edited at most once per this interval (then once more with the latest). */
  nowPlayingEditIntervalMs: number;
  /** Reconnecting a room's event feed: the first wait, doubling up to the last. */
  roomFeedBackoff: { initialDelayMs: number; maxDelayMs: number };
}

/** What every command and event handler gets: the bot's services, injected by `createBot`. */
export interface BotContext {
  client: Client;
  config: BotConfig;
  log: Logger;
  api: ServerApi;
  search: LibrarySearch;
  voice: VoicePresence;
  invites: ActivityInvites;
  /** Now-playing messages kept up to date with their room. */
  nowPlaying: NowPlayingMessages;
  commands: ReadonlyMap<string, Command>;
  tuning: BotTuning;
  /** Aborted when the bot stops: long waits (the Plex PIN poll) end with it. */
  signal: AbortSignal;
  /** Epoch time and timers (tests may drive them). */
  clock: Clock;
  /** Where bugs are reported (Sentry) besides the log; undefined when SENTRY_DSN is unset. */
  errors: ErrorReporter | undefined;
}
