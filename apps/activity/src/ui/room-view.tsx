import { Component, lazy, type ReactNode, Suspense, useRef } from 'react';
import type { Platform } from '../platform/platform.ts';
import type { RoomSession } from '../room/session.ts';
import { type Panel, useApp } from '../room/store.ts';
import { ConnectionBanner } from './connection-banner.tsx';
import { Controls } from './controls.tsx';
import { LibraryIcon, PeopleIcon, QueueIcon } from './icons.tsx';
import { LibraryPanel } from './library-panel.tsx';
import { Notices } from './notices.tsx';
import { PeoplePanel } from './people-panel.tsx';
import { PlexDialog } from './plex-dialog.tsx';
import { QueuePanel } from './queue-panel.tsx';
import { FatalScreen, LoadingScreen } from './screens.tsx';
import { StageOverlay } from './stage-overlay.tsx';
import { TopBar } from './top-bar.tsx';
import { useIdle } from './use-idle.ts';
import { useRoomPosition } from './use-room-position.ts';
import { useShortcuts } from './use-shortcuts.ts';

// video.js and its HLS engine are the heaviest part of the app: their own chunk, loaded on entry.
const PlayerView = lazy(() => import('../player/player-view.tsx'));

class PlayerBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    if (this.state.failed) {
      return (
        <div className="stage-overlay error" role="alert">
          <h2>The player could not load</h2>
          <p>Check your connection, then reload.</p>
          <button type="button" className="btn primary" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      );
    }
    return this.props.children;
  }
}

const TABS: readonly { id: Panel; label: string; Icon: typeof QueueIcon }[] = [
  { id: 'queue', label: 'Up next', Icon: QueueIcon },
  { id: 'library', label: 'Library', Icon: LibraryIcon },
  { id: 'people', label: 'People', Icon: PeopleIcon },
];

export function RoomView({
  session,
  platform,
  onSignOut,
}: {
  session: RoomSession;
  platform: Platform;
  onSignOut: () => void;
}) {
  const stageRef = useRef<HTMLDivElement>(null);
  useShortcuts(session, stageRef);
  const hasSnapshot = useApp((s) => s.snapshot !== null);
  const connection = useApp((s) => s.connection);
  const panel = useApp((s) => s.panel);
  const plexDialog = useApp((s) => s.plexDialog);
  const memberCount = useApp((s) => s.snapshot?.members.filter((m) => m.state !== 'away').length ?? 0);
  const queueCount = useApp((s) => {
    const q = s.snapshot?.queue.length ?? 0;
    return s.snapshot?.playback.itemId != null ? Math.max(0, q - 1) : q;
  });
  const positionMs = useRoomPosition(session);
  const status = useApp((s) => s.snapshot?.playback.status ?? 'paused');
  const hasItem = useApp((s) => s.snapshot?.playback.itemId != null);
  const idle = useIdle(stageRef, 3000);

  if (!hasSnapshot) {
    if (connection.status === 'failed') {
      return (
        <FatalScreen
          title="Could not join the room"
          detail={connection.reason ?? 'The server refused the connection.'}
          onRetry={() => window.location.reload()}
        />
      );
    }
    return (
      <LoadingScreen
        message={connection.status === 'reconnecting' ? 'Cannot reach the room yet; retrying…' : 'Joining the room…'}
      />
    );
  }

  return (
    <div className="app" data-testid="room">
      <TopBar session={session} onSignOut={onSignOut} />
      <ConnectionBanner />
      <div className="layout">
        <section className="stage-column">
          <div className="stage" ref={stageRef} data-status={status} data-idle={idle}>
            <PlayerBoundary>
              <Suspense fallback={<div className="player-host loading" />}>
                <PlayerView session={session} />
              </Suspense>
            </PlayerBoundary>
            <StageOverlay onRetry={() => useApp.setState((s) => ({ streamReload: s.streamReload + 1 }))} />
            {hasItem && <Controls session={session} stageRef={stageRef} positionMs={positionMs} />}
          </div>
        </section>
        <aside className="side">
          <div className="tabs" role="tablist" aria-label="Room panels">
            {TABS.map(({ id, label, Icon }) => (
              <button
                key={id}
                type="button"
                role="tab"
                aria-selected={panel === id}
                className={`tab${panel === id ? ' active' : ''}`}
                data-testid={`tab-${id}`}
                onClick={() => useApp.setState({ panel: id })}
              >
                <Icon size={16} />
                <span>{label}</span>
                {id === 'people' && <span className="tab-count">{memberCount}</span>}
                {id === 'queue' && queueCount > 0 && <span className="tab-count">{queueCount}</span>}
              </button>
            ))}
          </div>
          <div className="panel-scroll">
            {panel === 'queue' && <QueuePanel session={session} />}
            {panel === 'library' && <LibraryPanel session={session} />}
            {panel === 'people' && <PeoplePanel />}
          </div>
        </aside>
      </div>
      <Notices />
      {plexDialog && <PlexDialog platform={platform} />}
    </div>
  );
}
