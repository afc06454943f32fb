import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { deriveKey } from './keys.ts';

/** Who a session token speaks for. */
export interface SessionClaims {
  /** users.id */
  userId: string;
  discordId: string;
  name: string;
  avatar: string | null;
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const payloadSchema = z.object({
  v: z.literal(1),
  sub: z.string(),
  did: z.string(),
  name: z.string(),
  av: z.string().nullable(),
  iat: z.number(),
  exp: z.number(),
});

export type VerifyResult =
  | { ok: true; claims: SessionClaims; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

/**
 * Short-lived session tokens: `v1.<base64url JSON payload>.<base64url HMAC-SHA256>`. Stateless, so
 * any instance verifies them; the HMAC key is derived from SECRET_KEY (HKDF), never the raw secret.
 */
export class SessionTokens {
  private readonly key: Buffer;

  constructor(
    secret: Buffer,
    private readonly options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.key = deriveKey(secret, 'session-token v1');
  }

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  sign(claims: SessionClaims): { token: string; expiresAt: number } {
    const iat = this.now();
    const exp = iat + (this.options.ttlMs ?? SESSION_TTL_MS);
    const payload: z.infer<typeof payloadSchema> = {
      v: 1,
      sub: claims.userId,
      did: claims.discordId,
      name: claims.name,
      av: claims.avatar,
      iat,
      exp,
    };
    const body = `v1.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return { token: `${body}.${this.mac(body).toString('base64url')}`, expiresAt: exp };
  }

  verify(token: string): VerifyResult {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 'v1') return { ok: false, reason: 'malformed' };
    const body = `${parts[0]}.${parts[1]}`;
    const given = Buffer.from(parts[2] ?? '', 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'signature' };
    let payload: z.infer<typeof payloadSchema>;
    try {
      payload = payloadSchema.parse(JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (payload.exp <= this.now()) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      claims: { userId: payload.sub, discordId: payload.did, name: payload.name, avatar: payload.av },
      expiresAt: payload.exp,
    };
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
