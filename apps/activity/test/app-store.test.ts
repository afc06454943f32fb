import { describe, expect, it } from 'vitest';
import {
  applyRoomState,
  closeSheet,
  endAutoplayMute,
  openSheet,
  readApp,
  setConnection,
  setPrefs,
  setVolume,
  showPanel,
  startedMuted,
  unmute,
  watchApp,
} from '../src/room/store.ts';

describe('the app state, through its actions', () => {
  it('turning the volume to zero mutes, and unmuting from zero comes back at half volume', () => {
    startedMuted();
    setVolume(0);
    expect(readApp().autoplayMuted).toBe(false);
    expect(readApp().prefs).toMatchObject({ volume: 0, muted: true });
    unmute();
    expect(readApp().prefs).toMatchObject({ volume: 0.5, muted: false });
    setPrefs({ volume: 0.8, muted: true });
    unmute();
    expect(readApp().prefs).toMatchObject({ volume: 0.8, muted: false });
  });

  it('a muted autoplay ends when the viewer chooses sound, without touching their settings', () => {
    setPrefs({ volume: 0.3, muted: false });
    startedMuted();
    expect(readApp().autoplayMuted).toBe(true);
    endAutoplayMute();
    expect(readApp().autoplayMuted).toBe(false);
    expect(readApp().prefs).toMatchObject({ volume: 0.3, muted: false });
  });

  it('remembers that the socket was once open, and tells the caller what the status was', () => {
    expect(setConnection('open', { attempt: 0 }).status).toBe('connecting');
    const before = setConnection('reconnecting', { attempt: 1, reason: 'network' });
    expect(before).toMatchObject({ status: 'open', everOpen: true });
    expect(readApp().connection).toEqual({ status: 'reconnecting', reason: 'network', attempt: 1, everOpen: true });
  });

  it('opens the sheet on a panel, and closes it leaving the panel chosen', () => {
    showPanel('people');
    openSheet('library');
    expect(readApp()).toMatchObject({ sheetOpen: true, panel: 'library' });
    closeSheet();
    expect(readApp()).toMatchObject({ sheetOpen: false, panel: 'library' });
  });

  it('a state broadcast before the welcome has nothing to apply to and changes nothing', () => {
    const changes: unknown[] = [];
    const stop = watchApp((state) => changes.push(state));
    const applied = applyRoomState({ type: 'state', seq: 1 } as Parameters<typeof applyRoomState>[0]);
    stop();
    expect(applied).toBeNull();
    expect(changes).toEqual([]);
    expect(readApp().snapshot).toBeNull();
  });
});
