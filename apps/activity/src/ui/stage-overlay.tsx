import { resumeAfterGesture } from '../player/bridge.ts';
import { openSheet, unmute, useApp, useCanControl, useCurrentEntry, useMembers, usePlayback } from '../room/store.ts';
import { LibraryIcon, MuteIcon, PlayIcon } from './icons.tsx';

/**
 * What sits over the video: the empty stage, loading and waiting states, the autoplay prompts
 * ("tap to unmute", "tap to start") and playback errors.
 */
export function StageOverlay({ onRetry }: { onRetry: () => void }) {
  const playback = usePlayback();
  const entry = useCurrentEntry();
  const members = useMembers();
  const youId = useApp((s) => s.you?.userId);
  const phase = useApp((s) => s.sync.phase);
  const autoplayMuted = useApp((s) => s.autoplayMuted);
  const needsGesture = useApp((s) => s.needsGesture);
  const canControl = useCanControl();

  if (!playback || playback.itemId === null) {
    return (
      <div className="stage-overlay empty" data-testid="empty-stage">
        <div className="empty-art" aria-hidden="true">
          <LibraryIcon size={40} />
        </div>
        <h2>Nothing is playing</h2>
        <p>
          {canControl
            ? 'Pick a movie or an episode and everyone here watches it together.'
            : 'Waiting for a host to pick something.'}
        </p>
        {canControl && (
          <button type="button" className="btn primary" onClick={() => openSheet('library')}>
            Browse the library
          </button>
        )}
      </div>
    );
  }

  if (needsGesture) {
    return (
      <div className="stage-overlay gesture">
        <button type="button" className="join-btn" data-testid="tap-to-start" onClick={() => resumeAfterGesture()}>
          <PlayIcon size={36} />
          <span>Tap to join playback</span>
        </button>
      </div>
    );
  }

  const waitingFor = members.filter((m) => m.state === 'buffering' && m.userId !== youId).map((m) => m.name);
  let status: string | null = null;
  if (phase === 'error') status = null;
  else if (phase === 'loading') status = `Loading ${entry?.title ?? ''}…`;
  else if (playback.status === 'waiting')
    status = waitingFor.length > 0 ? `Waiting for ${waitingFor.slice(0, 3).join(', ')}…` : 'Getting everyone ready…';
  else if (phase === 'buffering') status = 'Buffering…';

  return (
    <>
      {phase === 'error' && (
        <div className="stage-overlay error" role="alert">
          <h2>This item cannot play here</h2>
          <p>The stream failed to load. The server or Plex may be down.</p>
          <button type="button" className="btn primary" onClick={onRetry}>
            Try again
          </button>
        </div>
      )}
      {status && (
        <div className="stage-overlay status" data-testid="stage-status">
          <div className="spinner" aria-hidden="true" />
          <p>{status}</p>
        </div>
      )}
      {playback.status === 'paused' && phase !== 'loading' && phase !== 'error' && (
        <div className="paused-chip" aria-hidden="true">
          <PlayIcon size={14} /> Paused
        </div>
      )}
      {autoplayMuted && (
        <button type="button" className="unmute-btn" data-testid="tap-to-unmute" onClick={() => unmute()}>
          <MuteIcon size={18} /> Muted · tap to unmute
        </button>
      )}
    </>
  );
}
