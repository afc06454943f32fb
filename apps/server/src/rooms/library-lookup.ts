import type { MediaItem } from '../library/media-source.ts';
import { ItemNotFoundError } from '../library/media-source.ts';
import type { Library } from '../library/plugin.ts';
import { PlexNotFoundError } from '../plex/errors.ts';
import type { ItemLookup } from './ports.ts';

/** "Show — S1E2 · Title" for an episode, the title for anything else. */
export function queueTitle(item: MediaItem): string {
  if (item.type !== 'episode' || !item.grandparentTitle) return item.title;
  const number = item.parentIndex !== null && item.index !== null ? ` S${item.parentIndex}E${item.index}` : '';
  return `${item.grandparentTitle} —${number} · ${item.title}`;
}

/**
 * Queue entries from the room's library (its guild's Plex server, or the demo library). Unknown and
 * unplayable ids are `undefined` (the command answers `unknown_item`); a library that cannot answer
 * rejects (the command answers `unavailable`).
 */
export function libraryLookup(library: Library): ItemLookup {
  return async (itemId, roomId) => {
    const source = await library.sourceForRoom(roomId);
    let item: MediaItem;
    try {
      item = await source.item(itemId);
    } catch (error) {
      if (error instanceof ItemNotFoundError || error instanceof PlexNotFoundError) return undefined;
      throw error;
    }
    if (!item.playable) return undefined;
    return { title: queueTitle(item), durationMs: item.durationMs, thumb: library.artUrl(source, item.thumb, 'thumb') };
  };
}
