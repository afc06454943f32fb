import { DiscordSDKMock } from '@discord/embedded-app-sdk';
import { devRoomId, type SessionResponse, sessionResponseSchema } from '@dpp/shared';
import { api } from '../lib/api.ts';
import type { Platform } from './platform.ts';

const NAME_KEY = 'dpp.name';
const SESSION_KEY = 'dpp.session';

/**
 * `?room=<name>` → `dev:<name>` (default lobby); anything outside [A-Za-z0-9_-] becomes "-".
 * `problem` explains a name that could not be used as given (the viewer is told, not silently moved).
 */
export function standaloneRoom(search: string): { roomId: string; label: string; problem?: string } {
  const raw = new URLSearchParams(search).get('room')?.trim() ?? '';
  const name =
    raw
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'lobby';
  if (raw === '' || raw === name) return { roomId: devRoomId(name), label: name };
  const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  const rule = 'Room names use letters, digits, - and _ (up to 64)';
  return { roomId: devRoomId(name), label: name, problem: `${rule}: “${shown}” became “${name}”.` };
}

export function rememberedName(): string | null {
  try {
    return globalThis.localStorage?.getItem(NAME_KEY) ?? null;
  } catch {
    return null;
  }
}

export function forgetName(): void {
  try {
    globalThis.localStorage?.removeItem(NAME_KEY);
    globalThis.sessionStorage?.removeItem(SESSION_KEY);
  } catch {
    // storage unavailable
  }
}

/** The session of this tab (sessionStorage: a reload keeps it, another tab is another viewer). */
function storedSession(name: string): SessionResponse | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(SESSION_KEY);
    if (!raw) return null;
    const parsed = sessionResponseSchema.safeParse(JSON.parse(raw));
    if (!parsed.success || parsed.data.user.name !== name) return null;
    // Leave an hour of margin: a session that ends mid-film is worse than a new guest id.
    if (Date.parse(parsed.data.expiresAt) - Date.now() < 60 * 60 * 1000) return null;
    return parsed.data;
  } catch {
    return null;
  }
}

async function signIn(name: string): Promise<SessionResponse> {
  const session = await api('/api/auth/dev', {
    body: { name },
    schema: sessionResponseSchema,
    anonymous: true,
  });
  try {
    globalThis.localStorage?.setItem(NAME_KEY, name);
    globalThis.sessionStorage?.setItem(SESSION_KEY, JSON.stringify(session));
  } catch {
    // storage unavailable: the name is asked again next time
  }
  return session;
}

/**
 * Standalone mode: a plain browser tab. Guest sign-in with a name (asked once, then remembered),
 * `?room=` for the room, and the SDK's mock standing in for Discord.
 */
export async function bootStandalone(name: string, search: string): Promise<Platform> {
  const session = storedSession(name) ?? (await signIn(name));
  const { roomId, label, problem } = standaloneRoom(search);
  const sdk = new DiscordSDKMock('standalone', null, null, null);
  sdk._updateCommandMocks({
    openExternalLink: async ({ url }) => {
      const opened = window.open(url, '_blank', 'noopener');
      return { opened: opened !== null };
    },
  });
  await sdk.ready();
  return {
    mode: 'standalone',
    roomId,
    roomLabel: label,
    roomNotice: problem,
    session,
    canManage: true,
    renewSession: () => signIn(name),
    openExternal: async (url) => {
      await sdk.commands.openExternalLink({ url });
    },
    // Without Discord there is no instance roster: the room's members are the list.
    watchParticipants: () => () => undefined,
    watchLayout: () => () => undefined,
  };
}
