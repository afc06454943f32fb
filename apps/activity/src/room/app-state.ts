import type { Member, RoomSnapshot, SessionUser, SyncStatus, Welcome } from '@dpp/shared';
import type { ConnectionStatus } from './room-socket-client.ts';

export type Quality = 'auto' | 'original' | '1080p' | '720p' | '480p' | '360p' | '240p';
/** The server's qualities; `height` for the transcoded ones (what the menu offers below the source). */
const QUALITIES: readonly { value: Quality; label: string; height?: number }[] = [
  { value: 'auto', label: 'Auto' },
  { value: 'original', label: 'Original' },
  { value: '1080p', label: '1080p', height: 1080 },
  { value: '720p', label: '720p', height: 720 },
  { value: '480p', label: '480p', height: 480 },
  { value: '360p', label: '360p', height: 360 },
  { value: '240p', label: '240p', height: 240 },
];

/**
 * The qualities worth offering for an item whose source is `sourceHeight` pixels tall: Auto, the
 * original (named by its height), and each smaller rendition the server can make; nothing above the
 * source (a 1080p choice for a 360p clip would only show the same picture). Unknown height: all.
 */
export function qualityChoices(sourceHeight: number | null): { value: Quality; label: string }[] {
  return QUALITIES.filter((q) => q.height === undefined || sourceHeight === null || q.height < sourceHeight).map(
    (q) => ({
      value: q.value,
      label: q.value === 'original' && sourceHeight !== null ? `Original (${sourceHeight}p)` : q.label,
    }),
  );
}

/** Local-only player settings (never sent to the room), remembered in localStorage. */
export interface Prefs {
  volume: number;
  muted: boolean;
  quality: Quality;
  /** Subtitle track label/language the viewer chose, or null for off. */
  subtitles: string | null;
  captionSize: CaptionSize;
  captionBackground: CaptionBackground;
}

export type NoticeKind = 'info' | 'error';

/** What a part of the app posts: the one way to tell the viewer something (see `postNotice`). */
export interface NoticeInput {
  text: string;
  kind?: NoticeKind;
  /**
   * Notices with the same key collapse into one: the newer replaces the older, and when both name an
   * `actor` the actors are joined ("Ana and Ben paused at 12:03").
   */
  key?: string;
  /** Who did it, and what they did, when the text is "<actor> <action>". */
  actor?: string;
  action?: string;
  /** Stays until acted on (the button) or dismissed, instead of fading after a few seconds. */
  needsAction?: boolean | { label: string; run: () => void };
}

export interface Notice {
  id: number;
  text: string;
  kind: NoticeKind;
  key: string | null;
  actors: string[];
  action: string | null;
  needsAction: false | true | { label: string; run: () => void };
  /** How many times this notice was posted (collapsed repeats), so the UI can restart its fade. */
  count: number;
}

/** Someone in the Discord activity instance (from the SDK), for avatars and who is still joining. */
export interface Participant {
  id: string;
  name: string;
  avatarUrl: string | null;
}

export type Panel = 'queue' | 'library' | 'people';

export type CaptionSize = 'small' | 'medium' | 'large';
export type CaptionBackground = 'none' | 'translucent' | 'solid';
export const CAPTION_SIZES: readonly { value: CaptionSize; label: string }[] = [
  { value: 'small', label: 'Small' },
  { value: 'medium', label: 'Medium' },
  { value: 'large', label: 'Large' },
];
export const CAPTION_BACKGROUNDS: readonly { value: CaptionBackground; label: string }[] = [
  { value: 'none', label: 'No background' },
  { value: 'translucent', label: 'Translucent' },
  { value: 'solid', label: 'Solid' },
];

/** Discord's layout for the activity (`ACTIVITY_LAYOUT_MODE_UPDATE`); null outside Discord. */
export type DiscordLayoutMode = 'focused' | 'pip' | 'grid';

export interface SubtitleTrack {
  id: string;
  label: string;
  language: string;
}

export interface AppState {
  mode: 'discord' | 'standalone';
  user: SessionUser | null;
  roomId: string | null;
  roomLabel: string;
  /** May link Plex (Manage Server in Discord; anyone in standalone mode). */
  canManage: boolean;

  connection: { status: ConnectionStatus; reason?: string; attempt: number; everOpen: boolean };
  snapshot: RoomSnapshot | null;
  you: Welcome['you'] | null;
  /** Server clock offset and RTT, for the sync badge's details. */
  clock: { offsetMs: number; rttMs: number | null };
  sync: SyncStatus;
  notices: Notice[];
  participants: Participant[];
  prefs: Prefs;
  /** The player started muted because the browser refused sound without a gesture. */
  autoplayMuted: boolean;
  /** The browser refused even a muted start: a tap is needed. */
  needsGesture: boolean;
  subtitleTracks: SubtitleTrack[];
  /** The lines of the caption cues showing now (drawn by the app above its controls). */
  captionLines: string[];
  /** Where Discord shows the activity; null in a plain browser. */
  discordLayout: DiscordLayoutMode | null;
  /** The compact layout's sheet (panels and menus) is open. */
  sheetOpen: boolean;
  panel: Panel;
  plexDialog: boolean;
  /** Bumped to make the player ask for a fresh stream (the "try again" after a playback error). */
  streamReload: number;
}

/** Where the prefs are kept (localStorage). */
export const PREFS_KEY = 'dpp.prefs';

/** The prefs remembered from an earlier visit, each checked; defaults for what is missing or unusable. */
export function loadPrefs(): Prefs {
  const defaults: Prefs = {
    volume: 1,
    muted: false,
    quality: 'auto',
    subtitles: null,
    captionSize: 'medium',
    captionBackground: 'translucent',
  };
  try {
    const raw = globalThis.localStorage?.getItem(PREFS_KEY);
    if (!raw) return defaults;
    const stored = JSON.parse(raw) as Partial<Prefs>;
    return {
      volume: typeof stored.volume === 'number' ? Math.min(1, Math.max(0, stored.volume)) : defaults.volume,
      muted: typeof stored.muted === 'boolean' ? stored.muted : defaults.muted,
      quality: QUALITIES.some((q) => q.value === stored.quality) ? (stored.quality as Quality) : defaults.quality,
      subtitles: typeof stored.subtitles === 'string' ? stored.subtitles : null,
      captionSize: CAPTION_SIZES.some((c) => c.value === stored.captionSize)
        ? (stored.captionSize as CaptionSize)
        : defaults.captionSize,
      captionBackground: CAPTION_BACKGROUNDS.some((c) => c.value === stored.captionBackground)
        ? (stored.captionBackground as CaptionBackground)
        : defaults.captionBackground,
    };
  } catch {
    return defaults;
  }
}

/** The viewer's own member record. */
export function selectMe(state: AppState): Member | undefined {
  const id = state.you?.userId;
  return id ? state.snapshot?.members.find((m) => m.userId === id) : undefined;
}

/** Whether the viewer may control playback and the queue under the room's settings. */
export function selectCanControl(state: AppState): boolean {
  if (!state.snapshot) return false;
  if (state.snapshot.settings.control === 'everyone') return true;
  return selectMe(state)?.role === 'host';
}
