import { asc } from 'drizzle-orm';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type { Db } from '../db/database.ts';
import { plexDeviceKeys } from '../db/schema.ts';
import type { TokenCipher } from './token-crypto.ts';

/** How long a device JWT we sign is valid: plex.tv only needs it for the request it rides on. */
const DEVICE_JWT_TTL_S = 5 * 60;

/** The public half as plex.tv wants it registered (`kid` is the key's RFC 7638 thumbprint). */
export interface PlexJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  use: 'sig';
  alg: 'EdDSA';
}

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * This installation's Ed25519 device key for Plex JWTs: made once, kept in `plex_device_keys` with
 * the private half sealed like Plex tokens, so every instance sharing the database signs as one
 * device. Signs the device JWTs plex.tv asks for (`aud=plex.tv`, `iss=<client identifier>`,
 * `kid` and `alg=EdDSA` in the header).
 */
export class PlexDeviceKey {
  private loaded: Promise<{ jwk: PlexJwk; key: SigningKey }> | undefined;

  constructor(
    private readonly db: Db,
    private readonly cipher: TokenCipher,
    private readonly clientIdentifier: string,
  ) {}

  async publicJwk(): Promise<PlexJwk> {
    return (await this.load()).jwk;
  }

  /** A device JWT with `claims` (a nonce, a scope) for plex.tv. */
  async sign(claims: Record<string, string>, nowMs = Date.now()): Promise<string> {
    const { jwk, key } = await this.load();
    const iat = Math.floor(nowMs / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid, typ: 'JWT' })
      .setAudience('plex.tv')
      .setIssuer(this.clientIdentifier)
      .setIssuedAt(iat)
      .setExpirationTime(iat + DEVICE_JWT_TTL_S)
      .sign(key);
  }

  private load() {
    this.loaded ??= this.loadOrCreate().catch((error: unknown) => {
      this.loaded = undefined;
      throw error;
    });
    return this.loaded;
  }

  private async loadOrCreate(): Promise<{ jwk: PlexJwk; key: SigningKey }> {
    let [row] = await this.db.select().from(plexDeviceKeys).orderBy(asc(plexDeviceKeys.createdAt)).limit(1);
    if (!row) {
      const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
      const pub = await exportJWK(publicKey);
      const kid = await calculateJwkThumbprint(pub);
      const jwk: PlexJwk = { kty: 'OKP', crv: 'Ed25519', x: pub.x!, kid, use: 'sig', alg: 'EdDSA' };
      const secret = JSON.stringify(await exportJWK(privateKey));
      // Two instances starting at once: the first key stored wins, the other reads it back.
      await this.db
        .insert(plexDeviceKeys)
        .values({ kid, encryptedPrivateKey: this.cipher.encrypt(secret), publicJwk: { ...jwk } })
        .onConflictDoNothing();
      [row] = await this.db.select().from(plexDeviceKeys).orderBy(asc(plexDeviceKeys.createdAt)).limit(1);
    }
    const jwk = row!.publicJwk as unknown as PlexJwk;
    const key = await importJWK(JSON.parse(this.cipher.decrypt(row!.encryptedPrivateKey)) as JWK, 'EdDSA');
    return { jwk, key };
  }
}
