/**
 * Discord's documented limits for what a bot sends: application commands, interaction responses and
 * messages. A payload real Discord would refuse is refused here with the same 400 shape, so a test
 * that passes against the fake does not fail against Discord for a limit.
 */
import {
  type APIActionRowComponent,
  type APIApplicationCommandOptionChoice,
  type APIEmbed,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ButtonStyle,
  ComponentType,
  MessageFlags,
} from 'discord-api-types/v10';
import { DiscordHttpError, FormErrors } from './errors.ts';

export const LIMITS = {
  /** Global or per-guild CHAT_INPUT commands; USER and MESSAGE commands have 15 each. */
  chatInputCommands: 100,
  contextMenuCommands: 15,
  commandName: 32,
  description: 100,
  options: 25,
  choices: 25,
  choiceName: 100,
  choiceStringValue: 100,
  /** Name, description, options, choices of one command together. */
  commandTotalChars: 4000,
  stringLength: 6000,
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooter: 2048,
  embedAuthor: 256,
  embedTotal: 6000,
  actionRows: 5,
  rowButtons: 5,
  customId: 100,
  buttonLabel: 80,
} as const;

/** CHAT_INPUT names: letters, digits, - and _ (any script), 1–32, lower case where a letter has one. */
export const COMMAND_NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const length = (s: string) => [...s].length;

