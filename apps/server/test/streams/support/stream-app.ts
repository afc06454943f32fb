import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';

export type App = Awaited<ReturnType<typeof buildApp>>;

/** The real app on a throwaway PGlite, listening on an ephemeral loopback port. */
export async function startApp(env: Record<string, string | undefined> = {}): Promise<{ app: App; url: string }> {
  const config = loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-streams-')),
    DATABASE_URL: 'memory://',
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });
  ensureItemLookup(app);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: address };
}

/**
 * Loads in a room need the room engine to know the library's items. Until the rooms plugin does
 * that itself, the tests give it the same lookup through `app.library`.
 */
function ensureItemLookup(app: App) {
  app.rooms.setItemLookup(async (itemId, roomId) => {
    const source = await app.library.sourceForRoom(roomId);
    try {
      const item = await source.item(itemId);
      return { title: item.title, durationMs: item.durationMs, thumb: null };
    } catch {
      return undefined;
    }
  });
}

/** Reads a whole response body as bytes. */
export async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}
