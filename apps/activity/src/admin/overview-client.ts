import type { AdminOverview } from '@dpp/shared/admin';

/** Where the page keeps the token it was given: this tab only, gone when the tab closes. */
const TOKEN_KEY = 'dpp.admin.token';

export const storedToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const storeToken = (token: string) => sessionStorage.setItem(TOKEN_KEY, token);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

export type FetchResult =
  | { kind: 'ok'; overview: AdminOverview }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'forbidden'; message: string }
  | { kind: 'failed'; message: string };

/** One read of the overview; the token travels in the Authorization header, never in the URL. */
export async function fetchOverview(token: string | null, signal?: AbortSignal): Promise<FetchResult> {
  let response: Response;
  try {
    response = await fetch('/api/admin/overview', {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    return { kind: 'failed', message: error instanceof Error ? error.message : 'The server did not answer.' };
  }
  const body = (await response.json().catch(() => undefined)) as
    | AdminOverview
    | { error?: { code?: string; message?: string } }
    | undefined;
  const message = (body && 'error' in body && body.error?.message) || `The server answered ${response.status}.`;
  if (response.status === 401) return { kind: 'unauthorized', message };
  if (response.status === 403) return { kind: 'forbidden', message };
  if (!response.ok || !body || !('rooms' in body)) return { kind: 'failed', message };
  return { kind: 'ok', overview: body };
}
