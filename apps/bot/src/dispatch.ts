/** Routes an interaction to its command module, answering every failure with a message. */
import type { Interaction } from 'discord.js';
import type { BotContext } from './context.ts';
import { describeError } from './errors.ts';
import { ephemeral, replyWithError } from './replies.ts';

export async function handleInteraction(interaction: Interaction, ctx: BotContext): Promise<void> {
  const name = interaction.isCommand() || interaction.isAutocomplete() ? interaction.commandName : undefined;
  const customId = interaction.isMessageComponent() ? interaction.customId : undefined;
  const log = ctx.log.child({
    interactionId: interaction.id,
    command: name,
    customId,
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    userId: interaction.user.id,
  });

  if (!interaction.inCachedGuild()) {
    if (interaction.isAutocomplete()) await interaction.respond([]).catch(() => {});
    else if (interaction.isRepliable()) {
      await interaction.reply(ephemeral('Use me in a Discord server I have been added to.')).catch(() => {});
    }
    return;
  }

  try {
    if (interaction.isAutocomplete()) {
      const command = ctx.commands.get(interaction.commandName);
      if (!command?.autocomplete) {
        await interaction.respond([]);
        return;
      }
      await command.autocomplete(interaction, { ...ctx, log });
    } else if (interaction.isChatInputCommand()) {
      const command = ctx.commands.get(interaction.commandName);
      if (!command) {
        log.warn('unknown command (registered commands are out of date: run pnpm bot:register)');
        await interaction.reply(
          ephemeral('I do not know this command any more. An admin should re-register my commands.'),
        );
        return;
      }
      await command.execute(interaction, { ...ctx, log });
    } else if (interaction.isButton()) {
      const command = ctx.commands.get(interaction.customId.split(':')[0] ?? '');
      if (!command?.button) {
        await interaction.reply(ephemeral('This button no longer works.'));
        return;
      }
      await command.button(interaction, { ...ctx, log });
    }
  } catch (error) {
    if (describeError(error).bug) {
      ctx.errors?.capture(error, { service: 'bot', command: name, custom_id: customId?.split(':')[0] });
    }
    await replyWithError(interaction, error, log);
  }
}
