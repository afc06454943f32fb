#!/usr/bin/env bash
# Generates the demo library's clips in apps/server/media/demo/ (committed: nothing here runs at
# run time, so a fresh machine needs no ffmpeg).
#
# Each clip is synthetic (lavfi sources only, no third-party footage): a coloured background, a title,
# a big burned-in running timecode (hh:mm:ss.ff) with the frame number, a marker sweeping across the
# bottom once per second, and a tone whose pitch differs per clip with a short beep (one octave up)
# at the start of every second, so picture/sound sync can be checked by eye and ear: the beep sounds
# while the frame counter reads ".00" and the marker is at the left edge.
#
# Per clip <id>/:
#   clip.mp4              640x360 25 fps H.264 Main + AAC-LC mono, faststart, keyframe every 2 s
#   hls/master.m3u8       master playlist of the renditions below
#   hls/360p/index.m3u8   the same stream as clip.mp4, remuxed into 2 s MPEG-TS segments
#   hls/240p/index.m3u8   426x240 H.264 Baseline re-encode, 2 s MPEG-TS segments
#   poster.jpg            300x450 portrait poster
#   thumb.jpg             480x270 frame grab
# and manifest.json describing them all (read by the demo library and the fake Plex server).
#
# The demo series (EPISODES below) is made the same way, with "INTRO" and "CREDITS" burned in while
# its intro and credits markers run (the manifest lists the markers and the show, season and episode);
# to stay small its episodes are short, low-bitrate and have the 360p rendition only.
#
# Usage: tools/make-demo-media.sh [output dir]   (default: apps/server/media/demo)
#        ONLY="id id" tools/make-demo-media.sh  regenerates only those clips; the manifest keeps the others.
# Needs ffmpeg + ffprobe with libx264, libfreetype (drawtext), and node (for the manifest).
# Re-running overwrites the output; with the same ffmpeg/x264 versions the bytes are identical.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/apps/server/media/demo}"
FONT_DIR="${FONT_DIR:-/usr/share/fonts/truetype/dejavu}"
MONO="$FONT_DIR/DejaVuSansMono-Bold.ttf"
SANS="$FONT_DIR/DejaVuSans-Bold.ttf"
FPS=25
SEGMENT_SECONDS=2
GOP=$((FPS * SEGMENT_SECONDS))

for tool in ffmpeg ffprobe node; do
  command -v "$tool" >/dev/null || { echo "make-demo-media: '$tool' not found (apt-get install -y ffmpeg nodejs)" >&2; exit 1; }
done
for font in "$MONO" "$SANS"; do
  [[ -f "$font" ]] || { echo "make-demo-media: font $font missing (apt-get install -y fonts-dejavu-core, or set FONT_DIR)" >&2; exit 1; }
done

# id | title | year | seconds | background | tone Hz | video kbps (360p/240p) | audio kbps | summary
# The long take is two minutes at a low bitrate, so a newcomer can open menus and panels while something
# plays; all committed media stays under 8 MB (tests/docs/demo-media.test.ts checks it).
CLIPS=(
  "sunrise-sync|Sunrise Sync Check|2021|30|0xC2571A|440|260/120|32|An orange countdown with a 440 Hz tone (A4) and a beep every second. Watch the frame counter and listen for the beep to check that everyone in the party is in sync."
  "deep-blue-timecode|Deep Blue Timecode|2022|24|0x1B4F8C|523.25|260/120|32|A blue timecode reel with a 523 Hz tone (C5). Seek around and compare the burned-in frame numbers between viewers."
  "green-room-countdown|Green Room Countdown|2023|20|0x2E7D32|659.25|260/120|32|A short green clip with a 659 Hz tone (E5), handy for testing queueing and skipping between items."
  "harbour-long-take|Harbour Long Take|2024|120|0x5B3A8C|392|40/26|16|Two minutes in purple with a 392 Hz tone (G4): long enough to explore the menus, subtitles and panels while the party plays."
)

# The demo series: id | show | season | episode | title | seconds | background | tone Hz | intro s-s | credits s-s | summary
# Same bitrates as the long take; 360p only (all committed media stays under 8 MB).
SHOW_ID="signal-hill"
SHOW_TITLE="Signal Hill"
SHOW_YEAR=2025
SHOW_SUMMARY="A tiny demo series in two seasons: every episode has an intro, credits and subtitles, so skip intro, up next and resume can be tried without a Plex server."
EPISODES=(
  "signal-hill-s01e01|1|1|First Light|12|0x00695C|587.33|1-4|9-12|Season 1, episode 1: the beacon on Signal Hill blinks for the first time."
  "signal-hill-s01e02|1|2|Static|12|0x00838F|698.46|1-4|9-12|Season 1, episode 2: a crackle on the line, and a second beacon answers."
  "signal-hill-s02e01|2|1|Return Signal|12|0x4E342E|783.99|1-4|9-12|Season 2, episode 1: the beacons are back, one season later."
)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 -map_chapters -1)
X264_COMMON=(-pix_fmt yuv420p -g "$GOP" -keyint_min "$GOP" -sc_threshold 0 -bf 2 -preset slow -threads 2)

