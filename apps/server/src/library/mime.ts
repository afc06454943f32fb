const VIDEO_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
  ts: 'video/mp2t',
  mpegts: 'video/mp2t',
};

const IMAGE_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

/** The MIME type for a container name or a file extension (`mp4`, `.mkv`). */
export function videoMimeType(container: string | undefined | null): string {
  return VIDEO_TYPES[(container ?? '').replace(/^\./, '').toLowerCase()] ?? 'application/octet-stream';
}

export function imageMimeType(extension: string): string {
  return IMAGE_TYPES[extension.replace(/^\./, '').toLowerCase()] ?? 'application/octet-stream';
}
