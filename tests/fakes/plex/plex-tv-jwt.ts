import { randomUUID } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';

/**
 * The fake plex.tv's JWT side, as Plex documents it (developer.plex.tv, "Authenticating with
 * Plex"): its own Ed25519 key set (`/api/v2/auth/keys`), device keys registered by a PIN made with
 * a `jwk` or by `POST /api/v2/auth/jwk` with a legacy token, nonces valid 5 minutes, and Plex JWTs
 * valid 7 days. Device JWTs must carry `aud=plex.tv`, `iss=<client identifier>`, and `kid` + `alg`
 * in the header; anything else is refused with 422. Time is the fake's clock (`advance`).
 */

export const PLEX_JWT_TTL_S = 7 * 24 * 3600;
export const NONCE_TTL_MS = 5 * 60_000;

export interface FakeAccount {
  uuid: string;
  username: string;
  /** The account's legacy token; null once a JWT replaced it (plex.tv retires it then). */
  legacyToken: string | null;
}

export type DeviceJwk = JWK & { kid: string };

export interface DeviceKey {
  jwk: DeviceJwk;
  clientIdentifier: string;
  account: FakeAccount;
}

/** Why plex.tv refused something, with its documented status. */
export class PlexTvRefusal extends Error {
  constructor(
    readonly status: 400 | 422,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export type TokenCheck = { ok: true; account: FakeAccount } | { ok: false; status: 401 | 498 };

export class FakePlexTvAuth {
  readonly devices = new Map<string, DeviceKey>();
  readonly #nonces = new Map<string, { expiresAt: number; used: boolean }>();
  #offsetMs = 0;
  readonly #issued = new Set<string>();
  readonly #expired = new Set<string>();
  #signingKey!: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  #jwks!: JSONWebKeySet;
  #kid = 'fake-plex-tv-key-1';

  private constructor(readonly account: FakeAccount) {}

  static async create(account: FakeAccount): Promise<FakePlexTvAuth> {
    const auth = new FakePlexTvAuth(account);
    const { publicKey, privateKey } = await generateKeyPair('Ed25519', { extractable: true });
    auth.#signingKey = privateKey;
    auth.#jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: auth.#kid, use: 'sig', alg: 'EdDSA' }] };
    return auth;
  }

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Moves the fake's clock on (nonces and Plex JWTs expire by it). */
  advance(ms: number): void {
    this.#offsetMs += ms;
  }

  /** Every Plex JWT issued so far is expired from now on (498), whatever its `exp` says. */
  expireIssuedTokens(): void {
    for (const token of this.#issued) this.#expired.add(token);
  }

  get jwks(): JSONWebKeySet {
    return this.#jwks;
  }

  /** Registers a device's public key for an account; a key another device holds is refused. */
  register(jwk: unknown, clientIdentifier: string, account: FakeAccount): DeviceKey {
    const key = checkJwk(jwk);
    const existing = this.devices.get(key.kid);
    if (existing && existing.clientIdentifier !== clientIdentifier) {
      throw new PlexTvRefusal(422, 1098, 'Thumbprint already taken');
    }
    const device = { jwk: key, clientIdentifier, account };
    this.devices.set(key.kid, device);
    return device;
  }

  nonce(): string {
    const nonce = randomUUID();
    this.#nonces.set(nonce, { expiresAt: this.now() + NONCE_TTL_MS, used: false });
    return nonce;
  }

  /** Checks a device JWT against a registered (or given) key: header, signature, aud, iss, times. */
  async verifyDeviceJwt(token: string, options: { jwk?: JWK & { kid: string }; clientIdentifier?: string } = {}) {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new PlexTvRefusal(400, 1000, 'The device JWT is not a JWT');
    }
    if (!header.kid || !header.alg) throw new PlexTvRefusal(422, 1097, 'The device JWT header needs kid and alg');
    if (header.alg !== 'EdDSA' && header.alg !== 'RS256') {
      throw new PlexTvRefusal(422, 1097, `Unsupported algorithm ${header.alg}`);
    }
    const device = options.jwk ? undefined : this.devices.get(header.kid);
    const jwk = options.jwk ?? device?.jwk;
    if (!jwk || jwk.kid !== header.kid) throw new PlexTvRefusal(422, 1097, 'Unknown device key (kid)');
    const clientIdentifier = options.clientIdentifier ?? device?.clientIdentifier;
    try {
      const { payload } = await jwtVerify(token, await importJWK(jwk, header.alg), {
        audience: 'plex.tv',
        issuer: clientIdentifier,
        currentDate: new Date(this.now()),
        algorithms: ['EdDSA', 'RS256'],
      });
      return { payload, device };
    } catch (error) {
      const reason = error instanceof errors.JOSEError ? error.code : 'invalid';
      throw new PlexTvRefusal(422, 1097, `Signature verification failed (${reason})`);
    }
  }

  /** `POST /api/v2/auth/token`: a device JWT with a live, unused nonce → a Plex JWT. */
  async exchange(deviceJwt: string): Promise<string> {
    const { payload, device } = await this.verifyDeviceJwt(deviceJwt);
    const nonce = typeof payload.nonce === 'string' ? this.#nonces.get(payload.nonce) : undefined;
    if (!nonce || nonce.used || nonce.expiresAt <= this.now()) {
      throw new PlexTvRefusal(422, 1096, 'The nonce is unknown, used or expired');
    }
    nonce.used = true;
    // A JWT replaces the legacy token of the account (Plex's migration guide).
    device!.account.legacyToken = null;
    return this.issue(device!.account);
  }

  /** A Plex JWT for an account, valid 7 days from the fake's now. */
  async issue(account: FakeAccount): Promise<string> {
    const iat = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ user: { uuid: account.uuid, username: account.username } })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.#kid, typ: 'JWT' })
      .setIssuer('plex.tv')
      .setSubject(account.uuid)
      .setIssuedAt(iat)
      .setExpirationTime(iat + PLEX_JWT_TTL_S)
      // Each token is its own, as plex.tv's are (Ed25519 signatures are deterministic: two tokens
      // for one account in one second would otherwise be the same string, and expire together).
      .setJti(randomUUID())
      .sign(this.#signingKey);
    this.#issued.add(token);
    return token;
  }

  /** What a token in X-Plex-Token is: the legacy token, a valid Plex JWT, an expired one (498), or nothing. */
  async check(token: string | undefined): Promise<TokenCheck> {
    if (!token) return { ok: false, status: 401 };
    if (this.account.legacyToken && token === this.account.legacyToken) return { ok: true, account: this.account };
    if (token.split('.').length !== 3) return { ok: false, status: 401 };
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(this.#jwks), {
        issuer: 'plex.tv',
        currentDate: new Date(this.now()),
      });
      if (payload.sub !== this.account.uuid) return { ok: false, status: 401 };
      if (this.#expired.has(token)) return { ok: false, status: 498 };
      return { ok: true, account: this.account };
    } catch (error) {
      return { ok: false, status: error instanceof errors.JWTExpired ? 498 : 401 };
    }
  }
}

function checkJwk(jwk: unknown): JWK & { kid: string } {
  const key = jwk as Record<string, unknown> | undefined;
  if (key?.kty !== 'OKP' || key.crv !== 'Ed25519' || typeof key.x !== 'string' || typeof key.kid !== 'string') {
    throw new PlexTvRefusal(400, 1000, 'jwk must be an Ed25519 OKP key with x and kid');
  }
  if (key.alg !== undefined && key.alg !== 'EdDSA') throw new PlexTvRefusal(400, 1000, 'jwk alg must be EdDSA');
  return { kty: 'OKP', crv: 'Ed25519', x: key.x, kid: key.kid, alg: 'EdDSA' };
}
