import { HttpError } from '../lib/errors.ts';
import { PlexAuthError, PlexNotFoundError, PlexUnreachableError, PlexUpstreamError } from '../plex/errors.ts';
import { TokenDecryptionError } from '../plex/token-crypto.ts';
import { InvalidCursorError, ItemNotFoundError, NotPlayableError } from './media-source.ts';

const RELINK = 'An admin needs to link the Plex server again (Plex sign-in).';

/**
 * What the API says about a failure of a media source. Anything not recognised is returned as it
 * was (a bug: the app's error handler answers 500 without details).
 */
export function toHttpError(error: unknown): unknown {
  if (error instanceof PlexUnreachableError) {
    return new HttpError(
      502,
      'plex_unreachable',
      'The Plex server is not reachable right now. Check that it is online, then try again.',
    );
  }
  if (error instanceof PlexAuthError || error instanceof TokenDecryptionError) {
    return new HttpError(502, 'plex_auth', `The Plex server rejected this app's sign-in. ${RELINK}`);
  }
  if (error instanceof PlexNotFoundError || error instanceof ItemNotFoundError) {
    return new HttpError(404, 'not_found', 'That item is not in the library (any more).');
  }
  if (error instanceof PlexUpstreamError) {
    return new HttpError(502, 'plex_error', 'The Plex server could not answer that request. Try again later.');
  }
  if (error instanceof InvalidCursorError) return new HttpError(400, 'bad_cursor', error.message);
  if (error instanceof NotPlayableError) return new HttpError(409, 'not_playable', error.message);
  return error;
}
