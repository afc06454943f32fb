import { useEffect, useState } from 'react';
import type { RoomSession } from '../room/session.ts';
import { usePlayback } from '../room/store.ts';

/**
 * Where the group is (ms), by this viewer's clock, refreshed a few times a second while playing.
 * The seek bar shows the room's position rather than the local player's: that is what everyone sees.
 */
export function useRoomPosition(session: RoomSession, everyMs = 250): number | null {
  const playback = usePlayback();
  const [position, setPosition] = useState<number | null>(() => session.expectedPositionMs());
  useEffect(() => {
    setPosition(session.expectedPositionMs());
    if (playback?.status !== 'playing') return;
    const timer = window.setInterval(() => setPosition(session.expectedPositionMs()), everyMs);
    return () => window.clearInterval(timer);
  }, [session, playback, everyMs]);
  return position;
}
