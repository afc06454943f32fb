import {
  Component,
  lazy,
  type KeyboardEvent as ReactKeyboardEvent,
  type ReactNode,
  Suspense,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { Platform } from '../platform/platform.ts';
import type { Panel } from '../room/app-state.ts';
import type { RoomSession } from '../room/session.ts';
import { closeSheet, reloadStream, showPanel, useApp, useHasItem } from '../room/store.ts';
import { Captions } from './captions.tsx';
import { ConnectionBanner } from './connection-banner.tsx';
import { Controls, PlayerMenus } from './controls.tsx';
import { EpisodeOverlays } from './episode-overlays.tsx';
import { CloseIcon, LibraryIcon, PeopleIcon, QueueIcon } from './icons.tsx';
import { LibraryPanel } from './library-panel.tsx';
import { Notices } from './notices.tsx';
import { PeoplePanel } from './people-panel.tsx';
import { PlexDialog } from './plex-dialog.tsx';
import { QueuePanel } from './queue-panel.tsx';
import { ReactionLayer } from './reactions.tsx';
import { EndedScreen, FatalScreen, LoadingScreen } from './screens.tsx';
import { SheetOpener } from './sheet-opener.tsx';
import { SpeedMenu } from './speed-menu.tsx';
import { StageOverlay } from './stage-overlay.tsx';
import { TopBar } from './top-bar.tsx';
import { useIdle } from './use-idle.ts';
import { useLayout } from './use-layout.ts';
import { useRoomPosition } from './use-room-position.ts';
import { useShortcuts } from './use-shortcuts.ts';

// video.js and its HLS engine are the heaviest part of the app: their own chunk, loaded on entry. A
// new lazy component per attempt: React keeps a failed import's rejection for good.
const loadPlayer = () => lazy(() => import('../player/player-view.tsx'));

/**
 * Catches a player chunk that failed to load (or crashed): its error shows over the stage, above the
 * empty-stage and status overlays, with a retry that loads the chunk again.
 */
class PlayerBoundary extends Component<{ children: ReactNode; onRetry: () => void }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: unknown) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }
  override render() {
    if (this.state.error) {
      return (
        <div className="stage-overlay error player-failed" role="alert" data-testid="player-failed">
          <h2>The player could not load</h2>
          <p>{this.state.error.message || 'Check your connection, then try again.'}</p>
          <button
            type="button"
            className="btn primary"
            onClick={() => {
              this.setState({ error: null });
              this.props.onRetry();
            }}
          >
            Try again
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

/** The panel tabs, as the WAI-ARIA tabs pattern: arrows, Home and End move and select. */
function PanelTabs() {
  const panel = useApp((s) => s.panel);
  const memberCount = useApp((s) => s.snapshot?.members.filter((m) => m.state !== 'away').length ?? 0);
  const queueCount = useApp((s) => {
    const q = s.snapshot?.queue.length ?? 0;
    return s.snapshot?.playback.itemId != null ? Math.max(0, q - 1) : q;
  });
  const onKeyDown = (event: ReactKeyboardEvent<HTMLDivElement>) => {
    const index = TABS.findIndex((t) => t.id === panel);
    const next =
      event.key === 'ArrowRight'
        ? (index + 1) % TABS.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + TABS.length) % TABS.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? TABS.length - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    const id = TABS[next]?.id ?? 'queue';
    showPanel(id);
    event.currentTarget.querySelector<HTMLElement>(`[data-testid="tab-${id}"]`)?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label="Room panels" tabIndex={-1} onKeyDown={onKeyDown}>
      {TABS.map(({ id, label, Icon }) => (
        <button
          key={id}
          type="button"
          role="tab"
          id={`tab-${id}`}
          aria-selected={panel === id}
          aria-controls="room-panel"
          tabIndex={panel === id ? 0 : -1}
          className={`tab${panel === id ? ' active' : ''}`}
          data-testid={`tab-${id}`}
          onClick={() => showPanel(id)}
        >
          <Icon size={16} />
          <span>{label}</span>
          {id === 'people' && <span className="tab-count">{memberCount}</span>}
          {id === 'queue' && queueCount > 0 && <span className="tab-count">{queueCount}</span>}
        </button>
      ))}
    </div>
  );
}

export function RoomView({
  session,
  platform,
  onSignOut,
}: {
  session: RoomSession;
  platform: Platform;
  onSignOut: () => void;
}) {
  // A callback ref: the stage appears only once the room has answered, and the idle hook and the
  // shortcuts must attach to it then.
  const [stage, setStage] = useState<HTMLDivElement | null>(null);
  const stageRef = useMemo(() => ({ current: stage }), [stage]);
  useShortcuts(session, stageRef);
  const layout = useLayout();
  const hasSnapshot = useApp((s) => s.snapshot !== null);
  const connection = useApp((s) => s.connection);
  const panel = useApp((s) => s.panel);
  const sheetOpen = useApp((s) => s.sheetOpen);
  const plexDialog = useApp((s) => s.plexDialog);
  const positionMs = useRoomPosition(session);
  const status = useApp((s) => s.snapshot?.playback.status ?? 'paused');
  const hasItem = useHasItem();
  const idle = useIdle(stage, 3000);
  const compact = layout === 'compact';
  const sheetOpener = useRef<HTMLElement | null>(null);
  const [PlayerView, setPlayerView] = useState(loadPlayer);

  // Captions scale with the picture: the stage publishes its height to its CSS.
  useEffect(() => {
    if (!stage) return;
    const observer = new ResizeObserver(() => stage.style.setProperty('--stage-h', `${stage.clientHeight}px`));
    observer.observe(stage);
    return () => observer.disconnect();
  }, [stage]);

  // The compact sheet: Escape closes it, and focus goes back to what opened it.
  useEffect(() => {
    if (!compact || !sheetOpen) return;
    sheetOpener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    document.querySelector<HTMLElement>('[data-testid="close-sheet"]')?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      closeSheet();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      sheetOpener.current?.focus();
    };
  }, [compact, sheetOpen]);

  if (!hasSnapshot) {
    if (connection.status === 'ended') {
      return <EndedScreen onStartAgain={() => window.location.reload()} />;
    }
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
        message={
          connection.status === 'reconnecting'
            ? `Cannot reach the room yet; retrying…${connection.reason ? ` (${connection.reason})` : ''}`
            : 'Joining the room…'
        }
      />
    );
  }

  const closeSheetButton = (
    <button type="button" className="icon-btn" aria-label="Close" data-testid="close-sheet" onClick={closeSheet}>
      <CloseIcon />
    </button>
  );

  return (
    <div className="app" data-testid="room" data-layout={layout} data-sheet={compact && sheetOpen ? 'open' : 'closed'}>
      {!compact && (
        <TopBar session={session} onSignOut={onSignOut} notices={layout === 'focused' ? <Notices /> : null} />
      )}
      <ConnectionBanner />
      <div className="layout">
        <section className="stage-column" aria-label="Player">
          <div className="stage" ref={setStage} data-status={status} data-idle={idle}>
            <PlayerBoundary onRetry={() => setPlayerView(loadPlayer)}>
              <Suspense fallback={<div className="player-host loading" />}>
                <PlayerView session={session} />
              </Suspense>
            </PlayerBoundary>
            <Captions />
            {hasItem && <ReactionLayer session={session} />}
            <StageOverlay onRetry={reloadStream} />
            <EpisodeOverlays session={session} positionMs={positionMs} />
            {hasItem && <Controls session={session} stageRef={stageRef} positionMs={positionMs} compact={compact} />}
            {compact && !hasItem && <SheetOpener className="sheet-opener" />}
            {compact && <Notices />}
          </div>
        </section>
        {layout === 'phone' && <Notices />}
        <aside
          className="side"
          aria-label="Room panels"
          role={compact ? 'dialog' : undefined}
          hidden={compact && !sheetOpen}
        >
          {compact && (
            <>
              <TopBar session={session} onSignOut={onSignOut} notices={null}>
                {closeSheetButton}
              </TopBar>
              {hasItem && (
                <div className="sheet-player">
                  <PlayerMenus />
                  <SpeedMenu session={session} />
                </div>
              )}
            </>
          )}
          <PanelTabs />
          <div className="panel-scroll" role="tabpanel" id="room-panel" aria-labelledby={`tab-${panel}`}>
            {panel === 'queue' && <QueuePanel session={session} />}
            {panel === 'library' && <LibraryPanel session={session} />}
            {panel === 'people' && <PeoplePanel session={session} />}
          </div>
        </aside>
      </div>
      {plexDialog && <PlexDialog platform={platform} />}
    </div>
  );
}
