import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pumpFile } from '../../src/streams/file-pump.ts';

const SIZE = 32 * 1024 * 1024;

describe('sending a slice of a file', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dpp-pump-')), 'media.bin');
  const bytes = randomBytes(SIZE);
  let server: http.Server;
  let base: string;
  const results: Promise<number>[] = [];

  beforeAll(async () => {
    writeFileSync(file, bytes);
    server = http.createServer(async (req, res) => {
      const [start, end] = (req.url ?? '').slice(1).split('-').map(Number) as [number, number];
      const handle = await open(file, 'r');
      res.writeHead(200, { 'content-length': String(end - start + 1) });
      const sent = pumpFile(handle, { file, start, end }, res).finally(() => handle.close());
      results.push(sent);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends exactly the bytes of the range', async () => {
    for (const [start, end] of [
      [0, SIZE - 1],
      [12_345, 12_345],
      [1_000_000, 5_000_000],
      [SIZE - 300_000, SIZE - 1],
    ] as const) {
      const body = Buffer.from(await (await fetch(`${base}/${start}-${end}`)).arrayBuffer());
      expect(body.equals(bytes.subarray(start, end + 1))).toBe(true);
      expect(await results.at(-1)).toBe(end - start + 1);
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
    const sent = await results.at(-1);
    // The socket buffers take a few megabytes at most; the rest of the 32 MiB is never read.
    expect(sent).toBeLessThan(SIZE / 2);
  });
});
