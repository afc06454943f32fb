import { readFileSync } from 'node:fs';
import type { FakePlayable } from './catalog.ts';
import type { FakePlexCounters } from './counters.ts';
import type { DemoClip, DemoRendition } from './demo-media.ts';

/**
 * The fake's "transcoder": sessions keyed by the client's `session` parameter that serve the committed
 * HLS renditions (real MPEG-TS bytes) instead of running ffmpeg. start.m3u8 answers a master playlist
 * with one variant (like Plex), whose media playlist lists every segment of the chosen rendition.
 */

export interface TranscodeSession {
  key: string;
  item: FakePlayable;
  rendition: DemoRendition;
  /** The start.m3u8 query parameters. */
  params: Record<string, string>;
  /** Whether the master playlist carries a WebVTT subtitle rendition. */
  subtitles: boolean;
  startedAt: number;
  lastActivityAt: number;
}

export class FakeTranscoder {
  readonly #sessions = new Map<string, TranscodeSession>();
  readonly #counters: FakePlexCounters;

  constructor(counters: FakePlexCounters) {
    this.#counters = counters;
  }

  /** Starts (or, for an active key, restarts) a session. */
  start(key: string, item: FakePlayable, rendition: DemoRendition, params: Record<string, string>, subtitles: boolean) {
    const restarted = this.#sessions.has(key);
    const session: TranscodeSession = {
      key,
      item,
      rendition,
      params,
      subtitles,
      startedAt: Date.now(),
      lastActivityAt: Date.now(),
    };
    this.#sessions.set(key, session);
    this.#counters.transcode(restarted ? 'restarted' : 'started');
    return session;
  }

  get(key: string): TranscodeSession | undefined {
    const session = this.#sessions.get(key);
    if (session) session.lastActivityAt = Date.now();
    return session;
  }

  /** A client stopped the session. */
  stop(key: string): boolean {
    if (!this.#sessions.delete(key)) return false;
    this.#counters.transcode('stopped');
    return true;
  }

  /** The server ended the session on its own (as Plex does after idling or an error). */
  kill(key: string): boolean {
    if (!this.#sessions.delete(key)) return false;
    this.#counters.transcode('killed');
    return true;
  }

  active(): TranscodeSession[] {
    return [...this.#sessions.values()];
  }

  get size(): number {
    return this.#sessions.size;
  }

  clear(): void {
    this.#sessions.clear();
  }
}

/**
 * Picks the highest rendition within `maxVideoBitrate` (kbps) and the height of `videoResolution`
 * ("1280x720"); the lowest one when none fits.
 */
export function pickRendition(clip: DemoClip, maxVideoBitrate?: number, videoResolution?: string): DemoRendition {
  const maxHeight = videoResolution ? Number(/^\s*\d+\s*[x:]\s*(\d+)\s*$/.exec(videoResolution)?.[1]) : undefined;
  const fits = clip.renditions.filter(
    (r) =>
      (maxVideoBitrate === undefined || !(maxVideoBitrate > 0) || r.bandwidth / 1000 <= maxVideoBitrate) &&
      (maxHeight === undefined || Number.isNaN(maxHeight) || r.height <= maxHeight),
  );
  return fits[0] ?? clip.renditions[clip.renditions.length - 1]!;
}

const sessionBase = (key: string) => `session/${encodeURIComponent(key)}`;

export function masterPlaylist(session: TranscodeSession): string {
  const r = session.rendition;
  const lines = ['#EXTM3U'];
  let subs = '';
  if (session.subtitles) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="${sessionBase(session.key)}/subtitles/index.m3u8"`,
    );
    subs = ',SUBTITLES="subs"';
  }
  lines.push(
    `#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=${r.bandwidth},RESOLUTION=${r.width}x${r.height},FRAME-RATE=${session.item.clip.frameRate.toFixed(6)},CODECS="${r.codecs}"${subs}`,
    `${sessionBase(session.key)}/base/index.m3u8`,
  );
  return `${lines.join('\n')}\n`;
}

/** Segment URIs are relative to the media playlist: `session/<key>/base/00000.ts`. */
export function mediaPlaylist(session: TranscodeSession): string {
  const segments = session.rendition.segments;
  const target = Math.ceil(Math.max(...segments.map((s) => s.duration)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ];
  segments.forEach((s, i) => {
    lines.push(`#EXTINF:${s.duration.toFixed(6)},`, `${String(i).padStart(5, '0')}.ts`);
  });
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

export function subtitlePlaylist(session: TranscodeSession): string {
  const segments = session.rendition.segments;
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(...segments.map((s) => s.duration)))}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
  ];
  segments.forEach((s, i) => {
    lines.push(`#EXTINF:${s.duration.toFixed(6)},`, `${String(i).padStart(5, '0')}.vtt`);
  });
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

const tsCache = new Map<string, number>();

/** The first PTS (90 kHz) of a TS file: WebVTT segments map their cue times onto it. */
function firstPts(file: string): number {
  const cached = tsCache.get(file);
  if (cached !== undefined) return cached;
  const buf = readFileSync(file);
  let pts = 0;
  for (let off = 0; off + 188 <= buf.length; off += 188) {
    if (buf[off] !== 0x47 || !(buf[off + 1]! & 0x40)) continue; // payload_unit_start
    const afc = (buf[off + 3]! >> 4) & 3;
    let p = off + 4 + (afc & 2 ? buf[off + 4]! + 1 : 0);
    if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) continue;
    if (!(buf[p + 7]! & 0x80)) continue;
    p += 9;
    pts =
      (buf[p]! & 0x0e) * 2 ** 29 +
      buf[p + 1]! * 2 ** 22 +
      (buf[p + 2]! & 0xfe) * 2 ** 14 +
      buf[p + 3]! * 2 ** 7 +
      (buf[p + 4]! >> 1);
    break;
  }
  tsCache.set(file, pts);
  return pts;
}

const vttTime = (ms: number) => {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
};

/** One WebVTT segment: a cue per second naming that second. */
export function subtitleSegment(session: TranscodeSession, index: number): string | undefined {
  const segments = session.rendition.segments;
  const segment = segments[index];
  if (!segment) return undefined;
  const startMs = Math.round(segments.slice(0, index).reduce((sum, s) => sum + s.duration, 0) * 1000);
  const endMs = startMs + Math.round(segment.duration * 1000);
  const lines = ['WEBVTT', `X-TIMESTAMP-MAP=MPEGTS:${firstPts(segments[0]!.file)},LOCAL:00:00:00.000`, ''];
  for (let t = Math.ceil(startMs / 1000) * 1000; t < endMs; t += 1000) {
    lines.push(`${vttTime(t)} --> ${vttTime(Math.min(t + 1000, endMs))}`, `Second ${t / 1000}`, '');
  }
  return lines.join('\n');
}

/** The external subtitle file of a part, as SRT: a cue per second. */
export function srtFor(clip: DemoClip): string {
  const cues: string[] = [];
  for (let s = 0; s * 1000 < clip.durationMs; s++) {
    const srt = (ms: number) => vttTime(ms).replace('.', ',');
    cues.push(`${s + 1}\n${srt(s * 1000)} --> ${srt(Math.min((s + 1) * 1000, clip.durationMs))}\nSecond ${s}\n`);
  }
  return cues.join('\n');
}
