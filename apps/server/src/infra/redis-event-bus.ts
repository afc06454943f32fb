import type { Redis } from 'ioredis';
import { type EventBus, type EventHandler, HandlerTable } from './event-bus.ts';

/**
 * Redis pub/sub. Publishing uses the shared command connection; subscribing needs a connection of
 * its own (a subscribed Redis connection can do nothing else), duplicated from it.
 */
export class RedisEventBus implements EventBus {
  readonly kind = 'redis' as const;
  private readonly handlers = new HandlerTable();
  private readonly reconnectListeners = new Set<() => void>();
  private readonly subscriber: Redis;
  private wasReady = false;

  constructor(
    private readonly publisher: Redis,
    private readonly prefix = 'dpp:bus:',
  ) {
    // ioredis re-subscribes by itself after a reconnect (autoResubscribe); we only announce it.
    // No command timeout here: a subscription is not a request that someone waits on.
    this.subscriber = publisher.duplicate({ lazyConnect: false, commandTimeout: undefined });
    this.subscriber.on('error', () => {});
    this.subscriber.on('ready', () => {
      if (this.wasReady) for (const listener of this.reconnectListeners) listener();
      this.wasReady = true;
    });
    this.subscriber.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      const name = channel.toString().slice(this.prefix.length);
      let message: unknown;
      try {
        message = JSON.parse(payload.toString());
      } catch {
        return;
      }
      this.handlers.dispatch(name, message);
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.publisher.publish(this.prefix + channel, JSON.stringify(message));
  }

  async subscribe(channel: string, handler: EventHandler): Promise<() => Promise<void>> {
    if (this.handlers.add(channel, handler)) await this.subscriber.subscribe(this.prefix + channel);
    return async () => {
      if (this.handlers.remove(channel, handler)) {
        await this.subscriber.unsubscribe(this.prefix + channel).catch(() => {});
      }
    };
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async ping(): Promise<void> {
    await this.publisher.ping();
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.reconnectListeners.clear();
    this.subscriber.disconnect();
  }
}
