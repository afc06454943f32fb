import { createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { gcmsiv } from '@noble/ciphers/aes.js';

/**
 * The one way this server seals a value: session tokens, stream ids, stream refs, art ids, stored
 * Plex tokens, cached stream descriptors, pending Plex PINs, and whatever comes next. Each use names
 * a purpose; its key is derived from SECRET_KEY with HKDF-SHA256 under a label of its own, so a value
 * sealed for one purpose never opens for another, and the raw secret encrypts nothing itself.
 *
 * The cipher is AES-256-GCM-SIV (@noble/ciphers, audited): authenticated, so a sealed value is
 * both secret and unforgeable, and misuse-resistant, so a deterministic nonce (the same input
 * always seals to the same text, which playlists and cacheable image URLs need) only reveals that
 * two values are equal. A `context` is authenticated with the value: it opens only in that context.
 *
 * Rotation: values are sealed with the current key; `open` also accepts the previous one
 * (SECRET_KEY_PREVIOUS) and says the value is `stale`, so stored ones can be sealed again.
 *
 * Text form: base64url of `version (1 byte) | nonce (12) | ciphertext | tag (16)`.
 */
export type Purpose =
  | 'session'
  | 'stream-id'
  | 'stream-ref'
  | 'art-id'
  | 'plex-token'
  | 'stream-descriptor'
  | 'plex-pin'
  | (string & {});

export interface SealOptions {
  /** Authenticated with the value: it opens only with the same context. */
  context?: string;
  /** Same value and context, same text (a nonce derived from both); otherwise a random nonce. */
  deterministic?: boolean;
}

export interface Opened {
  value: string;
  /** Sealed under SECRET_KEY_PREVIOUS: worth sealing again under the current key if it is stored. */
  stale: boolean;
}

const VERSION = 2;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = 'discord-plex-player';

/** The one key derivation: HKDF-SHA256 of the secret under a label naming its use. */
export function deriveKey(secret: Buffer, label: string, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, label, length));
}

interface PurposeKeys {
  encrypt: Uint8Array;
  nonce: Buffer;
}

class KeyRing {
  private readonly keys = new Map<string, PurposeKeys>();
  constructor(private readonly secret: Buffer) {}

  for(purpose: string): PurposeKeys {
    let keys = this.keys.get(purpose);
    if (!keys) {
      keys = {
        encrypt: deriveKey(this.secret, `seal v2 ${purpose} aes-256-gcm-siv`),
        nonce: deriveKey(this.secret, `seal v2 ${purpose} nonce`),
      };
      this.keys.set(purpose, keys);
    }
    return keys;
  }
}

export class Sealer {
  private readonly current: KeyRing;
  private readonly previous: KeyRing | undefined;

  constructor(secret: Buffer, previousSecret?: Buffer) {
    this.current = new KeyRing(secret);
    this.previous = previousSecret ? new KeyRing(previousSecret) : undefined;
  }

  /** A Sealer as given, or one over a bare secret (no previous key). */
  static from(keys: Sealer | Buffer): Sealer {
    return keys instanceof Sealer ? keys : new Sealer(keys);
  }

  seal(purpose: Purpose, plaintext: string, options: SealOptions = {}): string {
    const keys = this.current.for(purpose);
    const data = Buffer.from(plaintext, 'utf8');
    const aad = Buffer.from(options.context ?? '', 'utf8');
    const nonce = options.deterministic
      ? createHmac('sha256', keys.nonce).update(aad).update('\0').update(data).digest().subarray(0, NONCE_BYTES)
      : randomBytes(NONCE_BYTES);
    const sealed = gcmsiv(keys.encrypt, nonce, aad).encrypt(data);
    return Buffer.concat([Buffer.of(VERSION), nonce, sealed]).toString('base64url');
  }

  /** The value, or undefined for anything this server did not seal for this purpose and context. */
  open(purpose: Purpose, sealed: string, options: Pick<SealOptions, 'context'> = {}): Opened | undefined {
    if (sealed.length > 64 * 1024) return undefined;
    const raw = Buffer.from(sealed, 'base64url');
    // Only the one canonical text of a sealed value: Node's decoder skips stray characters.
    if (raw.length < 1 + NONCE_BYTES + TAG_BYTES || raw[0] !== VERSION || raw.toString('base64url') !== sealed) {
      return undefined;
    }
    const nonce = raw.subarray(1, 1 + NONCE_BYTES);
    const body = raw.subarray(1 + NONCE_BYTES);
    const aad = Buffer.from(options.context ?? '', 'utf8');
    const attempt = (ring: KeyRing) => {
      try {
        return Buffer.from(gcmsiv(ring.for(purpose).encrypt, nonce, aad).decrypt(body)).toString('utf8');
      } catch {
        return undefined;
      }
    };
    const value = attempt(this.current);
    if (value !== undefined) return { value, stale: false };
    const old = this.previous ? attempt(this.previous) : undefined;
    return old === undefined ? undefined : { value: old, stale: true };
  }
}

/**
 * Reads a Plex token stored before the sealing module (`v1:` + base64 of iv | tag | AES-256-GCM
 * ciphertext, key from HKDF label `plex-token-encryption/aes-256-gcm/v1`), under any of `secrets`.
 * Read-only: such a token is sealed again the first time it is read (see TokenCipher).
 */
export function openLegacyPlexToken(secrets: readonly Buffer[], stored: string): string | undefined {
  const [version, payload] = stored.split(':', 2);
  if (version !== 'v1' || !payload) return undefined;
  const raw = Buffer.from(payload, 'base64');
  if (raw.length <= NONCE_BYTES + TAG_BYTES) return undefined;
  for (const secret of secrets) {
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        deriveKey(secret, 'plex-token-encryption/aes-256-gcm/v1'),
        raw.subarray(0, NONCE_BYTES),
      );
      decipher.setAAD(Buffer.from('v1'));
      decipher.setAuthTag(raw.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // Not this secret: try the next.
    }
  }
  return undefined;
}
