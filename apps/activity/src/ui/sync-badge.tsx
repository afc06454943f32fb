import type { SyncPhase } from '@dpp/shared';
import { SYNC } from '@dpp/shared';
import { formatDrift } from '../lib/format.ts';
import { useApp, useHasItem } from '../room/store.ts';
import { formatRate } from './speed-menu.tsx';

const LABELS: Record<SyncPhase, string> = {
  idle: 'Idle',
  loading: 'Loading',
  'waiting-clock': 'Syncing clock',
  synced: 'In sync',
  nudging: 'Catching up',
  seeking: 'Syncing',
  buffering: 'Buffering',
  'needs-gesture': 'Tap to start',
  error: 'Playback error',
};

function tone(phase: SyncPhase, drift: number | null): 'good' | 'warn' | 'bad' | 'neutral' {
  switch (phase) {
    case 'synced':
    case 'nudging':
      if (drift === null) return 'neutral';
      if (Math.abs(drift) <= SYNC.targetBandMs) return 'good';
      return Math.abs(drift) <= 150 ? 'warn' : 'bad';
    case 'seeking':
    case 'buffering':
    case 'waiting-clock':
    case 'loading':
      return 'warn';
    case 'error':
    case 'needs-gesture':
      return 'bad';
    case 'idle':
      return 'neutral';
    default: {
      const never: never = phase;
      return never;
    }
  }
}

/**
 * "In sync · +4 ms": this viewer's drift from the group; details in the tooltip. While the room
 * connection is down it says so (grey, "Offline"): the player plays on by itself, nothing is in sync.
 * `dotOnly`: the compact overlay's sync dot (the words are its label).
 */
export function SyncBadge({ dotOnly = false }: { dotOnly?: boolean }) {
  const sync = useApp((s) => s.sync);
  const clock = useApp((s) => s.clock);
  const connection = useApp((s) => s.connection.status);
  const hasItem = useHasItem();
  const roomRate = useApp((s) => s.snapshot?.playback.rate ?? 1);
  if (!hasItem) return null;
  if (connection !== 'open') {
    const label =
      connection === 'ended'
        ? 'Offline: the party was ended'
        : connection === 'failed'
          ? 'Offline: disconnected from the room'
          : 'Offline: reconnecting to the room';
    return (
      <output
        className={`sync-badge tone-offline${dotOnly ? ' dot-only' : ''}`}
        title={label}
        aria-label={label}
        data-testid="sync-badge"
        data-phase="offline"
        data-drift=""
      >
        <span className="dot" aria-hidden="true" />
        {!dotOnly && <span className="sync-label">Offline</span>}
      </output>
    );
  }
  if (sync.phase === 'idle') return null;
  const t = tone(sync.phase, sync.driftMs);
  const showDrift = !dotOnly && (sync.phase === 'synced' || sync.phase === 'nudging') && sync.driftMs !== null;
  const details = [
    `Room speed: ${formatRate(roomRate)}`,
    `Drift: ${sync.driftMs === null ? 'n/a' : formatDrift(sync.driftMs)}`,
    `Playback rate: ${sync.rate.toFixed(3)}×`,
    `Clock RTT: ${clock.rttMs === null ? 'n/a' : `${Math.round(clock.rttMs)} ms`}`,
    `Seek latency: ~${sync.seekLatencyMs} ms`,
    `Start latency: ~${sync.startLatencyMs} ms`,
    `Corrective seeks: ${sync.seeks}`,
  ].join('\n');
  return (
    <output
      className={`sync-badge tone-${t}${dotOnly ? ' dot-only' : ''}`}
      title={details}
      aria-label={`${LABELS[sync.phase]}${showDrift && sync.driftMs !== null ? `, drift ${formatDrift(sync.driftMs)}` : ''}${roomRate === 1 ? '' : `, speed ${formatRate(roomRate)}`}`}
      data-testid="sync-badge"
      data-phase={sync.phase}
      data-drift={sync.driftMs === null ? '' : String(Math.round(sync.driftMs))}
      data-rate={roomRate}
    >
      <span className="dot" aria-hidden="true" />
      {!dotOnly && <span className="sync-label">{LABELS[sync.phase]}</span>}
      {showDrift && sync.driftMs !== null && <span className="sync-drift">{formatDrift(sync.driftMs)}</span>}
      {!dotOnly && roomRate !== 1 && (
        <span className="sync-rate" data-testid="sync-rate">
          {formatRate(roomRate)}
        </span>
      )}
    </output>
  );
}
