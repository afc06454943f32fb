import { openLegacyPlexToken, Sealer } from '../lib/sealing.ts';

/** A stored value that is not ours, was altered, or was made with another SECRET_KEY. */
export class TokenDecryptionError extends Error {
  override name = 'TokenDecryptionError';
}

/**
 * Plex tokens (and server addresses) at rest (the database, pending PINs in the cache): sealed by the sealing module under
 * the purpose `plex-token`, with a random nonce per sealing. Tokens stored by earlier versions
 * (`v1:…`) still open; `open` says when a stored token should be sealed again (an old format, or
 * SECRET_KEY_PREVIOUS), and the server store does so on read.
 */
export class TokenCipher {
  private readonly sealer: Sealer;
  private readonly secrets: readonly Buffer[];

  /** `secrets`: SECRET_KEY (and SECRET_KEY_PREVIOUS), for tokens stored in the old format. */
  constructor(keys: Sealer | Buffer, secrets: readonly Buffer[] = Buffer.isBuffer(keys) ? [keys] : []) {
    this.sealer = Sealer.from(keys);
    this.secrets = secrets;
  }

  encrypt(token: string): string {
    return this.sealer.seal('plex-token', token);
  }

  /** The token, and whether it should be stored sealed again; throws TokenDecryptionError. */
  open(stored: string): { token: string; stale: boolean } {
    if (stored.startsWith('v1:')) {
      const token = openLegacyPlexToken(this.secrets, stored);
      if (token !== undefined) return { token, stale: true };
    } else {
      const opened = this.sealer.open('plex-token', stored);
      if (opened) return { token: opened.value, stale: opened.stale };
    }
    throw new TokenDecryptionError(
      'The stored Plex token does not decrypt: it was altered or SECRET_KEY changed. Link Plex again.',
    );
  }

  decrypt(stored: string): string {
    return this.open(stored).token;
  }

  /**
   * A server's address at rest (`plex_servers.base_url`): sealed under the purpose `plex-address`,
   * bound to its row id, so an address moved to another row does not open there.
   */
  sealAddress(address: string, rowId: string): string {
    return this.sealer.seal('plex-address', address, { context: rowId });
  }

  /**
   * The address of a row, and whether it should be stored sealed again: an address written in the
   * clear by earlier versions (`http(s)://…`) or sealed under SECRET_KEY_PREVIOUS. Throws
   * TokenDecryptionError for anything else.
   */
  openAddress(stored: string, rowId: string): { address: string; stale: boolean } {
    if (/^https?:\/\//i.test(stored)) return { address: stored, stale: true };
    const opened = this.sealer.open('plex-address', stored, { context: rowId });
    if (opened) return { address: opened.value, stale: opened.stale };
    throw new TokenDecryptionError(
      'The stored Plex server address does not decrypt: it was altered or SECRET_KEY changed. Link Plex again.',
    );
  }
}
