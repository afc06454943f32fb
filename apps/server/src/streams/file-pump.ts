import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

/** A byte range of a file on this machine, [start, end] inclusive. */
export interface FileSlice {
  file: string;
  start: number;
  end: number;
}

const CHUNK_BYTES = 256 * 1024;

class ClientGone extends Error {}

/** Resolves once the chunk is handed to the kernel; rejects when the client has gone away. */
function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new ClientGone());
    const onClose = () => reject(new ClientGone());
    res.once('close', onClose);
    res.write(chunk, (error) => {
      res.off('close', onClose);
      if (error) reject(error);
      else resolve();
    });
  });
}

/**
 * Sends a slice of an open file with two reusable buffers: one is read into while the other is
 * being written, and a buffer is reused only once the socket has taken all of it. That is
 * backpressure by construction (the next read waits for the slower side), and unlike a
 * `createReadStream` pipe it allocates nothing per chunk, which spares the server a garbage
 * collection every few dozen megabytes served. Ends the response, or destroys it when the file
 * turns out shorter than promised. Resolves with the bytes written; never rejects.
 */
export async function pumpFile(handle: FileHandle, slice: FileSlice, res: ServerResponse): Promise<number> {
  const first = Buffer.allocUnsafe(CHUNK_BYTES);
  const second = Buffer.allocUnsafe(CHUNK_BYTES);
  const readInto = (buffer: Buffer, position: number) =>
    handle.read(buffer, 0, Math.min(buffer.length, slice.end - position + 1), position);
  let position = slice.start;
  let sent = 0;
  let turn = 0;
  let pending = position <= slice.end ? readInto(first, position) : undefined;
  try {
    while (pending) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) throw new Error('the file is shorter than its range');
      position += bytesRead;
      turn ^= 1;
      pending = position <= slice.end ? readInto(turn ? second : first, position) : undefined;
      await write(res, buffer.subarray(0, bytesRead));
      sent += bytesRead;
    }
    res.end();
  } catch {
    res.destroy();
    await pending?.catch(() => undefined);
  }
  return sent;
}
