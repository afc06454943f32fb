import { createHash } from 'node:crypto';

/** A short, stable name for a text in cache keys and ETags: SHA-256, base64url, 32 characters. */
export const shortDigest = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 32);
