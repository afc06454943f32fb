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

/** How long a viewer's membership is remembered: a stream id stops working this soon after they leave. */
export const MEMBERSHIP_MEMO_MS = 15_000;

/**
 * Whether a stream's viewer is still in its room, remembered for a moment (every segment request
 * asks). A viewer who left is refused within MEMBERSHIP_MEMO_MS; an emptied room forgets at once.
 */
export class ViewerMemberships {
  private readonly memo = new Map<string, { member: boolean; at: number }>();

  constructor(
    private readonly rooms: StreamRooms,
    private readonly ttlMs = MEMBERSHIP_MEMO_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async isMember(roomId: string, userId: string): Promise<boolean> {
    const key = `${roomId}\n${userId}`;
    const hit = this.memo.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.member;
    const member = await this.rooms.isMember(roomId, userId);
    if (this.memo.size > 50_000) this.memo.clear();
    this.memo.set(key, { member, at: this.now() });
    return member;
  }

  forgetRoom(roomId: string): void {
    for (const key of this.memo.keys()) if (key.startsWith(`${roomId}\n`)) this.memo.delete(key);
  }
}
