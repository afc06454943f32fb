import type { RoomSession } from '../room/session.ts';
import { setPrefs, useApp } from '../room/store.ts';

/** Pause when the room plays (or waits to play), play when it is paused. */
export function togglePlay(session: RoomSession): void {
  const status = useApp.getState().snapshot?.playback.status;
  if (!status) return;
  session.send({ op: status === 'paused' ? 'play' : 'pause' });
}

export function toggleFullscreen(element: HTMLElement): void {
  if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => undefined);
    return;
  }
  element.requestFullscreen?.().catch(() => undefined);
}

/** The "tap to unmute" after a muted autoplay, and the mute button: both end the forced mute. */
export function unmute(): void {
  useApp.setState({ autoplayMuted: false });
  const { prefs } = useApp.getState();
  setPrefs({ muted: false, volume: prefs.volume === 0 ? 0.5 : prefs.volume });
}
