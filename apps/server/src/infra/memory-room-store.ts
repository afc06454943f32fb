import type { MemoryEventBus } from './memory-event-bus.ts';
import type { Announcement, RoomStore, Versioned } from './room-store.ts';

export class MemoryRoomStore<T = unknown> implements RoomStore<T> {
  readonly kind = 'memory' as const;
  private readonly rooms = new Map<string, { json: string; version: number }>();

  constructor(private readonly bus?: MemoryEventBus) {}

  async get(roomId: string): Promise<Versioned<T> | undefined> {
    const entry = this.rooms.get(roomId);
    return entry && { value: JSON.parse(entry.json) as T, version: entry.version };
  }

  async compareAndSet(roomId: string, expected: number, next: T, announce?: Announcement) {
    const current = this.rooms.get(roomId)?.version ?? 0;
    if (current !== expected) return undefined;
    const version = current + 1;
    this.rooms.set(roomId, { json: JSON.stringify(next), version });
    if (announce) this.bus?.publishNow(announce.channel, announce.message);
    return version;
  }

  async delete(roomId: string, expected: number): Promise<boolean> {
    if ((this.rooms.get(roomId)?.version ?? 0) !== expected) return false;
    return this.rooms.delete(roomId);
  }

  async list(): Promise<string[]> {
    return [...this.rooms.keys()];
  }
}
