import { type RefObject, useEffect } from 'react';
import { selectCanControl } from '../room/app-state.ts';
import type { RoomSession } from '../room/session.ts';
import { endAutoplayMute, readApp, setPrefs, setVolume } from '../room/store.ts';
import { toggleFullscreen, togglePlay } from './actions.ts';

const SEEK_STEP_MS = 10_000;

function typingInto(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (target as HTMLInputElement).type;
  return type !== 'range' && type !== 'checkbox' && type !== 'button';
}

const INTERACTIVE_ROLES = new Set([
  'button',
  'link',
  'slider',
  'menu',
  'menuitem',
  'menuitemradio',
  'menuitemcheckbox',
  'tab',
  'tablist',
  'option',
  'listbox',
  'switch',
  'checkbox',
  'radio',
  'dialog',
]);

/**
 * Whether keyboard focus is on something that takes keys itself (a button, link, slider, menu, tab,
 * input): then Space and the arrows are its own, not the room's.
 */
function focusTakesKeys(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (['BUTTON', 'A', 'INPUT', 'SELECT', 'TEXTAREA', 'SUMMARY'].includes(target.tagName)) return true;
  const role = target.getAttribute('role');
  return role !== null && INTERACTIVE_ROLES.has(role);
}

/**
 * Space (or k) play/pause, ←/→ seek 10 s, ↑/↓ volume, f fullscreen, m mute. Ignored while typing
 * (search box, dialogs), with Ctrl/Alt/Meta held, and Space, k and the arrows while a control has focus.
 */
export function useShortcuts(session: RoomSession, stageRef: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typingInto(event.target)) return;
      // A focused slider (volume, seek bar) takes its own arrow keys.
      // A focused button, link, slider, menu or tab keeps Space, k and the arrows (a button clicks on
      // Space, a menu moves on the arrows): the room's shortcuts are for the picture and the page.
      if (focusTakesKeys(event.target) && (event.key === ' ' || event.key === 'k' || event.key.startsWith('Arrow'))) {
        return;
      }
      const state = readApp();
      if (state.plexDialog) return;
      const canControl = selectCanControl(state);
      const hasItem = state.snapshot?.playback.itemId != null;
      switch (event.key) {
        case ' ':
        case 'k':
          event.preventDefault();
          if (hasItem && canControl) togglePlay(session);
          return;
        case 'ArrowLeft':
        case 'ArrowRight': {
          if (!hasItem || !canControl) return;
          event.preventDefault();
          const now = session.expectedPositionMs() ?? 0;
          const step = event.key === 'ArrowLeft' ? -SEEK_STEP_MS : SEEK_STEP_MS;
          const duration = state.snapshot?.queue[0]?.durationMs ?? Number.POSITIVE_INFINITY;
          session.send({ op: 'seek', positionMs: Math.round(Math.min(duration, Math.max(0, now + step))) });
          return;
        }
        case 'ArrowUp':
        case 'ArrowDown': {
          event.preventDefault();
          const delta = event.key === 'ArrowUp' ? 0.1 : -0.1;
          setVolume(Math.min(1, Math.max(0, Math.round((state.prefs.volume + delta) * 10) / 10)));
          return;
        }
        case 'f':
        case 'F':
          event.preventDefault();
          if (stageRef.current) toggleFullscreen(stageRef.current);
          return;
        case 'm':
        case 'M':
          event.preventDefault();
          if (state.autoplayMuted) {
            endAutoplayMute();
            setPrefs({ muted: false });
          } else {
            setPrefs({ muted: !state.prefs.muted });
          }
          return;
        default:
          return;
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [session, stageRef]);
}
