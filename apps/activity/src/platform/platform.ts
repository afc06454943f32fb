import type { SessionResponse } from '@dpp/shared';
import type { DiscordLayoutMode, Participant } from '../room/app-state.ts';

/**
 * What the rest of the app needs from where it runs: Discord (inside its iframe, through the SDK)
 * or a plain browser tab (standalone mode, with the SDK's mock).
 */
export interface Platform {
  mode: 'discord' | 'standalone';
  roomId: string;
  /** What the header calls the room. */
  roomLabel: string;
  /** Something to tell the viewer about the room they landed in (a room name that had to change). */
  roomNotice?: string;
  /** The Discord activity instance, sent in `hello`. */
  instanceId?: string;
  session: SessionResponse;
  /** May link Plex servers. */
  canManage: boolean;
  /** Gets a fresh session token (the old one expired or was refused). */
  renewSession(): Promise<SessionResponse>;
  /** Opens a link outside the activity (Discord asks the user first). */
  openExternal(url: string): Promise<void>;
  /** People in the activity instance, as the SDK reports them; returns an unsubscribe. */
  watchParticipants(listener: (participants: Participant[]) => void): () => void;
  /**
   * Where Discord shows the activity (focused, picture-in-picture, grid), as it changes; returns an
   * unsubscribe. A plain browser never calls the listener.
   */
  watchLayout(listener: (mode: DiscordLayoutMode) => void): () => void;
}

export function isDiscordMode(search: string): boolean {
  return new URLSearchParams(search).has('frame_id');
}
