/**
 * Builds INTERACTION_CREATE payloads the way Discord does: a slash command's options are typed from
 * the command as it was registered (an unregistered command, a missing required option or a user
 * who cannot see the command is refused here, as Discord's client would), autocomplete marks the
 * focused option, and a button press carries the message it sits on.
 */
import { randomBytes } from 'node:crypto';
import {
  type APIApplicationCommand,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandOption,
  type APIInteraction,
  type APIInteractionDataResolved,
  type APIMessage,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ButtonStyle,
  ComponentType,
  InteractionContextType,
  InteractionType,
  Locale,
  MessageType,
} from 'discord-api-types/v10';
import { snowflake } from './snowflake.ts';
import type { FakeDiscordState, FakeGuild } from './state.ts';

export type OptionValue = string | number | boolean;

export interface InvokeOptions {
  /** Who invokes (a user id); must be a member of the guild. */
  user: string;
  guildId: string;
  /** Where the command was typed (a text channel, or a voice channel's chat). */
  channelId: string;
  /** Skip the `default_member_permissions` check (an admin may have opened the command to others). */
  bypassPermissions?: boolean;
}

export class InvocationError extends Error {
  override name = 'InvocationError';
}

function findCommand(state: FakeDiscordState, guildId: string, name: string): APIApplicationCommand {
  const candidates = [...(state.guildCommands.get(guildId) ?? []), ...state.globalCommands];
  const command = candidates.find((c) => c.name === name && c.type === ApplicationCommandType.ChatInput);
  if (!command) throw new InvocationError(`/${name} is not registered (register the commands first)`);
  return command;
}

function convert(
  state: FakeDiscordState,
  guild: FakeGuild,
  definition: APIApplicationCommandOption,
  value: OptionValue,
  resolved: APIInteractionDataResolved,
  partial: boolean,
): APIApplicationCommandInteractionDataOption {
  const { name, type } = definition;
  const fail = (why: string) => new InvocationError(`option ${name}: ${why} (got ${JSON.stringify(value)})`);
  switch (type) {
    case ApplicationCommandOptionType.String:
      if (typeof value !== 'string') throw fail('expects a string');
      if (
        !partial &&
        'choices' in definition &&
        definition.choices &&
        !definition.choices.some((c) => c.value === value)
      ) {
        throw fail('is not one of the choices');
      }
      return { name, type, value };
    case ApplicationCommandOptionType.Integer:
    case ApplicationCommandOptionType.Number:
      if (partial) return { name, type: ApplicationCommandOptionType.String, value: String(value) } as never;
      if (typeof value !== 'number' || (type === ApplicationCommandOptionType.Integer && !Number.isInteger(value))) {
        throw fail('expects a number');
      }
      if ('choices' in definition && definition.choices && !definition.choices.some((c) => c.value === value)) {
        throw fail('is not one of the choices');
      }
      return { name, type, value };
    case ApplicationCommandOptionType.Boolean:
      if (typeof value !== 'boolean') throw fail('expects a boolean');
      return { name, type, value };
    case ApplicationCommandOptionType.User: {
      const user = state.users.get(String(value));
      if (!user) throw fail('is not a known user');
      resolved.users = { ...resolved.users, [user.id]: user };
      if (guild.members.has(user.id)) {
        const { user: _user, deaf: _d, mute: _m, ...member } = state.interactionMember(guild, user.id);
        resolved.members = { ...resolved.members, [user.id]: member };
      }
      return { name, type, value: user.id };
    }
    case ApplicationCommandOptionType.Role: {
      const role = guild.roles.find((r) => r.id === value);
      if (!role) throw fail('is not a role of the guild');
      resolved.roles = { ...resolved.roles, [role.id]: role };
      return { name, type, value: role.id };
    }
    case ApplicationCommandOptionType.Channel: {
      const channel = guild.channels.find((c) => c.id === value);
      if (!channel) throw fail('is not a channel of the guild');
      resolved.channels = {
        ...resolved.channels,
        [channel.id]: { id: channel.id, name: channel.name, type: channel.type, permissions: '0' } as never,
      };
      return { name, type, value: channel.id };
    }
    default:
      throw fail(`option type ${type} is not supported by the fake`);
  }
}

function leafOptions(
  state: FakeDiscordState,
  guild: FakeGuild,
  definitions: readonly APIApplicationCommandOption[],
  values: Record<string, OptionValue>,
  resolved: APIInteractionDataResolved,
  focused: string | undefined,
): APIApplicationCommandInteractionDataOption[] {
  const out: APIApplicationCommandInteractionDataOption[] = [];
  for (const [key, value] of Object.entries(values)) {
    const definition = definitions.find((d) => d.name === key);
    if (!definition)
      throw new InvocationError(`no option "${key}" (has ${definitions.map((d) => d.name).join(', ') || 'none'})`);
    const option = convert(state, guild, definition, value, resolved, focused !== undefined);
    if (key === focused) {
      if (!('autocomplete' in definition) || definition.autocomplete !== true) {
        throw new InvocationError(`option ${key} does not autocomplete`);
      }
      out.push({ ...option, type: definition.type, value: String(value), focused: true } as never);
    } else {
      out.push(option);
    }
  }
  if (focused === undefined) {
    for (const definition of definitions) {
      if ('required' in definition && definition.required && !(definition.name in values)) {
        throw new InvocationError(`required option ${definition.name} is missing`);
      }
    }
  } else if (!(focused in values)) {
    throw new InvocationError(`the focused option ${focused} needs a value (what the user typed so far)`);
  }
  return out;
}

