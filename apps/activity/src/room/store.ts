/**
 * The app's state (one zustand store) and the only ways to reach it: `useApp(selector)` and the named
 * hooks below in components, `readApp()` / `watchApp()` elsewhere, and the named actions for every
 * change. The store itself is not exported, so no module writes to it behind the actions' back.
 */

import type { SyncStatus } from '@dpp/shared';
import {
  applyState,
  type Clock,
  guildOfRoom,
  type RoomSnapshot,
  type SessionUser,
  type StateMessage,
  type TimerHandle,
  type Welcome,
} from '@dpp/shared';
import { create } from 'zustand';
import { browserClock } from '../lib/browser-clock.ts';
import {
  type AppState,
  type DiscordLayoutMode,
  loadPrefs,
  type Notice,
  type NoticeInput,
  type NoticeKind,
  type Panel,
  type Participant,
  PREFS_KEY,
  type Prefs,
  type SubtitleTrack,
  selectCanControl,
  selectMe,
} from './app-state.ts';
import type { ConnectionStatus } from './room-socket-client.ts';

const IDLE_SYNC: SyncStatus = { phase: 'idle', driftMs: null, rate: 1, seekLatencyMs: 0, startLatencyMs: 0, seeks: 0 };

const store = create<AppState>()(() => ({
  mode: 'standalone',
  user: null,
  roomId: null,
  roomLabel: '',
  canManage: false,
  connection: { status: 'connecting', attempt: 0, everOpen: false },
  snapshot: null,
  you: null,
  clock: { offsetMs: 0, rttMs: null },
  sync: IDLE_SYNC,
  notices: [],
  participants: [],
  prefs: loadPrefs(),
  autoplayMuted: false,
  needsGesture: false,
  subtitleTracks: [],
  captionLines: [],
  discordLayout: null,
  sheetOpen: false,
  panel: 'queue',
  plexDialog: false,
  streamReload: 0,
}));

// ---- reading -------------------------------------------------------------------------------

/** A component's view of the state: re-renders when what `selector` returns changes. */
export function useApp<T>(selector: (state: AppState) => T): T {
  return store(selector);
}

/** The state now, for event handlers and modules outside React (read only: changes are actions). */
export function readApp(): AppState {
  return store.getState();
}

/** Calls `listener` after every change; returns the unsubscribe. */
export function watchApp(listener: (state: AppState, previous: AppState) => void): () => void {
  return store.subscribe(listener);
}

/** The guild of this room (Discord), undefined in standalone mode: the library and Plex are the guild's. */
export function currentGuildId(): string | undefined {
  const roomId = store.getState().roomId;
  return roomId === null ? undefined : guildOfRoom(roomId);
}

export const useCanControl = () => useApp(selectCanControl);
export const useMe = () => useApp(selectMe);
export const usePlayback = () => useApp((s) => s.snapshot?.playback);
/** The room has an item loaded. */
export const useHasItem = () => useApp((s) => s.snapshot?.playback.itemId != null);
export const useItemId = () => useApp((s) => s.snapshot?.playback.itemId ?? null);
/** The queue entry playing now (the head of the queue while an item is loaded). */
export const useCurrentEntry = () =>
  useApp((s) => (s.snapshot?.playback.itemId != null ? s.snapshot.queue[0] : undefined));
export const useMembers = () => useApp((s) => s.snapshot?.members ?? []);

// ---- the session and the room ----------------------------------------------------------------

/** Signed in and about to join `roomId`. */
export function enterRoom(entry: Pick<AppState, 'mode' | 'user' | 'roomId' | 'roomLabel' | 'canManage'>): void {
  store.setState(entry);
}

/** The session was renewed (same viewer, maybe a new name or avatar). */
export function setUser(user: SessionUser): void {
  store.setState({ user });
}

export function setParticipants(participants: Participant[]): void {
  store.setState({ participants });
}

export function setDiscordLayout(discordLayout: DiscordLayoutMode | null): void {
  store.setState({ discordLayout });
}

