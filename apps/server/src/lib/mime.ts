import mime from 'mime-types';

/** Names that are not file extensions (Plex's container names) or that mime-db knows by another one. */
const ALIASES: Record<string, string> = { mpegts: 'ts', webvtt: 'vtt' };
/** Where a browser plays a file better under another type: Chromium knows `video/mp4`, not `video/x-m4v`. */
const OVERRIDES: Record<string, string> = { m4v: 'video/mp4' };
const UNKNOWN = 'application/octet-stream';

/**
 * The Content-Type for a file name, an extension (`mp4`, `.mkv`) or a Plex container name
 * (`mpegts`), with a charset for text types; `application/octet-stream` when nobody knows it.
 */
export function contentTypeOf(nameOrExtension: string | null | undefined): string {
  const raw = (nameOrExtension ?? '').toLowerCase();
  const extension = raw.includes('.') ? raw.slice(raw.lastIndexOf('.') + 1) : raw;
  const known = ALIASES[extension] ?? extension;
  return OVERRIDES[known] ?? ((known && mime.contentType(known)) || UNKNOWN);
}

/** The usual file extension for a Content-Type (`video/mp4` → `mp4`), or `bin`. */
export function extensionOf(contentType: string): string {
  return mime.extension(contentType) || 'bin';
}
