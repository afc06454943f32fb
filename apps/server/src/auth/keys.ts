import { hkdfSync } from 'node:crypto';

/**
 * A key for one purpose, derived from SECRET_KEY with HKDF-SHA256. The raw secret never signs or
 * encrypts anything itself, so a key leaked from one use (say, stream ids) says nothing about another.
 */
export function deriveKey(secret: Buffer, purpose: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'discord-plex-player', purpose, length));
}
