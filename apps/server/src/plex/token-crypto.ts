import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Plex tokens at rest: AES-256-GCM with a random 96-bit IV per encryption and a key derived from
 * SECRET_KEY with HKDF-SHA256 under a label of its own (so no other use of SECRET_KEY shares it).
 * Stored as `v1:` + base64(iv | tag | ciphertext); the version names key derivation and layout,
 * so a later scheme can sit next to this one while old rows are re-encrypted.
 */
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'discord-plex-player';
const HKDF_INFO = 'plex-token-encryption/aes-256-gcm/v1';

/** A stored value that is not ours, was altered, or was made with another SECRET_KEY. */
export class TokenDecryptionError extends Error {
  override name = 'TokenDecryptionError';
}

export class TokenCipher {
  private readonly key: Buffer;

  constructor(secretKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, HKDF_SALT, HKDF_INFO, 32));
  }

  encrypt(token: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(VERSION));
    const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(stored: string): string {
    const [version, payload] = stored.split(':', 2);
    if (version !== VERSION || !payload) {
      throw new TokenDecryptionError('The stored Plex token has an unknown format.');
    }
    const raw = Buffer.from(payload, 'base64');
    if (raw.length <= IV_BYTES + TAG_BYTES) throw new TokenDecryptionError('The stored Plex token is truncated.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(VERSION));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new TokenDecryptionError(
        'The stored Plex token does not decrypt: it was altered or SECRET_KEY changed. Link Plex again.',
        { cause: error },
      );
    }
  }
}
