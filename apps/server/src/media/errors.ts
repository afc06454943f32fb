/**
 * How a library source (media-source.ts) fails, whatever it is built on: a small closed set that
 * sources throw and the API maps (app.ts's error handler). A source translates its own errors into
 * these at its boundary (the Plex source: plex/source-errors.ts), so nothing above it knows what
 * a source is made of. The original error, when there was one, is the `cause`.
 */
export abstract class SourceError extends Error {}

/** An id the source does not know (any more): a deleted item, a section or image that is not there. */
export class ItemNotFoundError extends SourceError {
  override name = 'ItemNotFoundError';
  constructor(what: string, options?: { cause?: unknown }) {
    super(`There is no ${what} here.`, options);
  }
}

/** The source does not answer: its server is offline, unreachable, too slow, or failing over and over. */
export class SourceUnavailableError extends SourceError {
  override name = 'SourceUnavailableError';
}

/** The source refuses this app's sign-in (a revoked or unreadable token): an admin must link it again. */
export class SourceUnauthorizedError extends SourceError {
  override name = 'SourceUnauthorizedError';
}

/** The source answered, but not usefully: a server error, an unreadable answer, a stream it cannot make. */
export class SourceUpstreamError extends SourceError {
  override name = 'SourceUpstreamError';
}

/** A cursor the source did not issue, or one it can no longer honour. */
export class InvalidCursorError extends SourceError {
  override name = 'InvalidCursorError';
  constructor() {
    super('The cursor is not valid; start again from the first page.');
  }
}

/** Shows and seasons are browsed, not played. */
export class NotPlayableError extends SourceError {
  override name = 'NotPlayableError';
  constructor(title: string) {
    super(`"${title}" cannot be played itself: pick an episode or a movie.`);
  }
}
