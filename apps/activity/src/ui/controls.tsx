import type { RefObject } from 'react';
import { formatTime } from '../lib/format.ts';
import type { RoomSession } from '../room/session.ts';
import { QUALITIES, selectCanControl, setPrefs, useApp } from '../room/store.ts';
import { toggleFullscreen, togglePlay, unmute } from './actions.ts';
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
import { Menu, MenuItem, MenuLabel } from './menu.tsx';
import { SeekBar } from './seek-bar.tsx';

/**
 * Our own controls. Play/pause, seek and next are room commands (everyone follows); volume, mute,
 * subtitles and quality are this viewer's alone.
 */
export function Controls({
  session,
  stageRef,
  positionMs,
}: {
  session: RoomSession;
  stageRef: RefObject<HTMLElement | null>;
  positionMs: number | null;
}) {
  const playback = useApp((s) => s.snapshot?.playback);
  const entry = useApp((s) => (s.snapshot?.playback.itemId != null ? s.snapshot.queue[0] : undefined));
  const hasNext = useApp((s) => (s.snapshot?.queue.length ?? 0) > (s.snapshot?.playback.itemId != null ? 1 : 0));
  const canControl = useApp(selectCanControl);
  const prefs = useApp((s) => s.prefs);
  const autoplayMuted = useApp((s) => s.autoplayMuted);
  const tracks = useApp((s) => s.subtitleTracks);
  const hasItem = playback?.itemId != null;
  const playing = playback?.status === 'playing' || playback?.status === 'waiting';
  const muted = prefs.muted || autoplayMuted || prefs.volume === 0;
  const disabledReason = canControl ? undefined : 'Only hosts can control playback in this room';

  return (
    <div className="controls" data-testid="controls">
      <SeekBar session={session} positionMs={positionMs} />
      <div className="controls-row">
        <button
          type="button"
          className="icon-btn big"
          aria-label={playing ? 'Pause for everyone' : 'Play for everyone'}
          title={disabledReason ?? (playing ? 'Pause (space)' : 'Play (space)')}
          disabled={!hasItem || !canControl}
          data-testid="play-pause"
          data-state={playing ? 'playing' : 'paused'}
          onClick={() => togglePlay(session)}
        >
          {playing ? <PauseIcon size={24} /> : <PlayIcon size={24} />}
        </button>
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
          <button
            type="button"
            className="icon-btn"
            aria-label={muted ? 'Unmute' : 'Mute'}
            title={muted ? 'Unmute (m)' : 'Mute (m)'}
            data-testid="mute"
            onClick={() => (muted ? unmute() : setPrefs({ muted: true }))}
          >
            {muted ? <MuteIcon /> : <VolumeIcon />}
          </button>
          <input
            type="range"
            className="volume-slider"
            min={0}
            max={1}
            step={0.05}
            aria-label="Volume (only for you)"
            value={muted ? 0 : prefs.volume}
            onChange={(e) => {
              const volume = Number(e.target.value);
              useApp.setState({ autoplayMuted: false });
              setPrefs({ volume, muted: volume === 0 });
            }}
          />
        </div>
        <span className="time" data-testid="time">
          {formatTime(positionMs)} <span className="time-sep">/</span> {formatTime(entry?.durationMs)}
        </span>
        <span className="grow" />
        {!hasNext && hasItem && <span className="hint">Last in queue</span>}
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
            </>
          )}
        </Menu>
        <Menu label="Quality (only for you)" icon={<GearIcon />} testId="quality-menu">
          {(close) => (
            <>
              <MenuLabel>Quality</MenuLabel>
              {QUALITIES.map((q) => (
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
