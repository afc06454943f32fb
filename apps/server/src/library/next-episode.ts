import type { MediaItem, MediaSource } from '../media/media-source.ts';

/**
 * The episode after `itemId` in its show, across seasons (the last of season 1 is followed by the
 * first of season 2), in the order the library lists them. Undefined for the show's last episode and
 * for anything that is not an episode. Season 0 (specials) is never entered from another season.
 */
export async function nextEpisodeOf(source: MediaSource, itemId: string): Promise<MediaItem | undefined> {
  const episode = await source.item(itemId);
  if (episode.type !== 'episode' || episode.parentId === null) return undefined;
  const season = await source.item(episode.parentId);
  const inSeason = await source.children(season.id);
  const here = inSeason.findIndex((e) => e.id === episode.id);
  const following = inSeason.slice(here + 1).find((e) => e.playable);
  if (here >= 0 && following) return following;
  if (season.parentId === null || season.index === 0) return undefined;
  const seasons = (await source.children(season.parentId)).filter((s) => s.type === 'season' && s.index !== 0);
  const at = seasons.findIndex((s) => s.id === season.id);
  for (const later of seasons.slice(at + 1)) {
    const first = (await source.children(later.id)).find((e) => e.playable);
    if (first) return first;
  }
  return undefined;
}
