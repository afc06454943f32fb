import type { LibraryItemDto } from '@dpp/shared';
import { formatTime, roomIdFor } from '@dpp/shared';
import {
  ApplicationCommandOptionType,
  ApplicationIntegrationType,
  EmbedBuilder,
  InteractionContextType,
} from 'discord.js';
import type { Command } from '../command.ts';
import type { BotContext } from '../context.ts';
import { UserFacingError } from '../errors.ts';
import { launchForCaller } from '../launch.ts';
import { ITEM_CHOICE_PREFIX, itemChoices, itemTitle } from '../library-items.ts';
import { joinRow, manualJoinHint, truncate } from '../replies.ts';
import { actorOf, intentKey, requireVoiceChannel } from '../rooms.ts';
import type { Actor } from '../server-api.ts';

/** A chosen suggestion (`item:<id>`), or free text: the best playable match. */
async function resolveItem(
  ctx: BotContext,
  actor: Actor,
  guildId: string,
  query: string,
): Promise<{ id: string; title: string | null; thumb: string | null }> {
  if (query.startsWith(ITEM_CHOICE_PREFIX)) {
    const id = query.slice(ITEM_CHOICE_PREFIX.length);
    const known = ctx.search.item(guildId, id);
    return { id, title: known ? itemTitle(known) : null, thumb: known?.thumb ?? null };
  }
  const items = await ctx.search.search(actor, guildId, query);
  const best: LibraryItemDto | undefined = items.find((item) => item.playable);
  if (!best) throw new UserFacingError(`🔎 Nothing playable in the library matches “${truncate(query, 80)}”.`);
  return { id: best.id, title: itemTitle(best), thumb: best.thumb };
}

export default {
  data: {
    name: 'play',
    description: 'Play a movie or episode from Plex in your voice channel',
    options: [
      {
        type: ApplicationCommandOptionType.String,
        name: 'query',
        description: 'What to play: start typing a title',
        required: true,
        autocomplete: true,
        max_length: 100,
      },
    ],
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },

  async autocomplete(interaction, ctx) {
    const typed = interaction.options.getFocused();
    const deadline = interaction.createdTimestamp + ctx.tuning.autocompleteBudgetMs;
    const { items, source } = await ctx.search.suggest(actorOf(interaction), interaction.guildId, typed, deadline);
    ctx.log.debug({ guildId: interaction.guildId, source, count: items.length }, 'autocomplete /play');
    await interaction.respond(itemChoices(items));
  },

  async execute(interaction, ctx) {
    const channel = requireVoiceChannel(interaction, 'the movie plays in your voice channel, for everyone in it.');
    const actor = actorOf(interaction);
    // LAUNCH_ACTIVITY must be the first answer: the caller's player opens while the item loads.
    const launched = await launchForCaller(interaction, ctx.log);
    if (!launched) await interaction.deferReply();
    const item = await resolveItem(ctx, actor, interaction.guildId, interaction.options.getString('query', true));
    const roomId = roomIdFor(interaction.guildId, channel.id);

    // One room update on the server: two /play at once never replace each other (one starts, one queues).
    const played = await ctx.api.play(actor, roomId, item.id, intentKey(interaction, 'play'));
    const queued = played.outcome === 'queued';
    // Everyone already in the channel is in the room too, not only the caller (a no-op for known rooms).
    if (!queued) await ctx.voice.syncGuild(interaction.guild);
    const entry = played.snapshot.queue.find((e) => e.entryId === played.entryId);
    const title = entry?.title ?? item.title ?? 'your pick';
    const position = entry ? played.snapshot.queue.indexOf(entry) : -1;

    const invite = await ctx.invites.forChannel(channel);
    const embed = new EmbedBuilder()
      .setColor(0xe5a00d)
      .setTitle(truncate(queued ? `➕ Added to the queue: ${title}` : `▶️ Now playing: ${title}`, 256))
      .setDescription(
        [
          `in 🔊 **${channel.name}**, requested by ${interaction.member.displayName}`,
          queued && position > 0 ? `#${position} in the queue` : null,
          played.resumedFromMs === undefined ? null : `⏩ Resuming from ${formatTime(played.resumedFromMs)}`,
          invite ? null : manualJoinHint(channel),
        ]
          .filter(Boolean)
          .join('\n'),
      );
    const thumb = entry?.thumb ?? item.thumb;
    if (thumb && ctx.config.publicUrl?.startsWith('https://')) embed.setThumbnail(`${ctx.config.publicUrl}${thumb}`);
    const reply = { embeds: [embed], components: joinRow(invite) };
    if (launched) await interaction.followUp(reply);
    else await interaction.editReply(reply);
  },
} satisfies Command;
