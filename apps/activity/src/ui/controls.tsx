import { formatTime } from '@dpp/shared';
import { type RefObject, useEffect, useRef } from 'react';
import { CAPTION_BACKGROUNDS, CAPTION_SIZES, qualityChoices } from '../room/app-state.ts';
import type { RoomSession } from '../room/session.ts';
import {
  setPrefs,
  setVolume,
  unmute,
  useApp,
  useCanControl,
  useCurrentEntry,
  useItemId,
  usePlayback,
} from '../room/store.ts';
import { toggleFullscreen, togglePlay } from './actions.ts';
import {
  FullscreenIcon,
  GearIcon,
  MuteIcon,
  NextIcon,
  PauseIcon,
  PlayIcon,
  SubtitlesIcon,
  VolumeIcon,
} from './icons.tsx';
import { libraryApi } from './library-api.ts';
import { Menu, MenuItem, MenuLabel } from './menu.tsx';
import { ReactionMenu } from './reactions.tsx';
import { SeekBar } from './seek-bar.tsx';
import { SheetOpener } from './sheet-opener.tsx';
import { SpeedMenu } from './speed-menu.tsx';
import { SyncBadge } from './sync-badge.tsx';
import { useAsync } from './use-async.ts';

/**
 * Our own controls. Play/pause, seek and next are room commands (everyone follows); volume, mute,
 * subtitles and quality are this viewer's alone. `compact`: the picture-in-picture overlay (play/pause,
 * mute, a thin progress line, the sync dot, and a button for the sheet with everything else).
 */
export function Controls({
  session,
  stageRef,
  positionMs,
  compact = false,
}: {
  session: RoomSession;
  stageRef: RefObject<HTMLElement | null>;
  positionMs: number | null;
  compact?: boolean;
}) {
  const playback = usePlayback();
  const entry = useCurrentEntry();
  const hasNext = useApp((s) => (s.snapshot?.queue.length ?? 0) > (s.snapshot?.playback.itemId != null ? 1 : 0));
  const canControl = useCanControl();
  const prefs = useApp((s) => s.prefs);
  const autoplayMuted = useApp((s) => s.autoplayMuted);
  const hasItem = playback?.itemId != null;
  const playing = playback?.status === 'playing' || playback?.status === 'waiting';
  const muted = prefs.muted || autoplayMuted || prefs.volume === 0;
  const disabledReason = canControl ? undefined : 'Only hosts can control playback in this room';
  const ref = useRef<HTMLDivElement>(null);

  // The captions sit just above the bar: the stage learns its height.
  useEffect(() => {
    const bar = ref.current;
    const stage = stageRef.current;
    if (!bar || !stage) return;
    const observer = new ResizeObserver(() => stage.style.setProperty('--controls-h', `${bar.offsetHeight}px`));
    observer.observe(bar);
    return () => observer.disconnect();
  }, [stageRef]);

  const playPause = (
    <button
      type="button"
      className={`icon-btn${compact ? '' : ' big'}`}
      aria-label={playing ? 'Pause for everyone' : 'Play for everyone'}
      title={disabledReason ?? (playing ? 'Pause (space)' : 'Play (space)')}
      disabled={!hasItem || !canControl}
      data-testid="play-pause"
      data-state={playing ? 'playing' : 'paused'}
      onClick={() => togglePlay(session)}
    >
      {playing ? <PauseIcon size={compact ? 20 : 24} /> : <PlayIcon size={compact ? 20 : 24} />}
    </button>
  );
  const muteButton = (
    <button
      type="button"
      className="icon-btn"
      aria-label={muted ? 'Unmute' : 'Mute'}
      aria-pressed={muted}
      title={muted ? 'Unmute (m)' : 'Mute (m)'}
      data-testid="mute"
      onClick={() => (muted ? unmute() : setPrefs({ muted: true }))}
    >
      {muted ? <MuteIcon /> : <VolumeIcon />}
    </button>
  );

  if (compact) {
    return (
      <div className="controls compact" data-testid="controls" ref={ref}>
        <SeekBar session={session} positionMs={positionMs} />
        <div className="controls-row">
          {playPause}
          {muteButton}
          <span className="time" data-testid="time">
            {formatTime(positionMs)}
          </span>
          <span className="grow" />
          <ReactionMenu session={session} />
          <SyncBadge dotOnly />
          <SheetOpener />
        </div>
      </div>
    );
  }

  return (
    <div className="controls" data-testid="controls" ref={ref}>
      <SeekBar session={session} positionMs={positionMs} />
      <div className="controls-row">
        {playPause}
        <button
          type="button"
          className="icon-btn"
          aria-label="Next in queue"
          title={disabledReason ?? 'Next'}
          disabled={!hasItem || !canControl}
          data-testid="next"
          onClick={() => session.send({ op: 'next' })}
        >
          <NextIcon />
        </button>
        <div className="volume">
          {muteButton}
          <input
            type="range"
            className="volume-slider"
            min={0}
            max={1}
            step={0.05}
            aria-label="Volume (only for you)"
            data-testid="volume"
            value={muted ? 0 : prefs.volume}
            onChange={(e) => {
              setVolume(Number(e.target.value));
            }}
          />
        </div>
        <span className="time" data-testid="time">
          {formatTime(positionMs)} <span className="time-sep">/</span> {formatTime(entry?.durationMs)}
        </span>
        <span className="grow" />
        {!hasNext && hasItem && <span className="hint">Last in queue</span>}
        <ReactionMenu session={session} />
        <SpeedMenu session={session} />
        <PlayerMenus />
        <button
          type="button"
          className="icon-btn"
          aria-label="Full screen"
          title="Full screen (f)"
          onClick={() => stageRef.current && toggleFullscreen(stageRef.current)}
        >
          <FullscreenIcon />
        </button>
      </div>
    </div>
  );
}

