/**
 * Registers the slash commands with Discord: `pnpm bot:register` (globally; can take up to an hour
 * to show everywhere) or `pnpm bot:register --guild <id>` (one guild, at once: for development).
 * DISCORD_GUILD_ID works like --guild; --global overrides it.
 */
import { pathToFileURL } from 'node:url';
import {
  ApplicationCommandType,
  REST,
  type RESTGetAPIApplicationCommandsResult,
  type RESTPutAPIApplicationCommandsResult,
  Routes,
} from 'discord.js';
import type { Command } from './command.ts';
import { ConfigError, parseEnv, registerEnvSchema } from './config.ts';
import { loadCommands, ModuleLoadError } from './loader.ts';

export interface RegisterOptions {
  token: string;
  applicationId: string;
  apiUrl: string;
  /** Register to this guild only; global when absent. */
  guildId?: string | undefined;
  commands: ReadonlyMap<string, Command>;
}

/** Replaces the application's commands (bulk overwrite) with ours; returns what Discord stored. */
export async function registerCommands(options: RegisterOptions): Promise<RESTPutAPIApplicationCommandsResult> {
  const rest = new REST({ api: options.apiUrl }).setToken(options.token);
  try {
    const route = options.guildId
      ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
      : Routes.applicationCommands(options.applicationId);
    const body: unknown[] = [...options.commands.values()].map((command) => command.data);
    if (!options.guildId) {
      // With Activities enabled, Discord owns a global Entry Point command ("launch"); a bulk
      // overwrite that leaves it out is refused (50240), so it goes back in as it is.
      const existing = (await rest.get(route)) as RESTGetAPIApplicationCommandsResult;
      for (const command of existing) {
        if (command.type !== ApplicationCommandType.PrimaryEntryPoint) continue;
        const { application_id: _app, version: _version, guild_id: _guild, ...entryPoint } = command;
        body.push(entryPoint);
      }
    }
    return (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}

export interface RegisterArgs {
  guildId: string | undefined;
  help: boolean;
}

export function parseRegisterArgs(argv: readonly string[], envGuildId: string | undefined): RegisterArgs {
  let guildId = envGuildId;
  let help = false;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--global') guildId = undefined;
    else if (arg === '--guild' || arg.startsWith('--guild=')) {
      const value = arg === '--guild' ? argv[++i] : arg.slice('--guild='.length);
      if (!value || !/^\d{5,25}$/.test(value))
        throw new ConfigError('--guild needs a guild id (the digits shown by Copy Server ID)');
      guildId = value;
    } else if (arg !== '--') {
      throw new ConfigError(`unknown argument ${arg} (use --guild <id>, --global or --help)`);
    }
  }
  return { guildId, help };
}

async function main(): Promise<void> {
  try {
    const env = parseEnv(registerEnvSchema, process.env);
    const args = parseRegisterArgs(process.argv.slice(2), env.DISCORD_GUILD_ID);
    if (args.help) {
      console.info(
        'usage: pnpm bot:register [--guild <id> | --global]\nNeeds DISCORD_BOT_TOKEN and DISCORD_CLIENT_ID.',
      );
      return;
    }
    const commands = await loadCommands();
    const stored = await registerCommands({
      token: env.DISCORD_BOT_TOKEN,
      applicationId: env.DISCORD_CLIENT_ID,
      apiUrl: env.DISCORD_API_URL,
      guildId: args.guildId,
      commands,
    });
    const where = args.guildId
      ? `guild ${args.guildId} (available now)`
      : 'globally (may take up to an hour to appear)';
    console.info(`Registered ${stored.length} commands ${where}: ${stored.map((c) => `/${c.name}`).join(' ')}`);
  } catch (error) {
    const known = error instanceof ConfigError || error instanceof ModuleLoadError;
    console.error(known ? `Error: ${error.message}` : error);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
