/**
 * Errors the bot turns into messages for users. Everything else is a bug: logged with context, and
 * the user gets a short apology.
 */

/** The watch-party server did not answer (down, unreachable, timing out, or failing with 5xx). */
export class ServerUnreachableError extends Error {
  override name = 'ServerUnreachableError';
}

/** The server answered, but the guild's Plex server did not. */
export class PlexUnavailableError extends Error {
  override name = 'PlexUnavailableError';
}

/** The server refused the request: `{error: {code, message}}`, the message written for users. */
export class ServerApiError extends Error {
  override name = 'ServerApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Something the user can fix (join a voice channel, type a valid time); shown as it is. */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
}

export const USER_MESSAGES = {
  serverUnreachable:
    "⚠️ I can't reach the watch-party server right now. I'm retrying in the background; please try again in a minute.",
  plexUnavailable:
    "📡 The Plex server isn't answering. Check that it is running and reachable from the watch-party server, then try again.",
  internal: '💥 Something went wrong on my side. It has been logged; please try again.',
} as const;

/** What to tell the user about an error, and whether it is a bug worth an error log. */
export function describeError(error: unknown): { message: string; bug: boolean } {
  if (error instanceof UserFacingError) return { message: error.message, bug: false };
  if (error instanceof ServerUnreachableError) return { message: USER_MESSAGES.serverUnreachable, bug: false };
  if (error instanceof PlexUnavailableError) return { message: USER_MESSAGES.plexUnavailable, bug: false };
  if (error instanceof ServerApiError) {
    return { message: error.status >= 500 ? USER_MESSAGES.internal : `🚫 ${error.message}`, bug: error.status >= 500 };
  }
  return { message: USER_MESSAGES.internal, bug: true };
}
