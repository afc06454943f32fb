import { formatTime, type MarkerDto, UP_NEXT_COUNTDOWN_MS } from '@dpp/shared';
import { useEffect, useState } from 'react';
import type { RoomSession } from '../room/session.ts';
import { useApp, useCanControl, useItemId } from '../room/store.ts';
import { libraryApi } from './library-api.ts';
import { useAsync } from './use-async.ts';

/** Nearer the start than this, an item is offered "Resume from" (the server keeps no earlier positions). */
const RESUME_OFFER_BEFORE_MS = 5_000;

/**
 * What a series night needs over the picture: "Skip intro" / "Skip credits" during a marker, the
 * "Resume from" offer on an item left part-way, and the "Up next" countdown everyone sees. Buttons
 * only for those who may control; each is one room command, so everyone lands together.
 */
export function EpisodeOverlays({ session, positionMs }: { session: RoomSession; positionMs: number | null }) {
  return (
    <>
      <SkipMarker session={session} positionMs={positionMs} />
      <ResumeOffer session={session} positionMs={positionMs} />
      <UpNextCard session={session} />
    </>
  );
}

/** The current item's markers, from the library (none while loading or when it has none). */
function useMarkers(itemId: string | null): MarkerDto[] {
  const detail = useAsync(
    (signal) => (itemId === null ? Promise.resolve(null) : libraryApi.item(itemId, signal)),
    [itemId],
  );
  return detail.data?.markers ?? [];
}

function SkipMarker({ session, positionMs }: { session: RoomSession; positionMs: number | null }) {
  const itemId = useItemId();
  const canControl = useCanControl();
  const counting = useApp((s) => Boolean(s.snapshot?.upNext));
  const markers = useMarkers(itemId);
  // While "Up next" counts down, its card (with "Play now") takes the button's place.
  if (!canControl || positionMs === null || counting) return null;
  // Half a second of margin at the end, so the button does not flash after a skip lands.
  const marker = markers.find((m) => positionMs >= m.startMs && positionMs < m.endMs - 500);
  if (!marker) return null;
  const label = marker.type === 'intro' ? 'Skip intro' : 'Skip credits';
  return (
    <button
      type="button"
      className="skip-marker"
      data-testid="skip-marker"
      data-marker={marker.type}
      onClick={() => session.send({ op: 'seek', positionMs: marker.endMs })}
    >
      {label}
    </button>
  );
}

function ResumeOffer({ session, positionMs }: { session: RoomSession; positionMs: number | null }) {
  const entryId = useApp((s) => (s.snapshot?.playback.itemId != null ? (s.snapshot.queue[0]?.entryId ?? null) : null));
  const itemId = useItemId();
  const canControl = useCanControl();
  const [dismissed, setDismissed] = useState<string | null>(null);
  const resume = useAsync(
    (signal) => (itemId === null || !canControl ? Promise.resolve(null) : libraryApi.resume(itemId, signal)),
    [entryId, canControl],
  );
  const saved = resume.data?.resume;
  if (!saved || entryId === null || dismissed === entryId || positionMs === null) return null;
  if (positionMs >= RESUME_OFFER_BEFORE_MS) return null;
  return (
    <fieldset className="resume-offer" aria-label="Resume" data-testid="resume-offer">
      <button
        type="button"
        className="btn primary"
        data-testid="resume-from"
        onClick={() => {
          setDismissed(entryId);
          session.send({ op: 'seek', positionMs: saved.positionMs });
        }}
      >
        Resume from {formatTime(saved.positionMs)}
      </button>
      <button type="button" className="btn" data-testid="start-over" onClick={() => setDismissed(entryId)}>
        Start over
      </button>
    </fieldset>
  );
}

/** Seconds left on the countdown, by the server's clock, ticking while it runs. */
function useSecondsUntil(session: RoomSession, at: number | undefined): number {
  const [now, setNow] = useState(() => session.serverNow());
  useEffect(() => {
    if (at === undefined) return;
    setNow(session.serverNow());
    const timer = window.setInterval(() => setNow(session.serverNow()), 250);
    return () => window.clearInterval(timer);
  }, [session, at]);
  return at === undefined ? 0 : Math.max(0, Math.ceil((at - now) / 1000));
}

function UpNextCard({ session }: { session: RoomSession }) {
  const upNext = useApp((s) => s.snapshot?.upNext ?? null);
  const canControl = useCanControl();
  const seconds = useSecondsUntil(session, upNext?.startsAt);
  if (!upNext) return null;
  const elapsed = Math.min(1, Math.max(0, 1 - (seconds * 1000) / UP_NEXT_COUNTDOWN_MS));
  return (
    <section className="up-next" aria-label="Up next" aria-live="polite" data-testid="up-next">
      {upNext.thumb?.startsWith('/') && <img className="up-next-thumb" src={upNext.thumb} alt="" />}
      <div className="up-next-body">
        <p className="up-next-label">
          Up next in <span data-testid="up-next-seconds">{seconds}</span> s
        </p>
        <p className="up-next-title">{upNext.title}</p>
        <div className="up-next-bar" aria-hidden="true">
          <span style={{ width: `${Math.round(elapsed * 100)}%` }} />
        </div>
        {canControl && (
          <div className="up-next-actions">
            <button
              type="button"
              className="btn primary"
              data-testid="up-next-play"
              onClick={() => session.send({ op: 'upnext.play' })}
            >
              Play now
            </button>
            <button
              type="button"
              className="btn"
              data-testid="up-next-cancel"
              onClick={() => session.send({ op: 'upnext.cancel' })}
            >
              Cancel
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