function checkName(errors: FormErrors, path: (string | number)[], name: unknown, chatInput: boolean): string {
  if (typeof name !== 'string') {
    errors.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    return '';
  }
  if (chatInput) {
    if (!COMMAND_NAME.test(name) || name.toLowerCase() !== name) {
      errors.add(path, 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
    }
  } else if (length(name) < 1 || length(name) > LIMITS.commandName) {
    errors.add(path, 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${LIMITS.commandName} in length.`);
  }
  return name;
}

function checkDescription(errors: FormErrors, path: (string | number)[], description: unknown): string {
  if (typeof description !== 'string') {
    errors.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    return '';
  }
  if (length(description) < 1 || length(description) > LIMITS.description) {
    errors.add(path, 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${LIMITS.description} in length.`);
  }
  return description;
}

const SUBCOMMANDS = new Set<number>([
  ApplicationCommandOptionType.Subcommand,
  ApplicationCommandOptionType.SubcommandGroup,
]);
const WITH_CHOICES = new Set<number>([
  ApplicationCommandOptionType.String,
  ApplicationCommandOptionType.Integer,
  ApplicationCommandOptionType.Number,
]);
const OPTION_TYPES = new Set<number>(
  Object.values(ApplicationCommandOptionType).filter((v): v is number => typeof v === 'number'),
);

/** Validates an `options` array; returns the characters it counts toward the 4000 limit. */
function checkOptions(
  errors: FormErrors,
  path: (string | number)[],
  options: unknown,
  level: 'command' | 'group' | 'subcommand',
): number {
  if (options === undefined || options === null) return 0;
  if (!Array.isArray(options)) {
    errors.add(path, 'BASE_TYPE_ARRAY', 'Must be an array.');
    return 0;
  }
  if (options.length > LIMITS.options) {
    errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.options} or fewer in length.`);
  }
  let chars = 0;
  const names = new Set<string>();
  let sawOptional = false;
  let subcommands = 0;
  options.forEach((option: unknown, index) => {
    const at = [...path, index];
    if (!isObject(option)) {
      errors.add(at, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    const type = option.type;
    if (typeof type !== 'number' || !OPTION_TYPES.has(type)) {
      errors.add([...at, 'type'], 'BASE_TYPE_CHOICES', 'Value must be one of the option types.');
      return;
    }
    const name = checkName(errors, [...at, 'name'], option.name, true);
    const description = checkDescription(errors, [...at, 'description'], option.description);
    chars += length(name) + length(description);
    if (names.has(name)) {
      errors.add([...at, 'name'], 'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS', 'Option names must be unique');
    }
    names.add(name);

    const isSub = SUBCOMMANDS.has(type);
    if (isSub) subcommands += 1;
    if (level === 'group' && type !== ApplicationCommandOptionType.Subcommand) {
      errors.add(
        [...at, 'type'],
        'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID',
        'Subcommand groups hold subcommands only',
      );
    }
    if (level === 'subcommand' && isSub) {
      errors.add([...at, 'type'], 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID', 'Subcommands cannot be nested here');
    }
    if (isSub) {
      if (option.required !== undefined) {
        errors.add(
          [...at, 'required'],
          'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
          'Subcommands are never required',
        );
      }
      chars += checkOptions(
        errors,
        [...at, 'options'],
        option.options,
        type === ApplicationCommandOptionType.SubcommandGroup ? 'group' : 'subcommand',
      );
      return;
    }
    if (option.required === true && sawOptional) {
      errors.add(
        path,
        'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
        'Required options must be placed before non-required options',
      );
    }
    if (option.required !== true) sawOptional = true;

    if (option.choices !== undefined) {
      if (!WITH_CHOICES.has(type)) {
        errors.add(
          [...at, 'choices'],
          'APPLICATION_COMMAND_OPTION_CHOICES_INVALID',
          'Only string, integer and number options have choices',
        );
      } else if (option.autocomplete === true) {
        errors.add(
          [...at, 'autocomplete'],
          'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID',
          'Autocomplete cannot be set with choices',
        );
      }
      chars += checkChoices(errors, [...at, 'choices'], option.choices, type);
    }
    if (option.autocomplete !== undefined && !WITH_CHOICES.has(type)) {
      errors.add(
        [...at, 'autocomplete'],
        'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID',
        'Only string, integer and number options autocomplete',
      );
    }
    for (const key of ['min_length', 'max_length'] as const) {
      const value = option[key];
      if (value === undefined) continue;
      if (type !== ApplicationCommandOptionType.String) {
        errors.add([...at, key], 'BASE_TYPE_INVALID', 'Only string options have a length');
      } else if (
        !Number.isInteger(value) ||
        (value as number) < (key === 'min_length' ? 0 : 1) ||
        (value as number) > LIMITS.stringLength
      ) {
        errors.add(
          [...at, key],
          'NUMBER_TYPE_COERCE',
          `Must be between ${key === 'min_length' ? 0 : 1} and ${LIMITS.stringLength}.`,
        );
      }
    }
    for (const key of ['min_value', 'max_value'] as const) {
      if (
        option[key] !== undefined &&
        type !== ApplicationCommandOptionType.Integer &&
        type !== ApplicationCommandOptionType.Number
      ) {
        errors.add([...at, key], 'BASE_TYPE_INVALID', 'Only integer and number options have a range');
      }
    }
    if (option.channel_types !== undefined && type !== ApplicationCommandOptionType.Channel) {
      errors.add([...at, 'channel_types'], 'BASE_TYPE_INVALID', 'Only channel options have channel types');
    }
  });
  if (level === 'command' && subcommands > 0 && subcommands < options.length) {
    errors.add(
      path,
      'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID',
      'Subcommands and groups cannot be mixed with other options',
    );
  }
  return chars;
}

function checkChoices(errors: FormErrors, path: (string | number)[], choices: unknown, type: number): number {
  if (!Array.isArray(choices)) {
    errors.add(path, 'BASE_TYPE_ARRAY', 'Must be an array.');
    return 0;
  }
  if (choices.length > LIMITS.choices) {
    errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.choices} or fewer in length.`);
  }
  let chars = 0;
  choices.forEach((choice: unknown, index) => {
    const at = [...path, index];
    if (!isObject(choice)) {
      errors.add(at, 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    chars += checkChoice(errors, at, choice, type);
  });
  return chars;
}

function checkChoice(errors: FormErrors, at: (string | number)[], choice: Json, type: number): number {
  const { name, value } = choice;
  let chars = 0;
  if (typeof name !== 'string' || length(name) < 1 || length(name) > LIMITS.choiceName) {
    errors.add([...at, 'name'], 'BASE_TYPE_BAD_LENGTH', `Must be between 1 and ${LIMITS.choiceName} in length.`);
  } else {
    chars += length(name);
  }
  if (type === ApplicationCommandOptionType.String) {
    if (typeof value !== 'string' || length(value) < 1 || length(value) > LIMITS.choiceStringValue) {
      errors.add(
        [...at, 'value'],
        'BASE_TYPE_BAD_LENGTH',
        `Must be between 1 and ${LIMITS.choiceStringValue} in length.`,
      );
    } else {
      chars += length(value);
    }
  } else if (typeof value !== 'number' || !Number.isFinite(value)) {
    errors.add([...at, 'value'], 'NUMBER_TYPE_COERCE', 'Value is not a valid number.');
  } else {
    if (type === ApplicationCommandOptionType.Integer && !Number.isSafeInteger(value)) {
      errors.add([...at, 'value'], 'NUMBER_TYPE_COERCE', 'Value is not a valid integer.');
    }
    chars += String(value).length;
  }
  return chars;
}

/** Validates a bulk-overwrite body (`PUT …/commands`); throws Discord's 400 on the first bad payload. */
export function validateCommands(body: unknown): Json[] {
  if (!Array.isArray(body)) {
    throw new DiscordHttpError(400, {
      message: 'Invalid Form Body',
      code: 50035,
      errors: { _errors: [{ code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' }] },
    });
  }
  const counts = new Map<number, number>();
  for (const command of body) {
    const type =
      isObject(command) && typeof command.type === 'number' ? command.type : ApplicationCommandType.ChatInput;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  if ((counts.get(ApplicationCommandType.ChatInput) ?? 0) > LIMITS.chatInputCommands) {
    throw new DiscordHttpError(400, {
      message: `Maximum number of application commands reached (${LIMITS.chatInputCommands})`,
      code: 30032,
    });
  }
  for (const type of [ApplicationCommandType.User, ApplicationCommandType.Message]) {
    if ((counts.get(type) ?? 0) > LIMITS.contextMenuCommands) {
      throw new DiscordHttpError(400, {
        message: `Maximum number of application commands reached (${LIMITS.contextMenuCommands})`,
        code: 30032,
      });
    }
  }

  const errors = new FormErrors();
  const seen = new Set<string>();
  body.forEach((command: unknown, index) => {
    if (!isObject(command)) {
      errors.add([index], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    const type = command.type ?? ApplicationCommandType.ChatInput;
    if (
      type !== ApplicationCommandType.ChatInput &&
      type !== ApplicationCommandType.User &&
      type !== ApplicationCommandType.Message &&
      type !== ApplicationCommandType.PrimaryEntryPoint
    ) {
      errors.add([index, 'type'], 'BASE_TYPE_CHOICES', 'Value must be one of (1, 2, 3, 4).');
      return;
    }
    const chatInput = type === ApplicationCommandType.ChatInput;
    const name = checkName(errors, [index, 'name'], command.name, chatInput);
    let chars = length(name);
    if (chatInput) {
      chars += length(checkDescription(errors, [index, 'description'], command.description));
      chars += checkOptions(errors, [index, 'options'], command.options, 'command');
    } else if (
      type !== ApplicationCommandType.PrimaryEntryPoint &&
      command.description !== undefined &&
      command.description !== ''
    ) {
      errors.add(
        [index, 'description'],
        'APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION',
        'Context menu commands cannot have a description',
      );
    }
    const key = `${String(type)}:${name}`;
    if (seen.has(key)) {
      errors.add([index, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique');
    }
    seen.add(key);
    if (chars > LIMITS.commandTotalChars) {
      errors.add(
        [index],
        'APPLICATION_COMMAND_TOO_LARGE',
        `Command exceeds maximum size (${LIMITS.commandTotalChars})`,
      );
    }
    const permissions = command.default_member_permissions;
    if (
      permissions !== undefined &&
      permissions !== null &&
      (typeof permissions !== 'string' || !/^\d{1,20}$/.test(permissions))
    ) {
      errors.add(
        [index, 'default_member_permissions'],
        'NUMBER_TYPE_COERCE',
        'Value is not a valid permission bitfield.',
      );
    }
    for (const key of ['contexts', 'integration_types'] as const) {
      const value = command[key];
      if (
        value !== undefined &&
        value !== null &&
        (!Array.isArray(value) || value.some((v) => typeof v !== 'number'))
      ) {
        errors.add([index, key], 'BASE_TYPE_ARRAY', 'Must be an array of integers.');
      }
    }
  });
  errors.throwIfAny();
  return body as Json[];
}

/** The choices of an autocomplete answer (`type` 8). */
export function validateAutocompleteChoices(choices: unknown): APIApplicationCommandOptionChoice[] {
  const errors = new FormErrors();
  const path = ['data', 'choices'];
  if (!Array.isArray(choices)) {
    errors.add(path, 'BASE_TYPE_REQUIRED', 'This field is required');
    errors.throwIfAny();
    return [];
  }
  if (choices.length > LIMITS.choices) {
    errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.choices} or fewer in length.`);
  }
  choices.forEach((choice: unknown, index) => {
    if (!isObject(choice)) {
      errors.add([...path, index], 'MODEL_TYPE_CONVERT', 'Only dictionaries may be used in a ModelType');
      return;
    }
    const type =
      typeof choice.value === 'number' ? ApplicationCommandOptionType.Number : ApplicationCommandOptionType.String;
    checkChoice(errors, [...path, index], choice, type);
  });
  errors.throwIfAny();
  return choices as APIApplicationCommandOptionChoice[];
}

function checkEmbed(errors: FormErrors, at: (string | number)[], embed: APIEmbed): number {
  let total = 0;
  const text = (value: string | undefined, limit: number, path: (string | number)[]) => {
    if (value === undefined) return;
    if (length(value) > limit) errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${limit} or fewer in length.`);
    total += length(value);
  };
  text(embed.title, LIMITS.embedTitle, [...at, 'title']);
  text(embed.description, LIMITS.embedDescription, [...at, 'description']);
  text(embed.footer?.text, LIMITS.embedFooter, [...at, 'footer', 'text']);
  text(embed.author?.name, LIMITS.embedAuthor, [...at, 'author', 'name']);
  const fields = embed.fields ?? [];
  if (fields.length > LIMITS.embedFields) {
    errors.add([...at, 'fields'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embedFields} or fewer in length.`);
  }
  fields.forEach((field, index) => {
    if (!field.name) errors.add([...at, 'fields', index, 'name'], 'BASE_TYPE_REQUIRED', 'This field is required');
    if (!field.value) errors.add([...at, 'fields', index, 'value'], 'BASE_TYPE_REQUIRED', 'This field is required');
    text(field.name, LIMITS.embedFieldName, [...at, 'fields', index, 'name']);
    text(field.value, LIMITS.embedFieldValue, [...at, 'fields', index, 'value']);
  });
  for (const key of ['url', 'thumbnail', 'image'] as const) {
    const value = key === 'url' ? embed.url : embed[key]?.url;
    if (value !== undefined && !/^(https?|attachment):\/\//.test(value)) {
      errors.add([...at, key], 'URL_TYPE_INVALID_SCHEME', 'Scheme must be one of (http, https, attachment).');
    }
  }
  return total;
}

function checkComponents(errors: FormErrors, path: (string | number)[], components: unknown): void {
  if (!Array.isArray(components)) {
    errors.add(path, 'BASE_TYPE_ARRAY', 'Must be an array.');
    return;
  }
  if (components.length > LIMITS.actionRows) {
    errors.add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.actionRows} or fewer in length.`);
  }
  const customIds = new Set<string>();
  components.forEach((row: APIActionRowComponent<never> | unknown, r) => {
    if (!isObject(row) || row.type !== ComponentType.ActionRow || !Array.isArray(row.components)) {
      errors.add([...path, r], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (1,).');
      return;
    }
    if (row.components.length < 1 || row.components.length > LIMITS.rowButtons) {
      errors.add(
        [...path, r, 'components'],
        'BASE_TYPE_BAD_LENGTH',
        `Must be between 1 and ${LIMITS.rowButtons} in length.`,
      );
    }
    row.components.forEach((component: unknown, c) => {
      const at = [...path, r, 'components', c];
      if (!isObject(component) || component.type !== ComponentType.Button) return;
      const { style, custom_id: customId, url, label } = component;
      if (typeof label === 'string' && length(label) > LIMITS.buttonLabel) {
        errors.add([...at, 'label'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.buttonLabel} or fewer in length.`);
      }
      if (style === ButtonStyle.Link) {
        if (typeof url !== 'string' || !/^(https?|discord):\/\//.test(url)) {
          errors.add([...at, 'url'], 'BASE_TYPE_REQUIRED', 'A link button needs a url.');
        }
        if (customId !== undefined)
          errors.add([...at, 'custom_id'], 'COMPONENT_CUSTOM_ID_INVALID', 'Link buttons cannot have a custom_id.');
      } else if (style !== ButtonStyle.Premium) {
        if (typeof customId !== 'string' || length(customId) < 1 || length(customId) > LIMITS.customId) {
          errors.add(
            [...at, 'custom_id'],
            'BASE_TYPE_BAD_LENGTH',
            `Must be between 1 and ${LIMITS.customId} in length.`,
          );
        } else if (customIds.has(customId)) {
          errors.add(
            [...at, 'custom_id'],
            'COMPONENT_CUSTOM_ID_DUPLICATED',
            'Component custom id cannot be duplicated',
          );
        } else {
          customIds.add(customId);
        }
      }
    });
  });
}

/** A message body: interaction reply data, a webhook edit or a followup. */
export function validateMessage(data: unknown, { requireBody }: { requireBody: boolean }): Json {
  const errors = new FormErrors();
  if (!isObject(data)) {
    if (requireBody) throw new DiscordHttpError(400, { message: 'Cannot send an empty message', code: 50006 });
    return {};
  }
  const flags = typeof data.flags === 'number' ? data.flags : 0;
  const componentsV2 = (flags & MessageFlags.IsComponentsV2) !== 0;
  if (typeof data.content === 'string' && length(data.content) > LIMITS.content) {
    errors.add(['content'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.content} or fewer in length.`);
  }
  const embeds = Array.isArray(data.embeds) ? (data.embeds as APIEmbed[]) : [];
  if (embeds.length > LIMITS.embeds)
    errors.add(['embeds'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embeds} or fewer in length.`);
  let total = 0;
  embeds.forEach((embed, index) => {
    total += checkEmbed(errors, ['embeds', index], embed);
  });
  if (total > LIMITS.embedTotal)
    errors.add(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
  if (data.components !== undefined && !componentsV2) checkComponents(errors, ['components'], data.components);
  errors.throwIfAny();
  const hasBody =
    (typeof data.content === 'string' && data.content.length > 0) ||
    embeds.length > 0 ||
    (Array.isArray(data.components) && data.components.length > 0) ||
    (Array.isArray(data.attachments) && data.attachments.length > 0);
  if (requireBody && !hasBody)
    throw new DiscordHttpError(400, { message: 'Cannot send an empty message', code: 50006 });
  return data;
}
