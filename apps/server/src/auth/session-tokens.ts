import { z } from 'zod';
import { Sealer } from '../lib/sealing.ts';

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
  v: z.literal(2),
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

const SEALED_TEXT = /^[A-Za-z0-9_-]{1,8192}$/;

/**
 * Short-lived session tokens: the claims sealed by the sealing module (purpose `session`), so they
 * are stateless (any instance opens them) and can be neither read nor forged by the client.
 */
export class SessionTokens {
  private readonly sealer: Sealer;

  constructor(
    keys: Sealer | Buffer,
    private readonly options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.sealer = Sealer.from(keys);
  }

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  sign(claims: SessionClaims): { token: string; expiresAt: number } {
    const iat = this.now();
    const exp = iat + (this.options.ttlMs ?? SESSION_TTL_MS);
    const payload: z.infer<typeof payloadSchema> = {
      v: 2,
      sub: claims.userId,
      did: claims.discordId,
      name: claims.name,
      av: claims.avatar,
      iat,
      exp,
    };
    return { token: this.sealer.seal('session', JSON.stringify(payload)), expiresAt: exp };
  }

  verify(token: string): VerifyResult {
    if (!SEALED_TEXT.test(token)) return { ok: false, reason: 'malformed' };
    const opened = this.sealer.open('session', token);
    if (!opened) return { ok: false, reason: 'signature' };
    let payload: z.infer<typeof payloadSchema>;
    try {
      payload = payloadSchema.parse(JSON.parse(opened.value));
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
}
