import { useApp } from '../room/store.ts';
import { OfflineIcon } from './icons.tsx';

export const RESTORED_TEXT = 'The party was restored after a server restart — press play to go on';
export const ENDED_TEXT = 'The party was ended';

/**
 * Shown while the room connection is down: reconnecting (with attempts), or given up; after the
 * room was ended (not an error: the party is over); and, once
 * connected, while the room holds paused after the server restored it.
 */
export function ConnectionBanner() {
  const connection = useApp((s) => s.connection);
  const restored = useApp((s) => s.snapshot?.playback.restored === true);
  if (connection.status === 'open' && restored) {
    return (
      <div className="banner info" role="status" aria-live="polite" data-testid="restored-banner">
        <span>{RESTORED_TEXT}</span>
      </div>
    );
  }
  if (connection.status === 'open' || connection.status === 'closed') return null;
  if (connection.status === 'ended') {
    return (
      <div className="banner info" role="status" aria-live="polite" data-testid="ended-banner">
        <span>{ENDED_TEXT}.</span>
        <button type="button" className="btn small" onClick={() => window.location.reload()}>
          Start again
        </button>
      </div>
    );
  }
  if (connection.status === 'connecting' && !connection.everOpen) return null;
  if (connection.status === 'failed') {
    return (
      <div className="banner error" role="alert" data-testid="failed-banner">
        <OfflineIcon size={18} />
        <span>Disconnected from the room{connection.reason ? `: ${connection.reason}` : '.'}</span>
        <button type="button" className="btn small" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
  return (
    <div className="banner warn" role="status" aria-live="polite" data-testid="reconnecting-banner">
      <span className="spinner small" aria-hidden="true" />
      <span>
        Connection lost. Reconnecting{connection.attempt > 1 ? ` (attempt ${connection.attempt})` : ''}… Playback
        continues and catches up when you are back.
      </span>
    </div>
  );
}
