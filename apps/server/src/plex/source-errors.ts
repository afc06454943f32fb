import {
  ItemNotFoundError,
  SourceUnauthorizedError,
  SourceUnavailableError,
  SourceUpstreamError,
} from '../media/errors.ts';
import { PlexAuthError, PlexNotFoundError, PlexUnreachableError, PlexUpstreamError } from './errors.ts';
import { TokenDecryptionError } from './token-crypto.ts';

/**
 * A Plex failure as the source-neutral error the rest of the app knows (media/errors.ts), the Plex
 * error kept as its `cause`. Anything else (a bug, a database error) passes through unchanged.
 */
export function toSourceError(error: unknown): unknown {
  if (error instanceof PlexUnreachableError) return new SourceUnavailableError(error.message, { cause: error });
  if (error instanceof PlexAuthError || error instanceof TokenDecryptionError) {
    return new SourceUnauthorizedError(error.message, { cause: error });
  }
  if (error instanceof PlexNotFoundError) return new ItemNotFoundError('such item', { cause: error });
  if (error instanceof PlexUpstreamError) return new SourceUpstreamError(error.message, { cause: error });
  return error;
}

/** Runs a Plex call and rethrows its failure as a source-neutral error. */
export async function asSource<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toSourceError(error);
  }
}
