import { nextEpisodeOf } from '../library/next-episode.ts';
import type { Library } from '../library/plugin.ts';
import { ItemNotFoundError } from '../media/errors.ts';
import type { MediaItem, MediaItemDetail } from '../media/media-source.ts';
import type { ItemLookup, NextEpisodeLookup } from './ports.ts';

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
    let item: MediaItemDetail;
    try {
      item = await source.item(itemId);
    } catch (error) {
      if (error instanceof ItemNotFoundError) return undefined;
      throw error;
    }
    if (!item.playable) return undefined;
    const creditsAtMs = creditsStart(item);
    return {
      title: queueTitle(item),
      durationMs: item.durationMs,
      thumb: library.artUrl(source, item.thumb, 'thumb'),
      ...(creditsAtMs === undefined ? {} : { creditsAtMs }),
    };
  };
}

/** Where an episode's final credits start (or its first credits, when none is marked final). */
export function creditsStart(item: MediaItemDetail): number | undefined {
  const credits = item.markers.filter((m) => m.type === 'credits');
  return (credits.find((m) => m.final) ?? credits[0])?.startMs;
}

/** "Up next" from the room's library: the next episode, as a queue entry would describe it. */
export function nextEpisodeLookup(library: Library): NextEpisodeLookup {
  return async (itemId, roomId) => {
    const source = await library.sourceForRoom(roomId);
    let next: MediaItem | undefined;
    try {
      next = await nextEpisodeOf(source, itemId);
    } catch (error) {
      if (error instanceof ItemNotFoundError) return undefined;
      throw error;
    }
    if (!next) return undefined;
    const info = await libraryLookup(library)(next.id, roomId);
    return info && { itemId: next.id, ...info };
  };
}
