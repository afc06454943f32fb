import { Sealer } from '../lib/sealing.ts';
import { QUALITIES, type Quality } from '../media/media-source.ts';

/**
 * What a stream id grants: one quality of one item, in one room, to the member it was given to
 * (`viewer`, a user id: the id stops working soon after they leave the room), until `exp` (epoch ms).
 */
export interface StreamClaims {
  roomId: string;
  itemId: string;
  quality: Quality;
  viewer: string;
  exp: number;
}

export type StreamIdResult =
  | { ok: true; claims: StreamClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' };

export const STREAM_ID_TTL_MS = 6 * 60 * 60 * 1000;

const isQuality = (value: unknown): value is Quality => QUALITIES.includes(value as Quality);

const SEALED_TEXT = /^[A-Za-z0-9_-]{1,2048}$/;

/**
 * Stream ids: the claims sealed by the sealing module (purpose `stream-id`). Stateless, so any
 * instance checks them; they carry no upstream detail at all (no URL, path or token), only the
 * room, the item, the quality and the expiry, and the client can neither read nor forge them.
 */
export class StreamIds {
  private readonly sealer: Sealer;

  constructor(
    keys: Sealer | Buffer,
    private readonly now: () => number = Date.now,
  ) {
    this.sealer = Sealer.from(keys);
  }

  sign(claims: Omit<StreamClaims, 'exp'>, ttlMs = STREAM_ID_TTL_MS): { id: string; claims: StreamClaims } {
    const full: StreamClaims = { ...claims, exp: this.now() + ttlMs };
    const payload = JSON.stringify([2, full.roomId, full.itemId, full.quality, full.exp, full.viewer]);
    return { id: this.sealer.seal('stream-id', payload), claims: full };
  }

  verify(id: string): StreamIdResult {
    if (!SEALED_TEXT.test(id)) return { ok: false, reason: 'malformed' };
    const opened = this.sealer.open('stream-id', id);
    if (!opened) return { ok: false, reason: 'signature' };
    let decoded: unknown;
    try {
      decoded = JSON.parse(opened.value);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (!Array.isArray(decoded) || decoded.length !== 6 || decoded[0] !== 2) return { ok: false, reason: 'malformed' };
    const [, roomId, itemId, quality, exp, viewer] = decoded as unknown[];
    if (
      typeof roomId !== 'string' ||
      typeof itemId !== 'string' ||
      !isQuality(quality) ||
      typeof exp !== 'number' ||
      typeof viewer !== 'string'
    ) {
      return { ok: false, reason: 'malformed' };
    }
    if (exp <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, claims: { roomId, itemId, quality, viewer, exp } };
  }
}

/**
 * Sealed references: the names the proxy gives to playlist entries (an upstream path, a file inside
 * a local HLS directory), sealed by the sealing module (purpose `stream-ref`), so the client learns
 * nothing of the upstream and cannot forge a name. Deterministic, so the same entry always gets the
 * same name and every member of a room is served byte-identical playlists. The context (room, item,
 * quality, transcode session) is authenticated with it: a name from one stream opens in no other.
 */
export class StreamRefs {
  private readonly sealer: Sealer;

  constructor(keys: Sealer | Buffer) {
    this.sealer = Sealer.from(keys);
  }

  seal(context: string, ref: string): string {
    return this.sealer.seal('stream-ref', ref, { context, deterministic: true });
  }

  /** The reference, or undefined for a name this server did not make for this context. */
  open(context: string, sealed: string): string | undefined {
    return this.sealer.open('stream-ref', sealed, { context })?.value;
  }
}
