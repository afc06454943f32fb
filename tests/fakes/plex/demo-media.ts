import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests/fakes/plex/ is three levels down). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const defaultMediaDir = path.join(repoRoot, 'apps/server/media/demo');

export interface DemoRendition {
  name: string;
  width: number;
  height: number;
  /** Peak bits per second, as in the master playlist. */
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  /** Absolute path of the rendition's index.m3u8. */
  playlistFile: string;
  segments: { file: string; duration: number }[];
}

export interface DemoClip {
  id: string;
  title: string;
  summary: string;
  year: number;
  durationMs: number;
  width: number;
  height: number;
  frameRate: number;
  videoProfile: string;
  videoLevel: number;
  audioChannels: number;
  audioSamplingRate: number;
  /** kbps of the whole file. */
  bitrate: number;
  mp4File: string;
  mp4Bytes: number;
  posterFile: string;
  thumbFile: string;
  /** Highest first. */
  renditions: DemoRendition[];
  /** The demo series' episodes: their show, season and episode number. */
  series?: DemoSeries;
  /** Intro and credits of an episode (ms). */
  markers?: DemoMarker[];
}

export interface DemoSeries {
  id: string;
  title: string;
  summary?: string;
  year?: number;
  season: number;
  episode: number;
}

export interface DemoMarker {
  type: 'intro' | 'credits';
  startMs: number;
  endMs: number;
}

interface ManifestRendition {
  name: string;
  width: number;
  height: number;
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  playlist: string;
}

interface ManifestItem {
  id: string;
  title: string;
  summary: string;
  year: number;
  durationMs: number;
  width: number;
  height: number;
  frameRate: number;
  videoProfile: string;
  videoLevel: number;
  audioChannels: number;
  audioSamplingRate: number;
  bitrate: number;
  poster: string;
  thumb: string;
  files: { mp4: { path: string; bytes: number }; hls: { renditions: ManifestRendition[] } };
  series?: DemoSeries;
  markers?: DemoMarker[];
}

/** Reads apps/server/media/demo/manifest.json and the renditions' media playlists (synchronously, once). */
export function loadDemoClips(mediaDir = defaultMediaDir): DemoClip[] {
  const manifest = JSON.parse(readFileSync(path.join(mediaDir, 'manifest.json'), 'utf8')) as { items: ManifestItem[] };
  return manifest.items.map((item) => ({
    id: item.id,
    title: item.title,
    summary: item.summary,
    year: item.year,
    durationMs: item.durationMs,
    width: item.width,
    height: item.height,
    frameRate: item.frameRate,
    videoProfile: item.videoProfile,
    videoLevel: item.videoLevel,
    audioChannels: item.audioChannels,
    audioSamplingRate: item.audioSamplingRate,
    bitrate: item.bitrate,
    mp4File: path.join(mediaDir, item.files.mp4.path),
    mp4Bytes: item.files.mp4.bytes,
    posterFile: path.join(mediaDir, item.poster),
    thumbFile: path.join(mediaDir, item.thumb),
    ...(item.series ? { series: item.series } : {}),
    ...(item.markers ? { markers: item.markers } : {}),
    renditions: item.files.hls.renditions
      .map((r) => {
        const playlistFile = path.join(mediaDir, r.playlist);
        return {
          name: r.name,
          width: r.width,
          height: r.height,
          bandwidth: r.bandwidth,
          averageBandwidth: r.averageBandwidth,
          codecs: r.codecs,
          playlistFile,
          segments: readSegments(playlistFile),
        };
      })
      .sort((a, b) => b.height - a.height),
  }));
}

function readSegments(playlistFile: string): { file: string; duration: number }[] {
  const lines = readFileSync(playlistFile, 'utf8').split('\n');
  const segments: { file: string; duration: number }[] = [];
  let duration = 0;
  for (const line of lines) {
    const extinf = /^#EXTINF:([\d.]+)/.exec(line);
    if (extinf) duration = Number(extinf[1]);
    else if (line && !line.startsWith('#')) {
      segments.push({ file: path.join(path.dirname(playlistFile), line.trim()), duration });
    }
  }
  return segments;
}
