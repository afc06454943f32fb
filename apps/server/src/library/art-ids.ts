import { z } from 'zod';
import { Sealer } from '../lib/sealing.ts';
import { ART_SIZES, type ArtRef, type ArtSize } from '../media/media-source.ts';

export interface ArtTarget {
  /** `MediaSource.key` */
  source: string;
  ref: ArtRef;
  size: ArtSize;
}

const DAY_MS = 24 * 60 * 60_000;

const payloadSchema = z.object({
  s: z.string(),
  r: z.string(),
  z: z.enum(Object.keys(ART_SIZES) as [ArtSize, ...ArtSize[]]),
  e: z.number().int(),
});

/**
 * Art ids: what `/api/art/<id>` is asked for. An id names a source, a source-private image reference
 * (a Plex path) and a size, expires, and must reveal nothing: the reference never reaches a client.
 * So the payload is sealed by the sealing module (purpose `art-id`), deterministically: the same
 * image gets the same id for a whole day, which lets browsers cache it. Ids expire after one to two
 * days (the expiry is rounded to the day for that stability).
 */
export class ArtIds {
  private readonly sealer: Sealer;

  constructor(keys: Sealer | Buffer) {
    this.sealer = Sealer.from(keys);
  }

  issue(target: ArtTarget, now = Date.now()): string {
    const expires = (Math.floor(now / DAY_MS) + 2) * DAY_MS;
    const payload = JSON.stringify({ s: target.source, r: target.ref, z: target.size, e: expires });
    return this.sealer.seal('art-id', payload, { deterministic: true });
  }

  /** The target of a valid id, `expired`, or `invalid` (forged, altered, or not an id at all). */
  open(
    id: string,
    now = Date.now(),
  ): { ok: true; target: ArtTarget; expiresAt: number } | { ok: false; reason: 'expired' | 'invalid' } {
    if (!/^[A-Za-z0-9_-]{1,4096}$/.test(id)) return { ok: false, reason: 'invalid' };
    const opened = this.sealer.open('art-id', id);
    if (!opened) return { ok: false, reason: 'invalid' };
    let payload: unknown;
    try {
      payload = JSON.parse(opened.value);
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
