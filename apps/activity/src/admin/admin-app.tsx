import { formatTime } from '@dpp/shared';
import type { AdminInstance, AdminOverview, AdminRoom, AdminTranscode } from '@dpp/shared/admin';
import { type FormEvent, lazy, type ReactNode, Suspense, useCallback, useEffect, useState } from 'react';
import { formatDrift } from '../lib/format.ts';
import { type FetchResult, fetchOverview, forgetToken, storedToken, storeToken } from './overview-client.ts';

/** The charts and their library load only once there is something to draw. */
const Charts = lazy(() => import('./charts.tsx'));

export const POLL_MS = 2000;

export function formatRate(bytesPerSecond: number): string {
  const units = ['B/s', 'KB/s', 'MB/s', 'GB/s'];
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export const formatShare = (share: number | null) => (share === null ? '—' : `${(share * 100).toFixed(1)} %`);

function formatUptime(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} min`;
  return `${minutes} min`;
}

function scopeLabel(overview: AdminOverview): string {
  switch (overview.scope.kind) {
    case 'operator':
      return 'Operator: every guild';
    case 'dev':
      return 'Dev mode: everything';
    case 'guilds':
      return `Your servers: ${overview.scope.guildIds.length}`;
  }
}

function TokenForm(props: { reason: string | null; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim();
    if (token) props.onToken(token);
  };
  return (
    <form className="adm-token" onSubmit={submit} aria-labelledby="adm-token-title">
      <h2 id="adm-token-title">Sign in to the dashboard</h2>
      <p>
        Paste the operator token (<code>ADMIN_TOKEN</code>), or a Discord session token of someone with Manage Server.
        It is kept in this tab only.
      </p>
      {props.reason && (
        <p className="adm-error" role="alert">
          {props.reason}
        </p>
      )}
      <label htmlFor="adm-token-input">Token</label>
      <div className="adm-token-row">
        <input
          id="adm-token-input"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" disabled={value.trim() === ''}>
          Open
        </button>
      </div>
    </form>
  );
}

function Stat(props: { label: string; value: string; testId: string; tone?: 'bad' | 'good' }) {
  return (
    <div className={`adm-stat${props.tone ? ` adm-${props.tone}` : ''}`} data-testid={props.testId}>
      <span className="adm-stat-label">{props.label}</span>
      <span className="adm-stat-value">{props.value}</span>
    </div>
  );
}

function driftTone(driftMs: number | null) {
  if (driftMs === null) return '';
  const abs = Math.abs(driftMs);
  return abs > 500 ? 'adm-bad' : abs > 100 ? 'adm-warn' : 'adm-good';
}

/** A table that scrolls sideways when it must (on phones its rows become labelled cards, see admin.css). */
function DataTable(props: { columns: string[]; children: ReactNode }) {
  return (
    <div className="adm-scroll">
      <table className="adm-table">
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}

function RoomsTable({ rooms }: { rooms: AdminRoom[] }) {
  if (rooms.length === 0) {
    return (
      <p className="adm-empty" data-testid="rooms-empty">
        No live rooms right now. Rooms appear here as soon as someone opens the activity or uses /play.
      </p>
    );
  }
  return (
    <DataTable columns={['Room', 'State', 'Playing', 'Quality', 'Members (state, drift)']}>
      {rooms.map((room) => (
        <tr key={room.roomId} data-testid="room-row" data-room-id={room.roomId}>
          <td className="adm-mono" data-label="Room">
            {room.roomId}
          </td>
          <td data-label="State">
            <span className={`adm-pill adm-${room.status}`}>{room.status}</span>
          </td>
          <td data-label="Playing">
            {room.item ? (
              <>
                {room.item.title} <span className="adm-dim">at {formatTime(room.positionMs)}</span>
              </>
            ) : (
              <span className="adm-dim">nothing</span>
            )}
          </td>
          <td data-label="Quality">
            {room.qualities.length > 0 ? room.qualities.join(', ') : <span className="adm-dim">—</span>}
          </td>
          <td data-label="Members">
            <ul className="adm-members">
              {room.members.map((m) => (
                <li key={m.userId}>
                  <span>{m.name}</span>
                  {m.role === 'host' && <span className="adm-dim"> (host)</span>}{' '}
                  <span className={`adm-pill adm-${m.state}`}>{m.state}</span>{' '}
                  <span className={`adm-drift ${driftTone(m.driftMs)}`}>
                    {m.driftMs === null ? '—' : formatDrift(m.driftMs)}
                  </span>
                </li>
              ))}
              {room.members.length === 0 && <li className="adm-dim">nobody</li>}
            </ul>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function TranscodesTable({ transcodes }: { transcodes: AdminTranscode[] }) {
  if (transcodes.length === 0) {
    return <p className="adm-empty">No Plex transcode sessions: everyone plays the original, or nothing plays.</p>;
  }
  return (
    <DataTable columns={['Room', 'Item', 'Quality', 'Instance']}>
      {transcodes.map((t) => (
        <tr key={`${t.instanceId}/${t.roomId}/${t.quality}`}>
          <td className="adm-mono" data-label="Room">
            {t.roomId}
          </td>
          <td className="adm-mono" data-label="Item">
            {t.itemId}
          </td>
          <td data-label="Quality">{t.quality}</td>
          <td className="adm-mono" data-label="Instance">
            {t.instanceId.slice(0, 8)}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function InstancesTable({ instances }: { instances: AdminInstance[] }) {
  if (instances.length === 0) {
    return <p className="adm-empty">No instance has published yet; the first snapshot comes within a few seconds.</p>;
  }
  return (
    <DataTable
      columns={['Instance', 'Version', 'Up', 'Sockets', 'Rooms', 'Transcodes', 'Bandwidth', 'HTTP 5xx', 'WS errors']}
    >
      {instances.map((i) => (
        <tr key={i.id} data-testid="instance-row">
          <td className="adm-mono" title={i.id} data-label="Instance">
            {i.id.slice(0, 8)}
          </td>
          <td data-label="Version">{i.version}</td>
          <td data-label="Up">{formatUptime(i.uptimeSeconds)}</td>
          <td data-label="Sockets">{i.sockets}</td>
          <td data-label="Rooms">{i.rooms}</td>
          <td data-label="Transcodes">{i.transcodes}</td>
          <td data-label="Bandwidth">{formatRate(i.rates.bytesPerSecond)}</td>
          <td data-label="HTTP 5xx">{formatShare(i.rates.httpErrorRate)}</td>
          <td data-label="WS errors">{formatShare(i.rates.wsErrorRate)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function Dashboard(props: { overview: AdminOverview; stale: string | null; onSignOut: (() => void) | null }) {
  const { overview } = props;
  const { totals } = overview;
  const members = overview.rooms.reduce((n, room) => n + room.members.length, 0);
  const instances = overview.instances;
  return (
    <>
      <header className="adm-header">
        <div>
          <h1>Dashboard</h1>
          <p className="adm-dim" data-testid="scope">
            {scopeLabel(overview)} ·{' '}
            {overview.source === 'redis' ? 'all instances on the shared Redis' : 'this instance (no Redis)'} · updated{' '}
            <time dateTime={new Date(overview.generatedAt).toISOString()} data-testid="updated">
              {new Date(overview.generatedAt).toLocaleTimeString()}
            </time>
          </p>
        </div>
        {props.onSignOut && (
          <button type="button" className="adm-ghost" onClick={props.onSignOut}>
            Forget token
          </button>
        )}
      </header>
      {props.stale && (
        <p className="adm-error" role="alert" data-testid="refresh-error">
          Could not refresh ({props.stale}); showing the last answer and trying again.
        </p>
      )}
      <section className="adm-stats" aria-label="Now">
        <Stat label="Rooms" value={String(overview.rooms.length)} testId="stat-rooms" />
        <Stat label="Members" value={String(members)} testId="stat-members" />
        <Stat label="Transcodes" value={String(overview.transcodes.length)} testId="stat-transcodes" />
        <Stat label="Bandwidth" value={formatRate(totals.bytesPerSecond)} testId="stat-bandwidth" />
        <Stat label="Cache hits" value={formatShare(totals.cacheHitRate)} testId="stat-cache" />
        <Stat
          label="HTTP 5xx"
          value={formatShare(totals.httpErrorRate)}
          testId="stat-http-errors"
          tone={(totals.httpErrorRate ?? 0) > 0.01 ? 'bad' : undefined}
        />
        <Stat
          label="WS errors"
          value={formatShare(totals.wsErrorRate)}
          testId="stat-ws-errors"
          tone={(totals.wsErrorRate ?? 0) > 0.01 ? 'bad' : undefined}
        />
      </section>
      <section aria-labelledby="adm-charts-title">
        <h2 id="adm-charts-title">Last hour{overview.scope.kind === 'guilds' ? ' (all servers together)' : ''}</h2>
        <Suspense fallback={<p className="adm-empty">Loading the charts…</p>}>
          <Charts overview={overview} />
        </Suspense>
      </section>
      <section aria-labelledby="adm-rooms-title">
        <h2 id="adm-rooms-title">Live rooms</h2>
        <RoomsTable rooms={overview.rooms} />
      </section>
      <section aria-labelledby="adm-transcodes-title">
        <h2 id="adm-transcodes-title">Plex transcodes</h2>
        <TranscodesTable transcodes={overview.transcodes} />
      </section>
      {instances && (
        <section aria-labelledby="adm-instances-title">
          <h2 id="adm-instances-title">Instances</h2>
          <InstancesTable instances={instances} />
        </section>
      )}
    </>
  );
}

type View =
  | { kind: 'loading' }
  | { kind: 'sign-in'; reason: string | null }
  | { kind: 'forbidden'; message: string }
  | { kind: 'ready'; overview: AdminOverview; stale: string | null }
  | { kind: 'unreachable'; message: string };

function next(view: View, result: FetchResult): View {
  switch (result.kind) {
    case 'ok':
      return { kind: 'ready', overview: result.overview, stale: null };
    case 'unauthorized':
      return { kind: 'sign-in', reason: storedToken() ? result.message : null };
    case 'forbidden':
      return { kind: 'forbidden', message: result.message };
    case 'failed':
      return view.kind === 'ready'
        ? { ...view, stale: result.message }
        : { kind: 'unreachable', message: result.message };
  }
}

/** The admin dashboard: asks for a token once (when the server wants one), then refreshes every 2 s. */
export function AdminApp() {
  const [token, setToken] = useState<string | null>(() => storedToken());
  const [view, setView] = useState<View>({ kind: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    let stopped = false;
    const poll = async () => {
      const result = await fetchOverview(token, controller.signal);
      if (stopped) return;
      setView((current) => next(current, result));
      // A refused token is not tried again until the user gives another.
      if (result.kind === 'ok' || result.kind === 'failed') timer = window.setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [token]);

  const acceptToken = useCallback((value: string) => {
    storeToken(value);
    setView({ kind: 'loading' });
    setToken(value);
  }, []);
  const signOut = useCallback(() => {
    forgetToken();
    setView({ kind: 'loading' });
    setToken(null);
  }, []);

  return (
    <main className="adm" data-admin-dashboard="">
      {view.kind === 'loading' && <p className="adm-empty">Loading…</p>}
      {view.kind === 'sign-in' && <TokenForm reason={view.reason} onToken={acceptToken} />}
      {view.kind === 'forbidden' && (
        <div className="adm-token" role="alert" data-testid="forbidden">
          <h2>Not for this token</h2>
          <p>{view.message}</p>
          <button type="button" onClick={signOut}>
            Use another token
          </button>
        </div>
      )}
      {view.kind === 'unreachable' && (
        <p className="adm-error" role="alert">
          The server did not answer ({view.message}); trying again.
        </p>
      )}
      {view.kind === 'ready' && (
        <Dashboard overview={view.overview} stale={view.stale} onSignOut={token ? signOut : null} />
      )}
    </main>
  );
}
