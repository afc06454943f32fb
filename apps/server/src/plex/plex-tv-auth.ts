import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { PlexJwk } from './device-key.ts';
import { type PlexClientIdentity, plexHeaders } from './headers.ts';
import { PlexHttp, type PlexHttpOptions, type PlexMetrics } from './http.ts';
import { type PlexPin, pinSchema } from './schemas.ts';

const nonceSchema = z.object({ nonce: z.string().min(1) });
const tokenSchema = z.object({ auth_token: z.string().min(1) });
const userSchema = z.object({ uuid: z.string().min(1), username: z.string() });

export type PlexUser = z.infer<typeof userSchema>;

/** When a Plex JWT expires (its `exp`), or null for a token that is not a JWT (a legacy token). */
export function plexTokenExpiry(token: string): Date | null {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}

/**
 * plex.tv's JWT sign-in (September 2025 API): a PIN made with the device's public key and
 * collected with a signed device JWT, registration of the key with a legacy token, and the
 * refresh of a Plex JWT through a nonce (valid 5 minutes) and a signed device JWT.
 */
export class PlexTvAuth {
  private readonly http: PlexHttp;

  constructor(
    private readonly options: {
      baseUrl: string;
      identity: PlexClientIdentity;
      metrics?: PlexMetrics;
      http?: Partial<PlexHttpOptions>;
    },
  ) {
    this.http = new PlexHttp(options.baseUrl.replace(/\/+$/, ''), options.metrics, options.http);
  }

  private headers(token?: string) {
    return plexHeaders(this.options.identity, token);
  }

  /** A strong PIN tied to the device key: once approved, collecting it yields a Plex JWT. */
  createPin(jwk: PlexJwk): Promise<PlexPin> {
    return this.http.json(
      { endpoint: 'pins', method: 'POST', path: '/api/v2/pins', body: { jwk, strong: true }, headers: this.headers() },
      pinSchema,
    );
  }

  /** The PIN's state, collected with a device JWT: `authToken` is the Plex JWT once approved. */
  collectPin(id: number, deviceJwt: string): Promise<PlexPin> {
    return this.http.json(
      { endpoint: 'pin', path: `/api/v2/pins/${id}`, query: { deviceJWT: deviceJwt }, headers: this.headers() },
      pinSchema,
    );
  }

  /** Registers the device key for the account of a legacy token (the first step of its upgrade). */
  async registerKey(legacyToken: string, jwk: PlexJwk): Promise<void> {
    await this.http.empty({
      endpoint: 'auth_jwk',
      method: 'POST',
      path: '/api/v2/auth/jwk',
      body: { jwk },
      headers: this.headers(legacyToken),
    });
  }

  /** A nonce for the next device JWT (valid 5 minutes; rate-limited by plex.tv). */
  async nonce(): Promise<string> {
    const body = await this.http.json(
      { endpoint: 'auth_nonce', path: '/api/v2/auth/nonce', headers: this.headers(), retry: false },
      nonceSchema,
    );
    return body.nonce;
  }

  /** A fresh Plex JWT (7 days) for a device JWT carrying a nonce. */
  async token(deviceJwt: string): Promise<string> {
    const body = await this.http.json(
      {
        endpoint: 'auth_token',
        method: 'POST',
        path: '/api/v2/auth/token',
        body: { jwt: deviceJwt },
        headers: this.headers(),
      },
      tokenSchema,
    );
    return body.auth_token;
  }

  /** Who a token belongs to. */
  user(token: string): Promise<PlexUser> {
    return this.http.json({ endpoint: 'user', path: '/api/v2/user', headers: this.headers(token) }, userSchema);
  }
}
