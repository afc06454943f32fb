export type EventHandler = (message: unknown) => void;

/**
 * Fan-out between server instances. In-process by default (one instance); Redis pub/sub with
 * REDIS_URL. Delivery is at-most-once: a subscriber that was disconnected hears `onReconnect`
 * and re-reads whatever state it mirrors, so a missed message loses nothing.
 */
export interface EventBus {
  readonly kind: 'memory' | 'redis';
  publish(channel: string, message: unknown): Promise<void>;
  /** Resolves once the subscription is active; the returned function removes this handler. */
  subscribe(channel: string, handler: EventHandler): Promise<() => Promise<void>>;
  /** Called after the bus lost its connection and has subscribed again. */
  onReconnect(listener: () => void): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Bookkeeping shared by the implementations: handlers per channel. */
export class HandlerTable {
  private readonly table = new Map<string, Set<EventHandler>>();

  add(channel: string, handler: EventHandler): boolean {
    const existing = this.table.get(channel);
    const set = existing ?? new Set<EventHandler>();
    if (!existing) this.table.set(channel, set);
    set.add(handler);
    return !existing;
  }

  /** Returns true when the channel has no handlers left. */
  remove(channel: string, handler: EventHandler): boolean {
    const set = this.table.get(channel);
    if (!set) return false;
    set.delete(handler);
    if (set.size > 0) return false;
    this.table.delete(channel);
    return true;
  }

  dispatch(channel: string, message: unknown): void {
    for (const handler of this.table.get(channel) ?? []) handler(message);
  }

  channels(): string[] {
    return [...this.table.keys()];
  }

  clear(): void {
    this.table.clear();
  }
}
