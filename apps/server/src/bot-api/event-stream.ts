/**
 * A Server-Sent Events response for the bot's feeds: named events with JSON data, a keep-alive
 * comment every `BOT_ROOM_EVENTS_KEEPALIVE_MS`, and an end that runs the feed's clean-up once,
 * whether the bot went away, the feed ended, or the server is shutting down.
 */
import { BOT_ROOM_EVENTS_KEEPALIVE_MS } from '@dpp/shared';
import type { FastifyReply } from 'fastify';

export interface EventStream {
  readonly closed: boolean;
  send(event: string, data: unknown): void;
  end(): void;
}

/** Takes the reply over (`hijack`) and starts the stream; `cleanup` runs once when it ends. */
export function startEventStream(reply: FastifyReply, cleanup: () => void): EventStream {
  let closed = false;
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  const keepAlive = setInterval(() => {
    if (!closed) reply.raw.write(': keep-alive\n\n');
  }, BOT_ROOM_EVENTS_KEEPALIVE_MS);
  keepAlive.unref();
  const stream: EventStream = {
    get closed() {
      return closed;
    },
    send(event, data) {
      if (!closed) reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      cleanup();
      reply.raw.end();
    },
  };
  // The response's close, not the request's: a GET's request "closes" once it has been read.
  reply.raw.on('close', () => stream.end());
  return stream;
}
