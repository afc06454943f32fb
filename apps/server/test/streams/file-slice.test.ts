import { randomBytes } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendFileSlice } from '../../src/streams/local-media.ts';

const SIZE = 32 * 1024 * 1024;

describe('sending a slice of a file', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dpp-slice-')), 'media.bin');
  const bytes = randomBytes(SIZE);
  let app: FastifyInstance;
  let base: string;
  /** The file streams the server opened, one per request, as it handed them to the socket. */
  const streams: ReadStream[] = [];
  /** Resolves with a request's file stream once the response is over (finished or dropped). */
  const done: Promise<ReadStream>[] = [];

  beforeAll(async () => {
    writeFileSync(file, bytes);
    app = Fastify();
    await app.register(fastifyStatic, { serve: false });
    app.addHook('onSend', async (_request, _reply, payload) => {
      streams.push(payload as ReadStream);
      return payload;
    });
    app.get<{ Params: { start: string; end: string } }>('/:start-:end', (request, reply) => {
      const [start, end] = [Number(request.params.start), Number(request.params.end)];
      done.push(new Promise((resolve) => reply.raw.once('close', () => resolve(streams.at(-1)!))));
      reply.header('content-length', String(end - start + 1));
      return sendFileSlice(reply, { file, start, end });
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(() => app.close());

  it('sends exactly the bytes of the range', async () => {
    for (const [start, end] of [
      [0, SIZE - 1],
      [12_345, 12_345],
      [1_000_000, 5_000_000],
      [SIZE - 300_000, SIZE - 1],
    ] as const) {
      const response = await fetch(`${base}/${start}-${end}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).toBe(String(end - start + 1));
      // Nothing of its own: the caller's range decision sets the validators, the type and the caching.
      for (const name of ['etag', 'last-modified', 'cache-control', 'accept-ranges', 'content-range']) {
        expect(response.headers.get(name), name).toBeNull();
      }
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.equals(bytes.subarray(start, end + 1))).toBe(true);
      expect((await done.at(-1))?.bytesRead).toBe(end - start + 1);
    }
  });

  it('stops reading when the client goes away, without an error', async () => {
    const received = await new Promise<number>((resolve) => {
      const request = http.get(`${base}/0-${SIZE - 1}`, (response) => {
        response.once('data', (chunk: Buffer) => {
          request.destroy();
          resolve(chunk.length);
        });
      });
      request.on('error', () => {});
    });
    expect(received).toBeGreaterThan(0);
    const stream = await done.at(-1)!;
    await new Promise<void>((resolve) => (stream.closed ? resolve() : stream.once('close', () => resolve())));
    expect(stream.destroyed).toBe(true);
    // The socket buffers take a few megabytes at most; the rest of the 32 MiB is never read.
    expect(stream.bytesRead).toBeLessThan(SIZE / 2);
  });
});
