import { z } from 'zod';
import { api } from '../lib/api.ts';
import type { Quality } from '../room/app-state.ts';

/** `GET /api/rooms/:roomId/stream?quality=…` (DESIGN: streams contract). */
const streamResponseSchema = z.object({
  kind: z.enum(['hls', 'file']),
  url: z.string().startsWith('/api/'),
  mimeType: z.string().min(1),
  /** Epoch ms after which the URL stops working (a playback error then asks for a new one). */
  expiresAt: z.number().optional(),
  /**
   * Sidecar subtitle files (WebVTT through the proxy), when the server offers them. Subtitles carried
   * inside an HLS stream need nothing here: the player lists them itself.
   */
  subtitles: z
    .array(z.object({ label: z.string(), language: z.string(), url: z.string().startsWith('/api/') }))
    .optional(),
});
export type StreamResponse = z.infer<typeof streamResponseSchema>;

/**
 * The server's qualities. "Auto" asks for the original: direct play when this browser can play the
 * file (no transcode, best picture), and the server falls back to HLS when it cannot; an HLS answer
 * with several renditions then adapts to the connection.
 */
function serverQuality(quality: Quality): Exclude<Quality, 'auto'> {
  return quality === 'auto' ? 'original' : quality;
}

export function fetchStream(roomId: string, quality: Quality, signal?: AbortSignal): Promise<StreamResponse> {
  const q = encodeURIComponent(serverQuality(quality));
  return api(`/api/rooms/${encodeURIComponent(roomId)}/stream?quality=${q}`, { schema: streamResponseSchema, signal });
}
