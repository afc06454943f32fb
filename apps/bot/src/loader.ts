/**
 * Loads one module per command (src/commands) and per event (src/events), checking each module's
 * shape first: a malformed module stops the bot at start-up with the file and the problem named,
 * rather than failing the first time someone types the command.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Events } from 'discord.js';
import { z } from 'zod';
import type { BotEvent } from './bot-event.ts';
import type { Command } from './command.ts';

export class ModuleLoadError extends Error {
  override name = 'ModuleLoadError';
}

const fn = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', 'must be a function');
/** Discord's rule for CHAT_INPUT names, lower case. */
export const COMMAND_NAME = /^[-_\p{L}\p{N}]{1,32}$/u;

const optionSchema = z.looseObject({
  type: z.number().int(),
  name: z.string().regex(COMMAND_NAME, 'must be 1-32 letters, digits, - or _'),
  description: z.string().min(1).max(100),
});

export const commandModuleSchema = z.object({
  data: z.looseObject({
    name: z
      .string()
      .regex(COMMAND_NAME, 'must be 1-32 letters, digits, - or _')
      .refine((name) => name === name.toLowerCase(), 'must be lower case'),
    description: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    options: z.array(optionSchema).max(25).optional(),
    default_member_permissions: z.string().regex(/^\d+$/).nullable().optional(),
  }),
  execute: fn,
  autocomplete: fn.optional(),
  button: fn.optional(),
});

export const eventModuleSchema = z.object({
  name: z.enum(Object.values(Events) as [string, ...string[]], 'must be a discord.js client event (Events.*)'),
  once: z.boolean().optional(),
  execute: fn,
});

const describe = (issues: z.core.$ZodIssue[]) =>
  issues.map((issue) => `${issue.path.join('.') || '(module)'}: ${issue.message}`).join('; ');

const hasAutocomplete = (options: unknown): boolean =>
  Array.isArray(options) &&
  options.some(
    (o: { autocomplete?: unknown; options?: unknown }) => o.autocomplete === true || hasAutocomplete(o.options),
  );

/** Checks one command module (its namespace object) and returns its command. */
export function checkCommandModule(file: string, namespace: unknown): Command {
  const exported = (namespace as { default?: unknown } | null)?.default;
  if (exported === undefined)
    throw new ModuleLoadError(`${file}: has no default export (export default {…} satisfies Command)`);
  const result = commandModuleSchema.safeParse(exported);
  if (!result.success) throw new ModuleLoadError(`${file}: ${describe(result.error.issues)}`);
  const command = exported as Command;
  const base = path.basename(file).replace(/\.(ts|js|mjs)$/, '');
  if (base !== command.data.name) {
    throw new ModuleLoadError(
      `${file}: defines /${command.data.name}; one command per module, named after it (${command.data.name}.ts)`,
    );
  }
  if (hasAutocomplete(command.data.options) && !command.autocomplete) {
    throw new ModuleLoadError(`${file}: an option autocompletes but the module has no autocomplete handler`);
  }
  return command;
}

export function checkEventModule(file: string, namespace: unknown): BotEvent {
  const exported = (namespace as { default?: unknown } | null)?.default;
  if (exported === undefined)
    throw new ModuleLoadError(`${file}: has no default export (export default {…} satisfies BotEvent)`);
  const result = eventModuleSchema.safeParse(exported);
  if (!result.success) throw new ModuleLoadError(`${file}: ${describe(result.error.issues)}`);
  return exported as BotEvent;
}

async function moduleFiles(dir: URL | string): Promise<string[]> {
  const folder = dir instanceof URL ? fileURLToPath(dir) : dir;
  const names = await readdir(folder);
  return names
    .filter((name) => /\.(ts|js|mjs)$/.test(name) && !/\.(d|test)\.(ts|js|mjs)$/.test(name))
    .sort()
    .map((name) => path.join(folder, name));
}

async function importModule(file: string): Promise<unknown> {
  try {
    return await import(pathToFileURL(file).href);
  } catch (error) {
    throw new ModuleLoadError(`${file}: failed to import: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

export async function loadCommands(
  dir: URL | string = new URL('./commands/', import.meta.url),
): Promise<Map<string, Command>> {
  const commands = new Map<string, Command>();
  for (const file of await moduleFiles(dir)) {
    const command = checkCommandModule(file, await importModule(file));
    if (commands.has(command.data.name)) throw new ModuleLoadError(`${file}: /${command.data.name} is defined twice`);
    commands.set(command.data.name, command);
  }
  if (commands.size === 0) throw new ModuleLoadError(`no command modules in ${String(dir)}`);
  return commands;
}

export async function loadEvents(dir: URL | string = new URL('./events/', import.meta.url)): Promise<BotEvent[]> {
  const events: BotEvent[] = [];
  for (const file of await moduleFiles(dir)) events.push(checkEventModule(file, await importModule(file)));
  return events;
}
