import { type EventBus, type EventHandler, HandlerTable } from './event-bus.ts';

/** One process: handlers run synchronously, in publish order, with a structured copy of the message. */
export class MemoryEventBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly handlers = new HandlerTable();

  async publish(channel: string, message: unknown): Promise<void> {
    this.publishNow(channel, message);
  }

  /** Synchronous publish, used by the in-process room store to keep commit and fan-out in order. */
  publishNow(channel: string, message: unknown): void {
    this.handlers.dispatch(channel, structuredClone(message));
  }

  async subscribe(channel: string, handler: EventHandler): Promise<() => Promise<void>> {
    this.handlers.add(channel, handler);
    return async () => void this.handlers.remove(channel, handler);
  }

  onReconnect(): () => void {
    return () => {};
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