/** The room socket's status changed; returns what it was before. */
export function setConnection(
  status: ConnectionStatus,
  detail: { reason?: string; attempt: number },
): AppState['connection'] {
  const previous = store.getState().connection;
  store.setState({
    connection: {
      status,
      reason: detail.reason,
      attempt: detail.attempt,
      everOpen: previous.everOpen || status === 'open',
    },
  });
  return previous;
}

/** A welcome or a fresh snapshot: the room as the server has it now. */
export function setRoom(snapshot: RoomSnapshot, you?: Welcome['you']): void {
  store.setState(you === undefined ? { snapshot } : { snapshot, you });
}

/** A state broadcast applied to the room; null before the welcome (nothing to apply it to). */
export function applyRoomState(message: StateMessage): { before: RoomSnapshot; after: RoomSnapshot } | null {
  const before = store.getState().snapshot;
  if (!before) return null;
  const after = applyState(before, message);
  store.setState({ snapshot: after });
  return { before, after };
}

/** The clock estimate for the sync badge (a change only when it moved). */
export function setClockEstimate(offsetMs: number, rttMs: number | null): void {
  const previous = store.getState().clock;
  if (previous.rttMs !== rttMs || previous.offsetMs !== offsetMs) store.setState({ clock: { offsetMs, rttMs } });
}

// ---- the player --------------------------------------------------------------------------------

export function setSyncStatus(sync: SyncStatus): void {
  store.setState({ sync });
}

/** The browser started the video muted (no sound without a gesture). */
export function startedMuted(): void {
  store.setState({ autoplayMuted: true });
}

/** The browser refused even a muted start: a tap is needed. */
export function needGesture(): void {
  store.setState({ needsGesture: true });
}

/** The viewer tapped: sound and play are allowed now. */
export function gestureGiven(): void {
  store.setState({ needsGesture: false, autoplayMuted: false });
}

export function setSubtitleTracks(tracks: SubtitleTrack[]): void {
  if (JSON.stringify(store.getState().subtitleTracks) !== JSON.stringify(tracks))
    store.setState({ subtitleTracks: tracks });
}

export function setCaptionLines(lines: string[]): void {
  if (JSON.stringify(store.getState().captionLines) !== JSON.stringify(lines)) store.setState({ captionLines: lines });
}

/** The player is gone: nothing is synced or shown any more. */
export function playerClosed(): void {
  store.setState({ sync: IDLE_SYNC, subtitleTracks: [], captionLines: [] });
}

/** "Try again" after a playback error: the player asks for a fresh stream. */
export function reloadStream(): void {
  store.setState((s) => ({ streamReload: s.streamReload + 1 }));
}

// ---- local player settings -------------------------------------------------------------------

export function setPrefs(patch: Partial<Prefs>): void {
  const prefs = { ...store.getState().prefs, ...patch };
  store.setState({ prefs });
  try {
    globalThis.localStorage?.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // storage may be unavailable (private mode, sandboxed iframe): settings last for this visit
  }
}

/** The viewer chose to hear it: a muted autoplay is over. */
export function endAutoplayMute(): void {
  store.setState({ autoplayMuted: false });
}

/** The "tap to unmute" after a muted autoplay, and the mute button: both end the forced mute. */
export function unmute(): void {
  endAutoplayMute();
  const { prefs } = store.getState();
  setPrefs({ muted: false, volume: prefs.volume === 0 ? 0.5 : prefs.volume });
}

/** The volume slider and ↑/↓: zero is muted. */
export function setVolume(volume: number): void {
  endAutoplayMute();
  setPrefs({ volume, muted: volume === 0 });
}

// ---- panels and dialogs ----------------------------------------------------------------------

export function showPanel(panel: Panel): void {
  store.setState({ panel });
}

/** Opens the compact layout's sheet, on `panel` when given. */
export function openSheet(panel?: Panel): void {
  store.setState(panel === undefined ? { sheetOpen: true } : { sheetOpen: true, panel });
}

