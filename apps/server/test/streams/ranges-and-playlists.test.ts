import { describe, expect, it } from 'vitest';
import { decideRange, ifRangeMatches, parseRange } from '../../src/streams/byte-range.ts';
import { PlaylistParseError, rewritePlaylist } from '../../src/streams/hls-rewrite.ts';
import { insideDir } from '../../src/streams/local-media.ts';

describe('byte ranges', () => {
  it('parse one range the way Plex and nginx read it', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
    // Ignored: the whole body is sent.
    expect(parseRange('bytes=5-3', 1000)).toBeUndefined();
    expect(parseRange('bytes=0-1,5-6', 1000)).toBeUndefined();
    expect(parseRange('items=0-1', 1000)).toBeUndefined();
    expect(parseRange(undefined, 1000)).toBeUndefined();
  });

  it('honour If-Range only while the validator still matches', () => {
    const validators = { etag: '"abc"', lastModified: new Date('2024-01-02T03:04:05Z') };
    expect(ifRangeMatches('"abc"', validators)).toBe(true);
    expect(ifRangeMatches('"old"', validators)).toBe(false);
    expect(ifRangeMatches('W/"abc"', validators)).toBe(false);
    expect(ifRangeMatches('Tue, 02 Jan 2024 03:04:05 GMT', validators)).toBe(true);
    expect(ifRangeMatches('Tue, 02 Jan 2024 03:04:06 GMT', validators)).toBe(false);
    expect(decideRange({ range: 'bytes=10-19', 'if-range': '"old"' }, 100, validators)).toEqual({
      status: 200,
      start: 0,
      end: 99,
    });
    expect(decideRange({ range: 'bytes=10-19', 'if-range': '"abc"' }, 100, validators)).toEqual({
      status: 206,
      start: 10,
      end: 19,
    });
    expect(decideRange({ range: 'bytes=100-' }, 100, validators)).toEqual({ status: 416 });
  });
});

describe('local HLS paths', () => {
  it('stay inside the directory', () => {
    expect(insideDir('master.m3u8', '720p/index.m3u8')).toBe('720p/index.m3u8');
    expect(insideDir('720p/index.m3u8', 'seg-001.ts')).toBe('720p/seg-001.ts');
    expect(insideDir('720p/index.m3u8', '../480p/index.m3u8')).toBe('480p/index.m3u8');
    expect(insideDir('720p/index.m3u8', '../../secret')).toBeUndefined();
    expect(insideDir('index.m3u8', '/etc/passwd')).toBeUndefined();
    expect(insideDir('index.m3u8', 'http://elsewhere/seg.ts')).toBeUndefined();
    expect(insideDir('index.m3u8', '%2e%2e/%2e%2e/x')).toBeUndefined();
  });
});

const MASTER = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-SESSION-KEY:METHOD=AES-128,URI="https://plex.example:32400/key?X-Plex-Token=secret"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,AUTOSELECT=YES,LANGUAGE="en",URI="audio/en.m3u8"
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",DEFAULT=NO,AUTOSELECT=YES,LANGUAGE="en",URI="subs/en.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=4000000,RESOLUTION=1280x720,AUDIO="aud",SUBTITLES="subs"
session/abc/base/index.m3u8?X-Plex-Token=secret
#EXT-X-STREAM-INF:BANDWIDTH=1500000,RESOLUTION=854x480,AUDIO="aud",SUBTITLES="subs"
480/index.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI="iframe.m3u8"
`;

const MEDIA = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:3
#EXT-X-MAP:URI="init.mp4"
#EXT-X-KEY:METHOD=AES-128,URI="key1.bin",IV=0x00000000000000000000000000000001
#EXTINF:4.0,
00003.m4s
#EXTINF:4.0,
00004.m4s
#EXT-X-KEY:METHOD=AES-128,URI="key2.bin"
#EXTINF:4.0,
00005.m4s
`;

const uris = (text: string) =>
  text
    .split('\n')
    .flatMap((line) => (line.startsWith('#') ? [...line.matchAll(/URI="([^"]*)"/g)].map((m) => m[1]) : [line]))
    .filter((line): line is string => Boolean(line));

describe('playlist rewriting', () => {
  it('maps every URI of a master playlist: variants, I-frame variants, renditions, session keys', () => {
    const seen: string[] = [];
    const out = rewritePlaylist(MASTER, (uri, role) => {
      seen.push(`${role}:${uri}`);
      return `P${seen.length}.${role === 'playlist' ? 'm3u8' : 'key'}`;
    });
    expect(out.isMaster).toBe(true);
    expect(seen.sort()).toEqual(
      [
        'key:https://plex.example:32400/key?X-Plex-Token=secret',
        'playlist:480/index.m3u8',
        'playlist:audio/en.m3u8',
        'playlist:iframe.m3u8',
        'playlist:session/abc/base/index.m3u8?X-Plex-Token=secret',
        'playlist:subs/en.m3u8',
      ].sort(),
    );
    expect(out.text).not.toContain('secret');
    expect(out.text).not.toContain('plex.example');
    for (const uri of uris(out.text)) expect(uri).toMatch(/^P\d+\.(m3u8|key)$/);
  });

  it('maps segments, keys and init sections of a media playlist, each shared object once', () => {
    const seen: string[] = [];
    const out = rewritePlaylist(MEDIA, (uri, role) => {
      seen.push(`${role}:${uri}`);
      return `S${seen.length}.bin`;
    });
    expect(out).toMatchObject({ isMaster: false, complete: false });
    expect(seen).toEqual([
      'segment:00003.m4s',
      'key:key1.bin',
      'init:init.mp4',
      'segment:00004.m4s',
      'segment:00005.m4s',
      'key:key2.bin',
    ]);
    expect(out.text).toContain('#EXT-X-MEDIA-SEQUENCE:3');
    for (const uri of uris(out.text)) expect(uri).toMatch(/^S\d+\.bin$/);
    expect(rewritePlaylist(`${MEDIA}#EXT-X-ENDLIST\n`, (u) => u).complete).toBe(true);
  });

  it('refuses what is not a playlist', () => {
    expect(() => rewritePlaylist('<html>nope</html>', (u) => u)).toThrow(PlaylistParseError);
  });
});
