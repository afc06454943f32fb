import type { FakePlex } from './index.ts';

/** What a Plex client sends: JSON, the token and X-Plex-* identification headers. */
export function plexHeaders(fake: FakePlex, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Accept: 'application/json',
    'X-Plex-Token': fake.token,
    'X-Plex-Client-Identifier': 'fake-plex-tests',
    'X-Plex-Product': 'Discord Plex Player',
    'X-Plex-Version': '0.1.0',
    ...extra,
  };
}

export function plexFetch(fake: FakePlex, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  return fetch(`${fake.url}${path}`, { ...init, headers: plexHeaders(fake, init.headers) });
}

export async function plexJson<T = { MediaContainer: Record<string, unknown> }>(
  fake: FakePlex,
  path: string,
): Promise<T> {
  const res = await plexFetch(fake, path);
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function bytesOf(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}