export function closeSheet(): void {
  store.setState({ sheetOpen: false });
}

export function openPlexDialog(): void {
  store.setState({ plexDialog: true });
}

export function closePlexDialog(): void {
  store.setState({ plexDialog: false });
}

// ---- notices ---------------------------------------------------------------------------------

/** The notices fade on the page's clock. */
const noticeClock: Clock = browserClock;

let noticeId = 0;
const NOTICE_MS = 4500;
const ERROR_MS = 8000;
/** Notices waiting behind the one shown; older plain ones are dropped beyond this. */
const MAX_WAITING = 2;
let headTimer: TimerHandle;
let headId: number | null = null;
let headCount = 0;

/** "Ana", "Ana and Ben", "Ana, Ben and Cy", "Ana, Ben and 2 others". */
function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  if (names.length === 2) return `${names[0]} and ${names[1]}`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]}`;
  return `${names[0]}, ${names[1]} and ${names.length - 2} others`;
}

/** The notice shown now fades after a while unless it needs an action; the next one then shows. */
function scheduleHead(): void {
  const head = store.getState().notices[0];
  if (head?.id === headId && head?.count === headCount) return;
  noticeClock.clearTimeout(headTimer);
  headTimer = undefined;
  headId = head?.id ?? null;
  headCount = head?.count ?? 0;
  if (!head || head.needsAction) return;
  const id = head.id;
  headTimer = noticeClock.setTimeout(() => dismissNotice(id), head.kind === 'error' ? ERROR_MS : NOTICE_MS);
}

/**
 * Tells the viewer something. One notice shows at a time, off the picture; others wait their turn.
 * A notice with the key of one shown or waiting collapses into it (the actors joined); notices that
 * need an action stay until acted on, and come before plain ones.
 */
export function postNotice(input: NoticeInput): void {
  const kind = input.kind ?? 'info';
  const needsAction = input.needsAction ?? false;
  store.setState((s) => {
    const same = input.key ? s.notices.find((n) => n.key === input.key) : undefined;
    if (same) {
      const actors = input.actor === undefined ? [] : [...same.actors.filter((a) => a !== input.actor), input.actor];
      const text =
        input.actor !== undefined && input.action !== undefined && actors.length > 0
          ? `${joinNames(actors)} ${input.action}`
          : input.text;
      const merged: Notice = {
        ...same,
        text,
        kind,
        actors,
        action: input.action ?? null,
        needsAction,
        count: same.count + 1,
      };
      return { notices: s.notices.map((n) => (n === same ? merged : n)) };
    }
    noticeId += 1;
    const notice: Notice = {
      id: noticeId,
      text: input.text,
      kind,
      key: input.key ?? null,
      actors: input.actor === undefined ? [] : [input.actor],
      action: input.action ?? null,
      needsAction,
      count: 1,
    };
    const [head, ...waiting] = s.notices;
    if (!head) return { notices: [notice] };
    // Something that needs the viewer goes first (a plain notice shown now goes back in line).
    const line = notice.needsAction && !head.needsAction ? [notice, head, ...waiting] : [head, ...waiting, notice];
    const [first, ...rest] = line;
    const plain = rest.filter((n) => !n.needsAction);
    const dropped = new Set(plain.slice(0, Math.max(0, plain.length - MAX_WAITING)));
    return { notices: [first as Notice, ...rest.filter((n) => !dropped.has(n))] };
  });
  scheduleHead();
}

/** Shorthand for a plain notice. */
export function notify(text: string, kind: NoticeKind = 'info', key?: string): void {
  postNotice({ text, kind, key });
}

export function dismissNotice(id: number): void {
  store.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  scheduleHead();
}

/** Removes the notice with this key (its cause went away, e.g. the connection came back). */
export function clearNotice(key: string): void {
  store.setState((s) => ({ notices: s.notices.filter((n) => n.key !== key) }));
  scheduleHead();
}
