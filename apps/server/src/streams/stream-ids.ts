import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { deriveKey } from '../auth/keys.ts';
import { QUALITIES, type Quality } from '../library/media-source.ts';

/** What a stream id grants: one quality of one item, in one room, until `exp` (epoch ms). */
export interface StreamClaims {
  roomId: string;
  itemId: string;
  quality: Quality;
  exp: number;
}

export type StreamIdResult =
  | { ok: true; claims: StreamClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

export const STREAM_ID_TTL_MS = 6 * 60 * 60 * 1000;

/** 128 bits of HMAC-SHA256: plenty against forgery, and it keeps URLs short. */
const MAC_BYTES = 16;

const isQuality = (value: unknown): value is Quality => QUALITIES.includes(value as Quality);

/**
 * Stream ids: `<base64url payload>.<base64url HMAC>`, signed with a key of their own (HKDF from
 * SECRET_KEY, label `stream-id v1`). Stateless, so any instance checks them; they carry no upstream
 * detail at all (no URL, path or token), only the room, the item, the quality and the expiry.
 */
export class StreamIds {
  private readonly key: Buffer;

  constructor(
    secret: Buffer,
    private readonly now: () => number = Date.now,
  ) {
    this.key = deriveKey(secret, 'stream-id v1');
  }

  sign(claims: Omit<StreamClaims, 'exp'>, ttlMs = STREAM_ID_TTL_MS): { id: string; claims: StreamClaims } {
    const full: StreamClaims = { ...claims, exp: this.now() + ttlMs };
    const payload = Buffer.from(JSON.stringify([1, full.roomId, full.itemId, full.quality, full.exp])).toString(
      'base64url',
    );
    return { id: `${payload}.${this.mac(payload).toString('base64url')}`, claims: full };
  }

  verify(id: string): StreamIdResult {
    const dot = id.indexOf('.');
    if (dot <= 0 || id.length > 2048) return { ok: false, reason: 'malformed' };
    const payload = id.slice(0, dot);
    const given = Buffer.from(id.slice(dot + 1), 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'signature' };
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (!Array.isArray(decoded) || decoded.length !== 5 || decoded[0] !== 1) return { ok: false, reason: 'malformed' };
    const [, roomId, itemId, quality, exp] = decoded as unknown[];
    if (typeof roomId !== 'string' || typeof itemId !== 'string' || !isQuality(quality) || typeof exp !== 'number') {
      return { ok: false, reason: 'malformed' };
    }
    if (exp <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, claims: { roomId, itemId, quality, exp } };
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest().subarray(0, MAC_BYTES);
  }
}

/**
 * Sealed references: the names the proxy gives to playlist entries (an upstream path, a file inside
 * a local HLS directory). AES-256-GCM, so the client learns nothing of the upstream and cannot forge
 * a name; the nonce is derived from the content (SIV-style), so the same entry always gets the same
 * name and every member of a room is served byte-identical playlists. The context (room, item,
 * quality, transcode session) is authenticated data: a name from one stream opens in no other.
 */
export class StreamRefs {
  private readonly encKey: Buffer;
  private readonly ivKey: Buffer;

  constructor(secret: Buffer) {
    this.encKey = deriveKey(secret, 'stream-ref v1 enc');
    this.ivKey = deriveKey(secret, 'stream-ref v1 iv');
  }

  seal(context: string, ref: string): string {
    const iv = createHmac('sha256', this.ivKey).update(context).update('\0').update(ref).digest().subarray(0, 12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(ref, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The reference, or undefined for a name this server did not make for this context. */
  open(context: string, sealed: string): string | undefined {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 12 + 16 + 1) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.encKey, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
