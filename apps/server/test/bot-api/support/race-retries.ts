import { vi } from 'vitest';
import { waitFor } from '../../../../../tests/support/wait.ts';
import { libraryLookup } from '../../../src/rooms/library-lookup.ts';
import type { App } from '../../library/support/test-app.ts';

/**
 * Sends a request and its retry at once, the first held in the room's library lookup until the retry
 * has reached the idempotency key (or, were the key not claimed atomically, the lookup too), then lets
 * both go. Answers both responses and how many lookups the two made (1 when applied once).
 */
export async function raceRetries<T>(app: App, send: () => Promise<T>): Promise<{ answers: T[]; lookups: number }> {
  const library = libraryLookup(app.library);
  let lookups = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let claims = 0;
  const setIfAbsent = app.cache.setIfAbsent.bind(app.cache);
  const claim = vi.spyOn(app.cache, 'setIfAbsent').mockImplementation(async (key, value, ttlMs) => {
    const claimed = await setIfAbsent(key, value, ttlMs);
    if (key.startsWith('botidem:')) claims += 1;
    return claimed;
  });
  app.rooms.setItemLookup(async (itemId, roomId) => {
    lookups += 1;
    await held;
    return library(itemId, roomId);
  });
  try {
    const first = send();
    const retry = send();
    await waitFor(() => claims === 2 || lookups === 2, { what: 'the retry to reach the idempotency key' });
    release();
    return { answers: await Promise.all([first, retry]), lookups };
  } finally {
    release();
    claim.mockRestore();
    app.rooms.setItemLookup(library);
  }
}
