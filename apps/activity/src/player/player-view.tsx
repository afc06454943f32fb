import 'video.js/dist/video-js.css';
import type { Playback } from '@dpp/shared';
import { SyncController } from '@dpp/shared';
import { useEffect, useRef } from 'react';
import videojs from 'video.js';
import { ApiError, describeError } from '../lib/api.ts';
import { browserClock } from '../lib/browser-clock.ts';
import { refreshProxyTicket } from '../platform/proxy-ticket.ts';
import { type AppState, type Quality, type SubtitleTrack, selectMe } from '../room/app-state.ts';
import type { RoomSession } from '../room/session.ts';
import {
  gestureGiven,
  needGesture,
  notify,
  playerClosed,
  readApp,
  setCaptionLines,
  setSubtitleTracks,
  setSyncStatus,
  startedMuted,
  watchApp,
} from '../room/store.ts';
import { setGestureHandler } from './bridge.ts';
import { fetchStream } from './stream.ts';
import { VideoJsMedia } from './video-media.ts';

type Player = ReturnType<typeof videojs>;

interface TrackLike {
  id: string;
  kind: string;
  label: string;
  language: string;
  mode: string;
}
interface TrackListLike {
  length: number;
  [index: number]: TrackLike | undefined;
  addEventListener(type: string, listener: () => void): void;
}

function textTracksOf(player: Player): TrackLike[] {
  const list = player.textTracks() as unknown as TrackListLike;
  const tracks: TrackLike[] = [];
  for (let i = 0; i < list.length; i += 1) {
    const track = list[i];
    if (track && (track.kind === 'subtitles' || track.kind === 'captions')) tracks.push(track);
  }
  return tracks;
}

const trackKey = (t: { label: string; language: string }) => t.label || t.language;

interface CueLike {
  text: string;
}

/** The lines of the cues active now, without WebVTT markup (<i>, <c.x>, <v Ana>). */
function captionLinesOf(track: TrackLike | undefined): string[] {
  const cues = (track as unknown as { activeCues?: ArrayLike<CueLike> | null } | undefined)?.activeCues;
  if (!cues) return [];
  const lines: string[] = [];
  for (let i = 0; i < cues.length; i += 1) {
    for (const line of (cues[i]?.text ?? '').replace(/<[^>]*>/g, '').split('\n')) if (line.trim()) lines.push(line);
  }
  return lines;
}

/**
 * Tracks the chosen subtitle track (matched by label, then language) and turns the others off. The
 * track runs "hidden": video.js keeps its active cues up to date and the app draws them (above its
 * own controls, at a size that follows the picture).
 */
function applySubtitles(player: Player, choice: string | null): void {
  const tracks = textTracksOf(player);
  const chosen = choice === null ? undefined : (tracks.find((t) => trackKey(t) === choice) ?? undefined);
  for (const track of tracks) track.mode = track === chosen ? 'hidden' : 'disabled';
  publishCaptions(chosen);
}

function publishCaptions(track: TrackLike | undefined): void {
  setCaptionLines(captionLinesOf(track));
}

/** The track whose cues are drawn now (the one left "hidden" by applySubtitles). */
const activeTrackOf = (player: Player) => textTracksOf(player).find((t) => t.mode === 'hidden');

function publishTracks(player: Player): void {
  const tracks: SubtitleTrack[] = textTracksOf(player).map((t, i) => ({
    id: t.id || String(i),
    label: trackKey(t) || `Track ${i + 1}`,
    language: t.language,
  }));
  setSubtitleTracks(tracks);
}

const durationOf = (state: AppState): number | undefined => {
  const snapshot = state.snapshot;
  if (!snapshot || snapshot.playback.itemId === null) return undefined;
  const entry = snapshot.queue[0];
  return entry?.itemId === snapshot.playback.itemId ? (entry.durationMs ?? undefined) : undefined;
};

/**
 * The video (video.js with its HLS engine, in its own lazily loaded chunk), kept in step with the
 * room by a SyncController. The source follows the room's item and the viewer's quality; volume,
 * mute and subtitles are local. Our own controls live outside this chunk.
 */
