export interface Versioned<T> {
  value: T;
  /** Starts at 1 on the first write; 0 means "absent" when passed as the expected version. */
  version: number;
}

/** A message published on the event bus as part of a write, ordered with the writes it follows. */
export interface Announcement {
  channel: string;
  message: unknown;
}

/**
 * Where live room state lives (never PostgreSQL): in-process by default, Redis with REDIS_URL.
 * Writes are compare-and-set on a version, so concurrent commands on several instances never
 * overwrite each other; the announcement travels with the write, so every subscriber sees the
 * room's events in version order.
 */
export interface RoomStore<T = unknown> {
  readonly kind: 'memory' | 'redis';
  get(roomId: string): Promise<Versioned<T> | undefined>;
  /** Writes `next` iff the stored version equals `expected`. Returns the new version, or undefined on conflict. */
  compareAndSet(roomId: string, expected: number, next: T, announce?: Announcement): Promise<number | undefined>;
  /** Removes the room iff its version is `expected`; returns whether it did. */
  delete(roomId: string, expected: number): Promise<boolean>;
  list(): Promise<string[]>;
}

export class RoomConflictError extends Error {
  override name = 'RoomConflictError';
}

/** Read-modify-write with retries on conflict. `change` returns the next state, or undefined to leave it. */
export async function updateRoom<T, R = void>(
  store: RoomStore<T>,
  roomId: string,
  change: (current: Versioned<T> | undefined) => { next: T; announce?: Announcement; result: R } | undefined,
  attempts = 32,
): Promise<{ version: number; value: T; result: R } | undefined> {
  for (let i = 0; i < attempts; i++) {
    const current = await store.get(roomId);
    const step = change(current);
    if (!step) return undefined;
    const version = await store.compareAndSet(roomId, current?.version ?? 0, step.next, step.announce);
    if (version !== undefined) return { version, value: step.next, result: step.result };
  }
  throw new RoomConflictError(`room ${roomId}: too many concurrent updates`);
}
