import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotContext } from './context.ts';

/**
 * One slash command: its registration payload and its handlers. Handlers run only in guilds the
 * bot is in (`'cached'`); errors they throw are turned into messages for the user and logged.
 * A button whose custom id starts with `<name>:` goes to the command's `button` handler.
 */
export interface Command {
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  execute(interaction: ChatInputCommandInteraction<'cached'>, ctx: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction<'cached'>, ctx: BotContext): Promise<void>;
  button?(interaction: ButtonInteraction<'cached'>, ctx: BotContext): Promise<void>;
}
