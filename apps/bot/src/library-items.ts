/** How library items read in choices and replies. */
import type { LibraryItemDto } from '@dpp/shared';
import type { ApplicationCommandOptionChoiceData } from 'discord.js';
import { truncate } from './replies.ts';

export const ITEM_CHOICE_PREFIX = 'item:';

function duration(ms: number | null): string {
  if (!ms || ms <= 0) return '';
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** "Big Buck Bunny (2008)", "Show — S1E2 · Pilot". */
export function itemTitle(
  item: Pick<LibraryItemDto, 'type' | 'title' | 'year' | 'grandparentTitle' | 'parentIndex' | 'index'>,
): string {
  if (item.type === 'episode') {
    const code = item.parentIndex !== null && item.index !== null ? `S${item.parentIndex}E${item.index} · ` : '';
    return `${item.grandparentTitle ? `${item.grandparentTitle} — ` : ''}${code}${item.title}`;
  }
  return item.year ? `${item.title} (${item.year})` : item.title;
}

/** Autocomplete choices: playable items only, at most 25, names and values within Discord's 100 characters. */
export function itemChoices(items: readonly LibraryItemDto[]): ApplicationCommandOptionChoiceData<string>[] {
  const choices: ApplicationCommandOptionChoiceData<string>[] = [];
  for (const item of items) {
    if (!item.playable) continue;
    const value = `${ITEM_CHOICE_PREFIX}${item.id}`;
    if (value.length > 100) continue;
    const length = duration(item.durationMs);
    const name = truncate(`${itemTitle(item)}${length ? ` · ${length}` : ''}`, 100);
    choices.push({ name, value });
    if (choices.length === 25) break;
  }
  return choices;
}
