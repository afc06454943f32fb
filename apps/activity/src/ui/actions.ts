import type { RoomSession } from '../room/session.ts';
import { readApp } from '../room/store.ts';

/** Pause when the room plays (or waits to play), play when it is paused. */
export function togglePlay(session: RoomSession): void {
  const status = readApp().snapshot?.playback.status;
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
