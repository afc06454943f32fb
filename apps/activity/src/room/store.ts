import type { Member, RoomSnapshot, SessionUser, Welcome } from '@dpp/shared';
import { create } from 'zustand';
import type { SyncStatus } from '../sync/sync-controller.ts';
import type { ConnectionStatus } from './connection.ts';

export type Quality = 'auto' | 'original' | '1080p' | '720p' | '480p';
export const QUALITIES: readonly { value: Quality; label: string }[] = [
  { value: 'auto', label: 'Auto' },
  { value: 'original', label: 'Original' },
  { value: '1080p', label: '1080p' },
  { value: '720p', label: '720p' },
  { value: '480p', label: '480p' },
];

/** Local-only player settings (never sent to the room), remembered in localStorage. */
export interface Prefs {
  volume: number;
  muted: boolean;
  quality: Quality;
  /** Subtitle track label/language the viewer chose, or null for off. */
  subtitles: string | null;
}

export interface Notice {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

/** Someone in the Discord activity instance (from the SDK), for avatars and who is still joining. */
export interface Participant {
  id: string;
  name: string;
  avatarUrl: string | null;
}

export type Panel = 'queue' | 'library' | 'people';

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
  panel: Panel;
  plexDialog: boolean;
  /** Bumped to make the player ask for a fresh stream (the "try again" after a playback error). */
  streamReload: number;
}

const PREFS_KEY = 'dpp.prefs';

function loadPrefs(): Prefs {
  const defaults: Prefs = { volume: 1, muted: false, quality: 'auto', subtitles: null };
  try {
    const raw = globalThis.localStorage?.getItem(PREFS_KEY);
    if (!raw) return defaults;
    const stored = JSON.parse(raw) as Partial<Prefs>;
    return {
      volume: typeof stored.volume === 'number' ? Math.min(1, Math.max(0, stored.volume)) : defaults.volume,
      muted: typeof stored.muted === 'boolean' ? stored.muted : defaults.muted,
      quality: QUALITIES.some((q) => q.value === stored.quality) ? (stored.quality as Quality) : defaults.quality,
      subtitles: typeof stored.subtitles === 'string' ? stored.subtitles : null,
    };
  } catch {
    return defaults;
  }
}

export const useApp = create<AppState>()(() => ({
  mode: 'standalone',
  user: null,
  roomId: null,
  roomLabel: '',
  canManage: false,
  connection: { status: 'connecting', attempt: 0, everOpen: false },
  snapshot: null,
  you: null,
  clock: { offsetMs: 0, rttMs: null },
  sync: { phase: 'idle', driftMs: null, rate: 1, seekLatencyMs: 0, startLatencyMs: 0, seeks: 0 },
  notices: [],
  participants: [],
  prefs: loadPrefs(),
  autoplayMuted: false,
  needsGesture: false,
  subtitleTracks: [],
  panel: 'queue',
  plexDialog: false,
  streamReload: 0,
}));

export function setPrefs(patch: Partial<Prefs>): void {
  const prefs = { ...useApp.getState().prefs, ...patch };
  useApp.setState({ prefs });
  try {
    globalThis.localStorage?.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // storage may be unavailable (private mode, sandboxed iframe): settings last for this visit
  }
}

let noticeId = 0;
const NOTICE_MS = 4500;

/** Shows a short notice; errors stay a little longer. */
export function notify(text: string, tone: Notice['tone'] = 'info'): void {
  noticeId += 1;
  const id = noticeId;
  useApp.setState((s) => ({ notices: [...s.notices.slice(-3), { id, text, tone }] }));
  setTimeout(
    () => useApp.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
    tone === 'error' ? NOTICE_MS * 1.5 : NOTICE_MS,
  );
}

export function dismissNotice(id: number): void {
  useApp.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
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

export function selectCurrentEntry(state: AppState) {
  const snapshot = state.snapshot;
  if (!snapshot || snapshot.playback.itemId === null) return undefined;
  return snapshot.queue[0];
}