/** This viewer's own player settings: subtitles (with their size and background) and quality. */
export function PlayerMenus() {
  const prefs = useApp((s) => s.prefs);
  const tracks = useApp((s) => s.subtitleTracks);
  const itemId = useItemId();
  const source = useAsync(
    (signal) => (itemId === null ? Promise.resolve(null) : libraryApi.item(itemId, signal)),
    [itemId],
  );
  const sourceHeight = source.status === 'ok' ? (source.data?.media?.height ?? null) : null;
  return (
    <>
      <Menu label="Subtitles (only for you)" icon={<SubtitlesIcon />} testId="subtitles-menu">
        {(close) => (
          <>
            <MenuLabel>Subtitles</MenuLabel>
            <MenuItem
              checked={prefs.subtitles === null}
              onSelect={() => {
                setPrefs({ subtitles: null });
                close();
              }}
            >
              Off
            </MenuItem>
            {tracks.length === 0 && <div className="menu-empty">None in this stream</div>}
            {tracks.map((track) => (
              <MenuItem
                key={track.id}
                checked={prefs.subtitles === track.label}
                onSelect={() => {
                  setPrefs({ subtitles: track.label });
                  close();
                }}
              >
                {track.label}
              </MenuItem>
            ))}
            <MenuLabel>Size</MenuLabel>
            {CAPTION_SIZES.map((size) => (
              <MenuItem
                key={size.value}
                checked={prefs.captionSize === size.value}
                onSelect={() => setPrefs({ captionSize: size.value })}
              >
                {size.label}
              </MenuItem>
            ))}
            <MenuLabel>Background</MenuLabel>
            {CAPTION_BACKGROUNDS.map((background) => (
              <MenuItem
                key={background.value}
                checked={prefs.captionBackground === background.value}
                onSelect={() => setPrefs({ captionBackground: background.value })}
              >
                {background.label}
              </MenuItem>
            ))}
          </>
        )}
      </Menu>
      <Menu label="Quality (only for you)" icon={<GearIcon />} testId="quality-menu">
        {(close) => (
          <>
            <MenuLabel>Quality</MenuLabel>
            {qualityChoices(sourceHeight).map((q) => (
              <MenuItem
                key={q.value}
                checked={prefs.quality === q.value}
                onSelect={() => {
                  setPrefs({ quality: q.value });
                  close();
                }}
              >
                {q.label}
                {q.value === 'auto' && <span className="menu-note">original when it plays here</span>}
              </MenuItem>
            ))}
          </>
        )}
      </Menu>
    </>
  );
}