export default function PlayerView({ session }: { session: RoomSession }) {
  const hostRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    // video.js wraps and, on dispose, removes the element it is given: give it one of its own inside
    // React's host, so React's DOM is never touched.
    const video = document.createElement('video');
    video.className = 'video-js';
    video.playsInline = true;
    video.setAttribute('playsinline', '');
    video.setAttribute('webkit-playsinline', '');
    video.preload = 'auto';
    video.dataset.testid = 'room-video';
    host.appendChild(video);

    const player = videojs(video, {
      controls: false,
      autoplay: false,
      preload: 'auto',
      fill: true,
      playsinline: true,
      bigPlayButton: false,
      loadingSpinner: false,
      errorDisplay: false,
      textTrackSettings: false,
      controlBar: false,
      html5: {
        vhs: { overrideNative: true, limitRenditionByPlayerDimensions: true, useDevicePixelRatio: true },
        nativeAudioTracks: false,
        nativeVideoTracks: false,
        nativeTextTracks: false,
      },
    });
    const element = (player.tech(true).el() as HTMLVideoElement | null) ?? video;

    const media = new VideoJsMedia(player, element, {
      startedMuted,
      blocked: needGesture,
    });
    const controller = new SyncController({
      media,
      serverClock: session.connection,
      clock: browserClock,
      report: (report) => session.connection.report(report),
      onStatus: (sync) => {
        setSyncStatus(sync);
        const inStep = sync.phase === 'synced' || sync.phase === 'nudging';
        session.connection.noteDrift(inStep ? sync.driftMs : null);
      },
    });
    setGestureHandler(() => {
      // A tap allows sound: play with the viewer's own mute setting, not the muted start's.
      element.muted = readApp().prefs.muted;
      gestureGiven();
      // Inside the gesture: unlocks the element on browsers that need it; the controller pauses it
      // again at once if the room is not playing.
      element.play().catch(() => undefined);
      controller.gesture();
    });

    // The mute button must tell the truth: if the element is muted behind the viewer's back (a muted
    // autoplay, the browser), the app says so and offers the one tap that unmutes.
    player.on('volumechange', () => {
      const { prefs, autoplayMuted } = readApp();
      if (element.muted && !prefs.muted && !autoplayMuted) startedMuted();
    });
    // Caption cues change with time: redraw on every change of the chosen track.
    const onCueChange = () => publishCaptions(activeTrackOf(player));
    player.on('timeupdate', onCueChange);
    player.on('seeked', onCueChange);

    player.on('seeked', () => controller.onSeeked());
    player.on('waiting', () => controller.onWaiting());
    player.on('playing', () => controller.onPlaying());
    player.on('canplay', () => controller.onCanPlay());
    player.on('loadedmetadata', () => {
      publishTracks(player);
      applySubtitles(player, readApp().prefs.subtitles);
    });
    (player.textTracks() as unknown as TrackListLike).addEventListener('addtrack', () => {
      publishTracks(player);
      applySubtitles(player, readApp().prefs.subtitles);
    });

    // ---- the source follows the room's item and the local quality --------------------------
    let loadToken = 0;
    const sidecars: NonNullable<ReturnType<Player['addRemoteTextTrack']>>[] = [];
    let loading: AbortController | null = null;
    let errorRetries = 0;
    let loadedKey: string | null = null;
    let retryTimer: number | undefined;

    const load = (itemId: string | null, quality: Quality, attempt = 0) => {
      loadToken += 1;
      const token = loadToken;
      loading?.abort();
      loading = null;
      window.clearTimeout(retryTimer);
      const roomId = readApp().roomId;
      if (itemId === null || roomId === null) {
        loadedKey = null;
        controller.setSource(null);
        player.pause();
        for (const track of sidecars.splice(0)) player.removeRemoteTextTrack(track);
        publishTracks(player);
        return;
      }
      // The same item again (another quality, a retry): this viewer's own reload, the room goes on.
      const local = loadedKey?.startsWith(`${itemId}|`) === true;
      controller.setSource({ itemId, phase: 'loading', local });
      const abort = new AbortController();
      loading = abort;
      fetchStream(roomId, quality, abort.signal).then(
        (stream) => {
          if (token !== loadToken) return;
          loadedKey = `${itemId}|${quality}`;
          player.src({ src: stream.url, type: stream.mimeType });
          // Sidecar subtitles stay until the next stream replaces them. (video.js's own clean-up
          // runs at the source change it applies later, which would take tracks added here away.)
          for (const track of sidecars.splice(0)) player.removeRemoteTextTrack(track);
          for (const sub of stream.subtitles ?? []) {
            const element = player.addRemoteTextTrack(
              { kind: 'subtitles', src: sub.url, srclang: sub.language, label: sub.label },
              true,
            );
            if (element) sidecars.push(element);
          }
          publishTracks(player);
          player.one('loadedmetadata', () => {
            if (token !== loadToken) return;
            const { prefs, autoplayMuted } = readApp();
            player.playbackRate(readApp().snapshot?.playback.rate ?? 1);
            element.muted = prefs.muted || autoplayMuted;
            controller.setSource({ itemId, phase: 'loaded' });
          });
        },
        (error: unknown) => {
          if (token !== loadToken || (error instanceof DOMException && error.name === 'AbortError')) return;
          const gone = error instanceof ApiError && (error.status === 404 || error.status === 409);
          if (attempt < 4) {
            retryTimer = window.setTimeout(() => load(itemId, quality, attempt + 1), 750 * 2 ** attempt);
            if (!gone && attempt === 1) notify(`The stream is not answering: ${describeError(error)}`, 'error');
            return;
          }
          controller.setSource({ itemId, phase: 'error' });
          notify(`Cannot play this item: ${describeError(error)}`, 'error');
        },
      );
    };

    player.on('error', () => {
      const state = readApp();
      const itemId = state.snapshot?.playback.itemId ?? null;
      if (itemId === null) return;
      const mediaError = player.error();
      console.warn('Player error', mediaError);
      if (errorRetries < 2) {
        errorRetries += 1;
        // A stream id may have expired, or the transcoder restarted: ask for a fresh one. Inside
        // Discord the proxy ticket may have expired under the media request: refresh it first.
        player.error(null);
        const token = loadToken;
        void refreshProxyTicket().then(() => {
          if (token === loadToken) load(itemId, readApp().prefs.quality);
        });
        return;
      }
      controller.setSource({ itemId, phase: 'error' });
      notify(`This item cannot play here${mediaError?.message ? `: ${mediaError.message}` : ''}`, 'error');
    });
    player.on('playing', () => {
      errorRetries = 0;
    });

    const applyAudio = (state: AppState) => {
      element.volume = state.prefs.volume;
      element.muted = state.prefs.muted || state.autoplayMuted;
    };

    const onPlayback = (playback: Playback | undefined, state: AppState) => {
      controller.setPlayback(playback ?? null, durationOf(state));
    };

    const sync = (state: AppState, previous: AppState | undefined) => {
      const playback = state.snapshot?.playback;
      if (playback !== previous?.snapshot?.playback) onPlayback(playback, state);
      const itemId = playback?.itemId ?? null;
      const key = itemId === null ? null : `${itemId}|${state.prefs.quality}`;
      const prevItem = previous?.snapshot?.playback.itemId ?? null;
      const reload = previous !== undefined && state.streamReload !== previous.streamReload;
      if (reload || itemId !== prevItem || state.prefs.quality !== previous?.prefs.quality) {
        if (reload || key !== loadedKey || itemId === null) {
          errorRetries = 0;
          load(itemId, state.prefs.quality);
        }
      }
      const me = selectMe(state);
      if (me?.state !== (previous ? selectMe(previous)?.state : undefined)) controller.setServerView(me?.state);
      if (
        state.prefs.volume !== previous?.prefs.volume ||
        state.prefs.muted !== previous?.prefs.muted ||
        state.autoplayMuted !== previous?.autoplayMuted
      ) {
        applyAudio(state);
      }
      if (state.prefs.subtitles !== previous?.prefs.subtitles) applySubtitles(player, state.prefs.subtitles);
    };

    const onVisibility = () => controller.setHidden(document.visibilityState === 'hidden');
    document.addEventListener('visibilitychange', onVisibility);

    controller.start();
    sync(readApp(), undefined);
    onVisibility();
    const unsubscribe = watchApp((state, previous) => sync(state, previous));

    return () => {
      unsubscribe();
      document.removeEventListener('visibilitychange', onVisibility);
      loading?.abort();
      window.clearTimeout(retryTimer);
      controller.stop();
      setGestureHandler(null);
      player.dispose();
      playerClosed();
    };
  }, [session]);

  return <div ref={hostRef} className="player-host" />;
}
