import type { CommandIntent } from '@dpp/shared';
import type { RoomSession } from './session.ts';
import { readApp } from './store.ts';

/**
 * A small read-mostly window into the running app for the end-to-end tests, the sync benchmark and
 * curious developers (`__dpp` in the console). Nothing in the app depends on it.
 */
export interface DebugHooks {
  roomId(): string | null;
  userId(): string | null;
  connectionStatus(): string;
  /** Server clock by this page's estimate. */
  serverNow(): number;
  clockReady(): boolean;
  /** Where the group is now by this page's clock (ms), null when nothing is loaded. */
  expectedPositionMs(): number | null;
  playbackRev(): number | null;
  syncPhase(): string;
  /** Corrective seeks this page's sync controller made. */
  correctiveSeeks(): number;
  /** Sends a room command as the UI would (the benchmark drives the room with it). */
  command(intent: CommandIntent): Promise<void>;
  /** Drops the room socket as a network failure would (the app then reconnects). */
  dropConnection(): void;
}

declare global {
  interface Window {
    __dpp?: DebugHooks;
  }
}

export function exposeDebugHooks(session: RoomSession): () => void {
  const hooks: DebugHooks = {
    roomId: () => readApp().roomId,
    userId: () => readApp().you?.userId ?? null,
    connectionStatus: () => readApp().connection.status,
    serverNow: () => session.connection.serverNow(),
    clockReady: () => session.connection.ready,
    expectedPositionMs: () => session.expectedPositionMs(),
    playbackRev: () => readApp().snapshot?.playback.rev ?? null,
    syncPhase: () => readApp().sync.phase,
    correctiveSeeks: () => readApp().sync.seeks,
    command: (intent) => session.connection.command(intent),
    dropConnection: () => session.connection.drop(),
  };
  window.__dpp = hooks;
  return () => {
    if (window.__dpp === hooks) window.__dpp = undefined;
  };
}
