import type { ClientEvents } from 'discord.js';
import type { BotContext } from './context.ts';

/** One gateway event handler: `name` is a discord.js client event. */
export interface BotEvent<K extends keyof ClientEvents = keyof ClientEvents> {
  name: K;
  once?: boolean;
  execute(ctx: BotContext, ...args: ClientEvents[K]): Promise<void> | void;
}