# Every clip as one line: id | title | year | seconds | colour | tone | kbps | audio kbps | ladder | intro | credits | season | episode | summary
ALL=()
for spec in "${CLIPS[@]}"; do
  IFS='|' read -r id title year seconds colour tone vkbps akbps summary <<<"$spec"
  ALL+=("$id|$title|$year|$seconds|$colour|$tone|$vkbps|$akbps|360p 240p|||||$summary")
done
for spec in "${EPISODES[@]}"; do
  IFS='|' read -r id season episode title seconds colour tone intro credits summary <<<"$spec"
  ALL+=("$id|$title|$SHOW_YEAR|$seconds|$colour|$tone|40/26|16|360p|$intro|$credits|$season|$episode|$summary")
done
printf '%s\n' "${ALL[@]}" | cut -d'|' -f1 >"$WORK/order.txt"

index=0
for spec in "${ALL[@]}"; do
  index=$((index + 1))
  IFS='|' read -r id title year seconds colour tone vkbps akbps ladder intro credits season episode summary <<<"$spec"
  if [[ -n "${ONLY:-}" && " $ONLY " != *" $id "* ]]; then continue; fi
  v360="${vkbps%/*}"
  v240="${vkbps#*/}"
  dir="$OUT/$id"
  rm -rf "$dir"
  for name in $ladder; do mkdir -p "$dir/hls/$name"; done
  echo "== $id ($seconds s, $tone Hz)"

  # drawtext expansions read from files: no filtergraph escaping of ':' and ','.
  printf '%s' "$title" >"$WORK/title.txt"
  if [[ -n "$season" ]]; then
    printf '%s  ·  S%02dE%02d  ·  %s Hz' "$SHOW_TITLE" "$season" "$episode" "$tone" >"$WORK/sub.txt"
  else
    printf 'clip %d of %d  ·  %s Hz  ·  beep = .00' "$index" "${#CLIPS[@]}" "$tone" >"$WORK/sub.txt"
  fi
  printf '%s' '%{eif:floor(n/90000):d:2}:%{eif:mod(floor(n/1500),60):d:2}:%{eif:mod(floor(n/25),60):d:2}.%{eif:mod(n,25):d:2}' >"$WORK/tc.txt"
  printf '%s' 'frame %{eif:n:d:5}' >"$WORK/frame.txt"
  printf '%s' '█' >"$WORK/marker.txt"

  video="color=c=${colour}:s=640x360:r=${FPS}:d=${seconds}[bg];"
  video+="smptebars=s=160x90:r=${FPS}:d=${seconds}[inset];"
  video+="[bg][inset]overlay=x=W-w-16:y=16[v0];"
  video+="[v0]drawtext=fontfile=${SANS}:textfile=${WORK}/title.txt:fontsize=30:fontcolor=white:x=20:y=24,"
  video+="drawtext=fontfile=${SANS}:textfile=${WORK}/sub.txt:fontsize=16:fontcolor=white@0.85:x=20:y=64,"
  video+="drawbox=x=40:y=118:w=560:h=150:color=black@0.45:t=fill,"
  video+="drawtext=fontfile=${MONO}:textfile=${WORK}/tc.txt:expansion=normal:fontsize=72:fontcolor=white:x=(w-tw)/2:y=128,"
  video+="drawtext=fontfile=${MONO}:textfile=${WORK}/frame.txt:expansion=normal:fontsize=40:fontcolor=yellow:x=(w-tw)/2:y=214,"
  video+="drawtext=fontfile=${MONO}:textfile=${WORK}/marker.txt:fontsize=28:fontcolor=white:x=(w-tw)*mod(n\,${FPS})/$((FPS - 1)):y=h-th-14"
  # Episodes: the marker ranges read on screen, so a skip is visible.
  if [[ -n "$intro" ]]; then
    video+=",drawtext=fontfile=${SANS}:text=INTRO:fontsize=28:fontcolor=yellow:x=20:y=290:enable=between(t\,${intro%-*}\,${intro#*-})"
    video+=",drawtext=fontfile=${SANS}:text=CREDITS:fontsize=28:fontcolor=yellow:x=20:y=290:enable=between(t\,${credits%-*}\,${credits#*-})"
  fi
  video+="[v]"
  # A quiet tone and, during the first 100 ms of every second, a louder beep one octave up.
  audio="aevalsrc=exprs=0.18*sin(2*PI*${tone}*t)*gte(mod(t\,1)\,0.1)+0.5*sin(4*PI*${tone}*t)*lt(mod(t\,1)\,0.1):s=48000:d=${seconds}[a]"

  ffmpeg -hide_banner -loglevel error -y -filter_complex "${video};${audio}" -map '[v]' -map '[a]' \
    -c:v libx264 -profile:v main -level:v 3.0 -crf 30 -maxrate "${v360}k" -bufsize "$((v360 * 2))k" "${X264_COMMON[@]}" \
    -c:a aac -b:a "${akbps}k" -ac 1 "${BITEXACT[@]}" -movflags +faststart "$dir/clip.mp4"

  # 360p: the very same stream, only remuxed (so direct play and the HLS rendition show identical frames).
  ffmpeg -hide_banner -loglevel error -y -i "$dir/clip.mp4" -c copy "${BITEXACT[@]}" \
    -f hls -hls_time "$SEGMENT_SECONDS" -hls_playlist_type vod -hls_segment_type mpegts \
    -hls_segment_filename "$dir/hls/360p/seg-%03d.ts" "$dir/hls/360p/index.m3u8"

  if [[ " $ladder " == *" 240p "* ]]; then
  ffmpeg -hide_banner -loglevel error -y -i "$dir/clip.mp4" -vf scale=426:240:flags=bicubic \
    -c:v libx264 -profile:v baseline -level:v 2.1 -crf 32 -maxrate "${v240}k" -bufsize "$((v240 * 2))k" "${X264_COMMON[@]}" -bf 0 \
    -c:a copy "${BITEXACT[@]}" \
    -f hls -hls_time "$SEGMENT_SECONDS" -hls_playlist_type vod -hls_segment_type mpegts \
    -hls_segment_filename "$dir/hls/240p/seg-%03d.ts" "$dir/hls/240p/index.m3u8"
  fi

  # Poster (portrait) and thumbnail (a frame from the middle of the clip).
  printf '%s' "${title// /$'\n'}" >"$WORK/poster-title.txt"
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "color=c=${colour}:s=300x450:d=1" -frames:v 1 \
    -vf "drawbox=x=0:y=300:w=300:h=150:color=black@0.35:t=fill,drawtext=fontfile=${SANS}:textfile=${WORK}/poster-title.txt:fontsize=34:line_spacing=8:fontcolor=white:x=22:y=40,drawtext=fontfile=${MONO}:text=${year}:fontsize=28:fontcolor=white:x=22:y=320,drawtext=fontfile=${MONO}:text=${seconds} s demo:fontsize=20:fontcolor=white@0.8:x=22:y=366" \
    -q:v 4 "${BITEXACT[@]}" "$dir/poster.jpg"
  ffmpeg -hide_banner -loglevel error -y -ss "$((seconds / 2))" -i "$dir/clip.mp4" -frames:v 1 -vf scale=480:270 \
    -q:v 5 "${BITEXACT[@]}" "$dir/thumb.jpg"

  printf '%s\n' "$id|$title|$year|$summary|$tone|$ladder|$intro|$credits|$season|$episode" >>"$WORK/clips.txt"