/** The payload fields every guild interaction has. */
function base(state: FakeDiscordState, guild: FakeGuild, as: InvokeOptions) {
  const channel = guild.channels.find((c) => c.id === as.channelId);
  if (!channel) throw new InvocationError(`channel ${as.channelId} is not in ${guild.name}`);
  if (!guild.members.has(as.user)) throw new InvocationError(`user ${as.user} is not a member of ${guild.name}`);
  const id = snowflake();
  return {
    id,
    application_id: state.applicationId,
    guild_id: guild.id,
    guild: { id: guild.id, locale: Locale.EnglishUS, features: [] },
    channel: { id: channel.id, type: channel.type, name: channel.name, guild_id: guild.id },
    channel_id: channel.id,
    member: state.interactionMember(guild, as.user),
    token: `itoken.${id}.${randomBytes(24).toString('base64url')}`,
    version: 1 as const,
    app_permissions: String(state.memberPermissions(guild, state.bot.id)),
    locale: Locale.EnglishUS,
    guild_locale: Locale.EnglishUS,
    entitlements: [],
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: guild.id },
    context: InteractionContextType.Guild,
    attachment_size_limit: 10 * 1024 * 1024,
  };
}

export function guildOf(state: FakeDiscordState, guildId: string): FakeGuild {
  const guild = state.guild(guildId);
  if (!guild) throw new InvocationError(`unknown guild ${guildId}`);
  return guild;
}

/**
 * A slash command. `path` is the command name, optionally followed by a subcommand group and a
 * subcommand: `"play"`, `"plex link"`, `"settings control"`.
 */
export function commandInteraction(
  state: FakeDiscordState,
  path: string,
  values: Record<string, OptionValue>,
  as: InvokeOptions,
  focused?: string,
): APIInteraction {
  const guild = guildOf(state, as.guildId);
  const [name, ...subPath] = path.trim().split(/\s+/);
  const command = findCommand(state, guild.id, name!);
  if (
    !as.bypassPermissions &&
    command.default_member_permissions !== null &&
    command.default_member_permissions !== undefined
  ) {
    const needed = BigInt(command.default_member_permissions);
    if ((state.memberPermissions(guild, as.user) & needed) !== needed) {
      throw new InvocationError(`/${name} is hidden from ${as.user}: default_member_permissions ${needed}`);
    }
  }
  const resolved: APIInteractionDataResolved = {};
  let definitions: readonly APIApplicationCommandOption[] = command.options ?? [];
  const wrap: {
    name: string;
    type: ApplicationCommandOptionType.Subcommand | ApplicationCommandOptionType.SubcommandGroup;
  }[] = [];
  for (const part of subPath) {
    const sub = definitions.find(
      (d) =>
        d.name === part &&
        (d.type === ApplicationCommandOptionType.Subcommand || d.type === ApplicationCommandOptionType.SubcommandGroup),
    );
    if (
      !sub ||
      (sub.type !== ApplicationCommandOptionType.Subcommand &&
        sub.type !== ApplicationCommandOptionType.SubcommandGroup)
    ) {
      throw new InvocationError(`/${name} has no subcommand "${part}"`);
    }
    wrap.push({ name: sub.name, type: sub.type });
    definitions = sub.options ?? [];
  }
  if (
    definitions.some(
      (d) =>
        d.type === ApplicationCommandOptionType.Subcommand || d.type === ApplicationCommandOptionType.SubcommandGroup,
    )
  ) {
    throw new InvocationError(`/${path} needs a subcommand`);
  }
  let options = leafOptions(state, guild, definitions, values, resolved, focused);
  for (const level of wrap.reverse()) {
    options = [{ name: level.name, type: level.type, options } as APIApplicationCommandInteractionDataOption];
  }
  const hasResolved = Object.keys(resolved).length > 0;
  return {
    ...base(state, guild, as),
    type: focused === undefined ? InteractionType.ApplicationCommand : InteractionType.ApplicationCommandAutocomplete,
    data: {
      id: command.id,
      name: command.name,
      type: ApplicationCommandType.ChatInput,
      ...(command.guild_id ? { guild_id: command.guild_id } : {}),
      ...(options.length > 0 ? { options } : {}),
      ...(hasResolved ? { resolved } : {}),
    },
  } as APIInteraction;
}

/** A press on a button of `message` (by default, a bot message holding just that button). */
export function buttonInteraction(
  state: FakeDiscordState,
  customId: string,
  as: InvokeOptions,
  message?: APIMessage,
): APIInteraction {
  const guild = guildOf(state, as.guildId);
  const onMessage: APIMessage = message ?? {
    id: snowflake(),
    channel_id: as.channelId,
    author: state.bot,
    content: '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: MessageType.Default,
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          { type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: customId, label: customId },
        ],
      },
    ],
  };
  const hasButton = JSON.stringify(onMessage.components ?? []).includes(JSON.stringify(customId));
  if (!hasButton) throw new InvocationError(`the message has no button with custom_id ${customId}`);
  return {
    ...base(state, guild, { ...as, channelId: onMessage.channel_id }),
    type: InteractionType.MessageComponent,
    message: onMessage,
    data: { custom_id: customId, component_type: ComponentType.Button },
  } as APIInteraction;
}
