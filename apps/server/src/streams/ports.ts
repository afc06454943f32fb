import type { RoomPlayback } from './timelines.ts';

/**
 * What the streams need from the rest of the server, as narrow interfaces: the rooms (who is in,
 * what plays, when that changes) and the library (resolve and stop a stream). The plugin wires the
 * app's `rooms` and `library` into these; nothing else in streams/ touches them.
 */

/** A room as the proxy sees it. */
export interface StreamRooms {
  /** The item the room plays: an id, null when nothing is loaded, undefined when the room is gone or empty. */
  currentItem(roomId: string): Promise<string | null | undefined>;
  isMember(roomId: string, userId: string): Promise<boolean>;
  onItemChanged(listener: (roomId: string, itemId: string | null) => void): () => void;
  onEmptied(listener: (roomId: string) => void): () => void;
  /** The room's playback now (state and position), for Plex's timeline; undefined when the room is gone. */
  playback(roomId: string): Promise<RoomPlayback | undefined>;
}

/**
 * The room's current item, remembered for a moment: every segment request checks that its stream's
 * room still plays its item, and a player asks for many segments. Room events update it at once.
 */
export class CurrentItems {
  private readonly memo = new Map<string, { item: string | null | undefined; at: number }>();

  constructor(
    private readonly rooms: StreamRooms,
    private readonly ttlMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(roomId: string): Promise<string | null | undefined> {
    const hit = this.memo.get(roomId);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.item;
    const item = await this.rooms.currentItem(roomId);
    this.remember(roomId, item);
    return item;
  }

  remember(roomId: string, item: string | null | undefined) {
    if (this.memo.size > 10_000) this.memo.clear();
    this.memo.set(roomId, { item, at: this.now() });
  }
}
