import { formatTime } from '@dpp/shared';
import { type KeyboardEvent, type PointerEvent, useRef, useState } from 'react';
import type { RoomSession } from '../room/session.ts';
import { useApp, useCanControl, useCurrentEntry, usePlayback } from '../room/store.ts';
import { Avatar } from './avatar.tsx';
import { ReactionMarks } from './reactions.tsx';

/**
 * The room's timeline: where the group is, a preview while dragging (the seek is sent on release),
 * and markers where members who are buffering hold the room. The protocol tells where the room
 * holds for them (the playback position while waiting), not each member's own position.
 */
export function SeekBar({ session, positionMs }: { session: RoomSession; positionMs: number | null }) {
  const trackRef = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<number | null>(null);
  const [hover, setHover] = useState<number | null>(null);
  const entry = useCurrentEntry();
  const playback = usePlayback();
  const members = useApp((s) => s.snapshot?.members);
  const youId = useApp((s) => s.you?.userId);
  const canControl = useCanControl();
  const duration = entry?.durationMs ?? null;
  const enabled = canControl && duration !== null && duration > 0;

  const fraction = (ms: number | null) => (ms === null || !duration ? 0 : Math.min(1, Math.max(0, ms / duration)));
  const fromPointer = (clientX: number) => {
    const rect = trackRef.current?.getBoundingClientRect();
    if (!rect || !duration) return 0;
    return Math.round(Math.min(1, Math.max(0, (clientX - rect.left) / rect.width)) * duration);
  };

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if (!enabled) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    setDrag(fromPointer(event.clientX));
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    const at = fromPointer(event.clientX);
    setHover(at);
    if (drag !== null) setDrag(at);
  };
  const onPointerUp = (event: PointerEvent<HTMLDivElement>) => {
    if (drag === null) return;
    const at = fromPointer(event.clientX);
    setDrag(null);
    session.send({ op: 'seek', positionMs: at });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!enabled || duration === null) return;
    const step = event.shiftKey ? 30_000 : 5_000;
    const now = positionMs ?? 0;
    let target: number | null = null;
    if (event.key === 'ArrowRight' || event.key === 'ArrowUp') target = now + step;
    if (event.key === 'ArrowLeft' || event.key === 'ArrowDown') target = now - step;
    if (event.key === 'Home') target = 0;
    if (event.key === 'End') target = Math.max(0, duration - 1000);
    if (event.key === 'PageUp') target = now + step * 6;
    if (event.key === 'PageDown') target = now - step * 6;
    if (target === null) return;
    event.preventDefault();
    session.send({ op: 'seek', positionMs: Math.round(Math.min(duration, Math.max(0, target))) });
  };

  const shown = drag ?? positionMs;
  const waitingFor =
    playback?.status === 'waiting' ? (members ?? []).filter((m) => m.state === 'buffering' && m.userId !== youId) : [];
  const mineBuffering =
    playback?.status === 'waiting' && members?.some((m) => m.userId === youId && m.state === 'buffering');

  return (
    <div className={`seek${enabled ? '' : ' disabled'}${drag !== null ? ' dragging' : ''}`}>
      <div
        ref={trackRef}
        className="seek-track"
        role="slider"
        tabIndex={enabled ? 0 : -1}
        aria-label="Seek"
        aria-valuemin={0}
        aria-valuemax={duration ?? 0}
        aria-valuenow={Math.round(shown ?? 0)}
        aria-valuetext={`${formatTime(shown)} of ${formatTime(duration)}`}
        aria-disabled={!enabled}
        data-testid="seek-bar"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerLeave={() => setHover(null)}
        onKeyDown={onKeyDown}
      >
        <div className="seek-rail" />
        <div className="seek-fill" style={{ width: `${fraction(shown) * 100}%` }} />
        <ReactionMarks duration={duration} />
        <div className="seek-thumb" style={{ left: `${fraction(shown) * 100}%` }} />
        {(waitingFor.length > 0 || mineBuffering) && playback && (
          <div
            className="seek-marker"
            style={{ left: `${fraction(playback.positionMs) * 100}%` }}
            data-testid="buffering-marker"
            title={`Waiting here for ${[...waitingFor.map((m) => m.name), ...(mineBuffering ? ['you'] : [])].join(', ')}`}
          >
            {waitingFor.slice(0, 3).map((m) => (
              <Avatar key={m.userId} id={m.userId} name={m.name} url={m.avatar} size={18} ring="buffering" />
            ))}
          </div>
        )}
        {hover !== null && enabled && (
          <div className="seek-hover" style={{ left: `${fraction(drag ?? hover) * 100}%` }}>
            {formatTime(drag ?? hover)}
          </div>
        )}
      </div>
    </div>
  );
}
