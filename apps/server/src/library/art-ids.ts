import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { ART_SIZES, type ArtRef, type ArtSize } from './media-source.ts';

export interface ArtTarget {
  /** `MediaSource.key` */
  source: string;
  ref: ArtRef;
  size: ArtSize;
}

const DAY_MS = 24 * 60 * 60_000;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const payloadSchema = z.object({
  s: z.string(),
  r: z.string(),
  z: z.enum(Object.keys(ART_SIZES) as [ArtSize, ...ArtSize[]]),
  e: z.number().int(),
});

const derive = (secretKey: Buffer, info: string) =>
  Buffer.from(hkdfSync('sha256', secretKey, 'discord-plex-player', info, 32));

/**
 * Art ids: what `/api/art/<id>` is asked for. An id names a source, a source-private image reference
 * (a Plex path) and a size, expires, and must reveal nothing: the reference never reaches a client.
 * So the payload is sealed with AES-256-GCM (its tag is the signature) under an IV that is an
 * HMAC-SHA256 of the payload (deterministic, SIV-style): the same image gets the same id for a whole
 * day, which lets browsers cache it, while different images never share an IV. Ids expire after
 * one to two days (the expiry is rounded to the day for that stability).
 */
export class ArtIds {
  private readonly encryptionKey: Buffer;
  private readonly ivKey: Buffer;

  constructor(secretKey: Buffer) {
    this.encryptionKey = derive(secretKey, 'art-ids/aes-256-gcm/v1');
    this.ivKey = derive(secretKey, 'art-ids/hmac-iv/v1');
  }

  issue(target: ArtTarget, now = Date.now()): string {
    const expires = (Math.floor(now / DAY_MS) + 2) * DAY_MS;
    const payload = Buffer.from(JSON.stringify({ s: target.source, r: target.ref, z: target.size, e: expires }));
    const iv = createHmac('sha256', this.ivKey).update(payload).digest().subarray(0, IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const sealed = Buffer.concat([cipher.update(payload), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /** The target of a valid id, `expired`, or `invalid` (forged, altered, or not an id at all). */
  open(
    id: string,
    now = Date.now(),
  ): { ok: true; target: ArtTarget; expiresAt: number } | { ok: false; reason: 'expired' | 'invalid' } {
    const raw = Buffer.from(id, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES || raw.toString('base64url') !== id) return { ok: false, reason: 'invalid' };
    let payload: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      payload = JSON.parse(plain.toString('utf8'));
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, reason: 'invalid' };
    if (parsed.data.e <= now) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      target: { source: parsed.data.s, ref: parsed.data.r, size: parsed.data.z },
      expiresAt: parsed.data.e,
    };
  }
}
