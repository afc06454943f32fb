import {
  continueWatchingSchema,
  itemListSchema,
  itemPageSchema,
  LIBRARY_LIMITS,
  type LibraryItemDto,
  libraryItemDetailSchema,
  resumeResponseSchema,
  sectionsResponseSchema,
} from '@dpp/shared';
import { api } from './api.ts';

/**
 * `path` with its query and, in Discord, `guildId=` (the library and the Plex servers are the guild's;
 * standalone rooms have no guild). Parameters left undefined are left out.
 */
export function withGuild(
  path: string,
  guildId: string | undefined,
  params: Record<string, string | number | undefined> = {},
): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, String(value));
  if (guildId) query.set('guildId', guildId);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The library endpoints for the guild `guildId()` names when a request is made. */
export function libraryApiFor(guildId: () => string | undefined) {
  const at = (path: string, params?: Record<string, string | number | undefined>) => withGuild(path, guildId(), params);
  return {
    sections: (signal?: AbortSignal) => api(at('/api/library/sections'), { schema: sectionsResponseSchema, signal }),
    items: (sectionId: string, cursor: string | undefined, signal?: AbortSignal) =>
      api(
        at(`/api/library/sections/${encodeURIComponent(sectionId)}/items`, {
          cursor,
          limit: LIBRARY_LIMITS.defaultPageSize,
        }),
        { schema: itemPageSchema, signal },
      ),
    search: (q: string, signal?: AbortSignal) =>
      api(at('/api/library/search', { q, limit: LIBRARY_LIMITS.maxSearchLimit }), {
        schema: itemListSchema,
        signal,
      }),
    item: (id: string, signal?: AbortSignal) =>
      api(at(`/api/library/items/${encodeURIComponent(id)}`), { schema: libraryItemDetailSchema, signal }),
    children: (id: string, signal?: AbortSignal) =>
      api(at(`/api/library/items/${encodeURIComponent(id)}/children`), { schema: itemListSchema, signal }),
    /** Items the guild left part-way, newest first. */
    continueWatching: (signal?: AbortSignal) =>
      api(at('/api/library/continue'), { schema: continueWatchingSchema, signal }),
    /** Where the guild left an item (null: never, or watched). */
    resume: (id: string, signal?: AbortSignal) =>
      api(at(`/api/library/items/${encodeURIComponent(id)}/resume`), { schema: resumeResponseSchema, signal }),
  };
}

/** "S1 · E3", "2019", "Season 2" — the small line under a title. */
export function itemSubtitle(item: LibraryItemDto): string {
  switch (item.type) {
    case 'episode': {
      const se = [
        item.parentIndex !== null ? `S${item.parentIndex}` : null,
        item.index !== null ? `E${item.index}` : null,
      ]
        .filter(Boolean)
        .join(' · ');
      return [item.grandparentTitle, se].filter(Boolean).join(' — ');
    }
    case 'season':
      return item.childCount !== null ? `${item.childCount} episodes` : (item.parentTitle ?? '');
    case 'show':
      return [item.year, item.childCount !== null ? `${item.childCount} seasons` : null].filter(Boolean).join(' · ');
    case 'movie':
    case 'other':
      return item.year ? String(item.year) : '';
    default: {
      const never: never = item.type;
      return String(never);
    }
  }
}

/** The queue title for an episode names its show. */
export function displayTitle(item: LibraryItemDto): string {
  return item.type === 'episode' && item.grandparentTitle ? `${item.grandparentTitle}: ${item.title}` : item.title;
}
