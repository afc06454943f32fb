import { useApp } from '../room/store.ts';
import { OfflineIcon } from './icons.tsx';

/** Shown while the room connection is down: reconnecting (with attempts), or given up. */
export function ConnectionBanner() {
  const connection = useApp((s) => s.connection);
  if (connection.status === 'open' || connection.status === 'closed') return null;
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