done

# Master playlists and manifest.json, from what ffprobe sees in the files just written.
OUT="$OUT" WORK="$WORK" SHOW_ID="$SHOW_ID" SHOW_TITLE="$SHOW_TITLE" SHOW_YEAR="$SHOW_YEAR" SHOW_SUMMARY="$SHOW_SUMMARY" node --input-type=module - <<'EOF'
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const out = process.env.OUT;
const probe = (file) =>
  JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file], { encoding: 'utf8' }));
const codecTag = (s) =>
  s.codec_name === 'h264'
    ? `avc1.${{ Baseline: '42', 'Constrained Baseline': '42', Main: '4d', High: '64' }[s.profile] ?? '4d'}${s.profile.includes('Baseline') ? 'c0' : '40'}${s.level.toString(16).padStart(2, '0')}`
    : 'mp4a.40.2';
const dirSize = (files) => files.reduce((sum, f) => sum + statSync(path.join(out, f)).size, 0);

const lines = readFileSync(path.join(process.env.WORK, 'clips.txt'), 'utf8').trim().split('\n');
const items = lines.map((line) => {
  const [id, title, year, summary, tone, ladder, intro, credits, season, episode] = line.split('|');
  const mp4 = probe(path.join(out, id, 'clip.mp4'));
  const video = mp4.streams.find((s) => s.codec_type === 'video');
  const audio = mp4.streams.find((s) => s.codec_type === 'audio');
  const renditions = ladder.split(' ').map((name) => {
    const playlist = `${id}/hls/${name}/index.m3u8`;
    const text = readFileSync(path.join(out, playlist), 'utf8');
    const segments = text.split('\n').filter((l) => l.endsWith('.ts')).map((l) => `${id}/hls/${name}/${l}`);
    const first = probe(path.join(out, segments[0]));
    const v = first.streams.find((s) => s.codec_type === 'video');
    const durations = [...text.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));
    const seconds = durations.reduce((a, b) => a + b, 0);
    const bytes = dirSize(segments);
    const peak = Math.max(...segments.map((s, i) => (statSync(path.join(out, s)).size * 8) / durations[i]));
    return {
      name,
      width: v.width,
      height: v.height,
      bandwidth: Math.ceil(peak / 1000) * 1000,
      averageBandwidth: Math.ceil((bytes * 8) / seconds / 1000) * 1000,
      codecs: `${codecTag(v)},mp4a.40.2`,
      playlist,
      segments: segments.length,
      bytes,
    };
  });
  const master = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-INDEPENDENT-SEGMENTS'];
  for (const r of renditions) {
    master.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${r.averageBandwidth},RESOLUTION=${r.width}x${r.height},FRAME-RATE=25.000,CODECS="${r.codecs}"`,
      `${r.name}/index.m3u8`,
    );
  }
  writeFileSync(path.join(out, id, 'hls', 'master.m3u8'), `${master.join('\n')}\n`);
  // English subtitles: a cue every 5 s naming the second, so viewers can check sync by reading.
  const seconds = Math.floor(Number(mp4.format.duration));
  const cues = ['WEBVTT', ''];
  for (let s = 0, n = 1; s < seconds; s += 5, n++) {
    const end = Math.min(s + 4, seconds);
    const stamp = (t) => `00:${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}.000`;
    cues.push(String(n), `${stamp(s)} --> ${stamp(end)}`, title, `Second ${s} of ${seconds}: everyone should read this line at once.`, '');
  }
  writeFileSync(path.join(out, id, 'subtitles.en.vtt'), cues.join('\n'));
  const range = (type, text) => {
    const [start, end] = text.split('-').map(Number);
    return { type, startMs: start * 1000, endMs: end * 1000 };
  };
  const series = season
    ? {
        series: {
          id: process.env.SHOW_ID,
          title: process.env.SHOW_TITLE,
          summary: process.env.SHOW_SUMMARY,
          year: Number(process.env.SHOW_YEAR),
          season: Number(season),
          episode: Number(episode),
        },
        markers: [range('intro', intro), range('credits', credits)],
      }
    : {};
  return {
    id,
    title,
    summary,
    ...series,
    year: Number(year),
    durationMs: Math.round(Number(mp4.format.duration) * 1000),
    width: video.width,
    height: video.height,
    frameRate: 25,
    toneHz: Number(tone),
    container: 'mp4',
    videoCodec: 'h264',
    videoProfile: video.profile.toLowerCase(),
    videoLevel: video.level,
    audioCodec: 'aac',
    audioChannels: audio.channels,
    audioSamplingRate: Number(audio.sample_rate),
    bitrate: Math.round(Number(mp4.format.bit_rate) / 1000),
    poster: `${id}/poster.jpg`,
    thumb: `${id}/thumb.jpg`,
    files: {
      mp4: { path: `${id}/clip.mp4`, bytes: statSync(path.join(out, id, 'clip.mp4')).size, mimeType: 'video/mp4', codecs: `${codecTag(video)},mp4a.40.2` },
      hls: { master: `${id}/hls/master.m3u8`, segmentSeconds: 2, segmentFormat: 'mpegts', renditions },
      subtitles: [{ path: `${id}/subtitles.en.vtt`, language: 'en', label: 'English' }],
    },
  };
});
// Clips not made this time (ONLY) keep their entry; every clip in the script's order.
const file = path.join(out, 'manifest.json');
let previous = [];
try {
  previous = JSON.parse(readFileSync(file, 'utf8')).items;
} catch {}
const order = readFileSync(path.join(process.env.WORK, 'order.txt'), 'utf8').trim().split('\n');
const manifest = {
  description: 'Demo library: synthetic clips made by tools/make-demo-media.sh. Paths are relative to this file.',
  license: 'CC0-1.0',
  items: order.flatMap((id) => items.find((i) => i.id === id) ?? previous.filter((i) => i.id === id)),
};
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
EOF

du -sh "$OUT"
