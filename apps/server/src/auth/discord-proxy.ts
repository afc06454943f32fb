import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type ProxyCheck =
  | { ok: true; userId: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'expired' | 'timestamp' };

/** Discord signs `created_at` seconds; a payload this far in the future is not believed. */
const MAX_SKEW_S = 60;

const single = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

/**
 * Requests through Discord's activity proxy carry a payload Discord signed with the application's
 * Ed25519 key: `X-Discord-Proxy-Payload` (base64 JSON with `created_at`, `expires_at` and the user),
 * `X-Signature-Ed25519` (over the decoded payload; hex or base64) and `X-Signature-Timestamp`
 * (equal to `created_at`). This checks one against DISCORD_PUBLIC_KEY and says whose it is.
 */
export class DiscordProxyVerifier {
  private readonly key: KeyObject;

  constructor(
    publicKeyHex: string,
    private readonly now: () => number = Date.now,
  ) {
    const x = Buffer.from(publicKeyHex, 'hex').toString('base64url');
    this.key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  }

  check(headers: IncomingHttpHeaders): ProxyCheck {
    const encoded = single(headers['x-discord-proxy-payload']);
    const signature = single(headers['x-signature-ed25519']);
    const timestamp = single(headers['x-signature-timestamp']);
    if (!encoded || !signature || !timestamp) return { ok: false, reason: 'missing' };
    const payloadBytes = Buffer.from(encoded, 'base64');
    const signatureBytes = /^[0-9a-f]{128}$/i.test(signature)
      ? Buffer.from(signature, 'hex')
      : Buffer.from(signature, 'base64');
    if (signatureBytes.length !== 64 || payloadBytes.length === 0) return { ok: false, reason: 'malformed' };
    if (!verify(null, payloadBytes, this.key, signatureBytes)) return { ok: false, reason: 'signature' };
    let payload: { created_at?: unknown; expires_at?: unknown; user_id?: unknown; user?: { id?: unknown } };
    try {
      payload = JSON.parse(payloadBytes.toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const userId = payload.user_id ?? payload.user?.id;
    if (
      typeof userId !== 'string' ||
      typeof payload.created_at !== 'number' ||
      typeof payload.expires_at !== 'number'
    ) {
      return { ok: false, reason: 'malformed' };
    }
    if (String(payload.created_at) !== timestamp) return { ok: false, reason: 'timestamp' };
    const nowS = Math.floor(this.now() / 1000);
    if (payload.expires_at < nowS || payload.created_at > nowS + MAX_SKEW_S) return { ok: false, reason: 'expired' };
    return { ok: true, userId };
  }
}
