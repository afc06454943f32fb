import {
  type discoveredServerSchema,
  plexPinSchema,
  plexPinStatusSchema,
  plexServersResponseSchema,
  storedServerSchema,
} from '@dpp/shared';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { z } from 'zod';
import { api, describeError } from '../lib/api.ts';
import { withGuild as guildPath } from '../lib/library.ts';
import type { Platform } from '../platform/platform.ts';
import { closePlexDialog, currentGuildId, notify } from '../room/store.ts';
import { CloseIcon, LinkIcon } from './icons.tsx';
import { ErrorState } from './states.tsx';

type Pin = z.infer<typeof plexPinSchema>;
type Discovered = z.infer<typeof discoveredServerSchema>;
type Stored = z.infer<typeof storedServerSchema>;

type Step =
  | { kind: 'overview' }
  | { kind: 'pin'; pin: Pin }
  | { kind: 'choose'; pinId: string; servers: Discovered[] | null; error?: unknown }
  | { kind: 'expired' };

const POLL_MS = 2000;

const guildId = currentGuildId;
const withGuild = (path: string, params: Record<string, string> = {}) => guildPath(path, guildId(), params);

/**
 * Plex linking for admins: a PIN the admin approves on plex.tv (the link opens outside Discord),
 * polled with a countdown, then a choice among the account's servers. Tokens never reach here.
 */
export function PlexDialog({ platform }: { platform: Platform }) {
  const [step, setStep] = useState<Step>({ kind: 'overview' });
  const [stored, setStored] = useState<Stored[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const close = closePlexDialog;

  const refresh = useCallback(() => {
    setError(null);
    api(withGuild('/api/plex/servers'), { schema: plexServersResponseSchema }).then(
      (r) => setStored(r.stored),
      (e: unknown) => setError(e),
    );
  }, []);
  useEffect(refresh, [refresh]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') closePlexDialog();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const startPin = async () => {
    setBusy(true);
    setError(null);
    try {
      const guild = guildId();
      const pin = await api('/api/plex/pins', { body: guild ? { guildId: guild } : {}, schema: plexPinSchema });
      setStep({ kind: 'pin', pin });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (server: Stored) => {
    try {
      await api(`/api/plex/servers/${encodeURIComponent(server.id)}`, { method: 'DELETE' });
      notify(`Unlinked ${server.name}`);
      refresh();
    } catch (e) {
      notify(describeError(e), 'error');
    }
  };

  return (
    <div className="modal-backdrop">
      <button type="button" className="modal-scrim" aria-label="Dismiss" tabIndex={-1} onClick={close} />
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="plex-title" data-testid="plex-dialog">
        <header className="modal-head">
          <h2 id="plex-title">Plex server</h2>
          <button type="button" className="icon-btn" aria-label="Close" onClick={close}>
            <CloseIcon />
          </button>
        </header>
        {step.kind === 'overview' && (
          <div className="modal-body">
            <p className="muted">
              {guildId()
                ? 'Link the Plex server this Discord server watches from.'
                : 'Link the Plex server this app watches from (used for every room).'}
            </p>
            {error !== null && <ErrorState error={error} onRetry={refresh} />}
            {stored === null && error === null && <div className="spinner small" role="status" aria-label="Loading" />}
            {stored !== null && stored.length === 0 && (
              <p className="muted" data-testid="no-servers">
                No Plex server is linked yet: the demo library is playing.
              </p>
            )}
            {stored !== null && stored.length > 0 && (
              <ul className="server-list">
                {stored.map((s) => (
                  <li key={s.id} className="server">
                    <div>
                      <strong>{s.name}</strong>
                      <span className="muted small">
                        {s.guildId ? 'This Discord server' : 'Every room'} · linked{' '}
                        {new Date(s.linkedAt).toLocaleDateString()}
                      </span>
                    </div>
                    <button type="button" className="btn small ghost danger" onClick={() => void remove(s)}>
                      Unlink
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <button
              type="button"
              className="btn primary wide"
              disabled={busy}
              data-testid="plex-link"
              onClick={() => void startPin()}
            >
              <LinkIcon size={16} /> {stored && stored.length > 0 ? 'Link another Plex account' : 'Link a Plex account'}
            </button>
          </div>
        )}
        {step.kind === 'pin' && (
          <PinStep
            pin={step.pin}
            platform={platform}
            onLinked={(pinId) => setStep({ kind: 'choose', pinId, servers: null })}
            onExpired={() => setStep({ kind: 'expired' })}
            onCancel={() => setStep({ kind: 'overview' })}
          />
        )}
        {step.kind === 'choose' && (
          <ChooseStep
            pinId={step.pinId}
            onDone={(server) => {
              notify(`Linked ${server.name}: the library now comes from it`);
              setStep({ kind: 'overview' });
              refresh();
            }}
          />
        )}
        {step.kind === 'expired' && (
          <div className="modal-body">
            <p>The code expired before it was approved.</p>
            <button type="button" className="btn primary" onClick={() => void startPin()}>
              Get a new code
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

function PinStep({
  pin,
  platform,
  onLinked,
  onExpired,
  onCancel,
}: {
  pin: Pin;
  platform: Platform;
  onLinked: (pinId: string) => void;
  onExpired: () => void;
  onCancel: () => void;
}) {
  const [now, setNow] = useState(() => Date.now());
  const [pollError, setPollError] = useState<unknown>(null);
  const startedAt = useRef(Date.now());
  // The callbacks change every render (the countdown re-renders each second); polling must not restart.
  const handlers = useRef({ onLinked, onExpired });
  handlers.current = { onLinked, onExpired };
  const expiresAt = Date.parse(pin.expiresAt);
  const total = Math.max(1, expiresAt - startedAt.current);
  const left = Math.max(0, expiresAt - now);

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const poll = async () => {
      try {
        const status = await api(`/api/plex/pins/${encodeURIComponent(pin.id)}`, { schema: plexPinStatusSchema });
        if (stopped) return;
        setPollError(null);
        if (status.status === 'linked') return handlers.current.onLinked(pin.id);
        if (status.status === 'expired') return handlers.current.onExpired();
      } catch (e) {
        if (!stopped) setPollError(e);
      }
      if (!stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
    };
    timer = window.setTimeout(() => void poll(), POLL_MS);
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      window.clearInterval(tick);
    };
  }, [pin.id]);

  const minutes = Math.floor(left / 60000);
  const seconds = Math.floor((left % 60000) / 1000);
  const host = (() => {
    try {
      return new URL(pin.linkUrl).host;
    } catch {
      return 'plex.tv';
    }
  })();
  // Short PINs are typed at plex.tv/link; strong (long) ones are approved through the link itself.
  const typeable = pin.code.length <= 8;
  return (
    <div className="modal-body pin-step" data-testid="plex-pin" data-code={pin.code}>
      <p>
        Sign in to Plex and approve <strong>Discord Plex Player</strong>. The link opens outside the activity.
      </p>
      <button type="button" className="btn primary wide" onClick={() => void platform.openExternal(pin.linkUrl)}>
        <LinkIcon size={16} /> Open {host}
      </button>
      {typeable ? (
        <>
          <p className="muted small">or enter this code at plex.tv/link:</p>
          <div className="pin-code" role="status" aria-label={`Code ${pin.code.split('').join(' ')}`}>
            {pin.code}
          </div>
        </>
      ) : (
        <label className="field">
          <span>Or copy the link into a browser</span>
          <input className="pin-link" readOnly value={pin.linkUrl} onFocus={(e) => e.currentTarget.select()} />
        </label>
      )}
      <div className="pin-progress" aria-hidden="true">
        <div className="pin-progress-fill" style={{ width: `${(left / total) * 100}%` }} />
      </div>
      <p className="muted small" role="status">
        <span className="spinner tiny" aria-hidden="true" /> Waiting for approval… this request is valid for {minutes}:
        {String(seconds).padStart(2, '0')}
      </p>
      {pollError !== null && <p className="form-error">Checking failed ({describeError(pollError)}); still trying.</p>}
      <button type="button" className="btn ghost" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

function ChooseStep({ pinId, onDone }: { pinId: string; onDone: (server: Stored) => void }) {
  const [servers, setServers] = useState<Discovered[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    setError(null);
    setServers(null);
    api(withGuild('/api/plex/servers', { pinId }), { schema: plexServersResponseSchema }).then(
      (r) => {
        const list = r.discovered ?? [];
        setServers(list);
        const first = list.find((s) => s.connection !== null) ?? list[0];
        setChosen(first?.machineIdentifier ?? null);
      },
      (e: unknown) => setError(e),
    );
  }, [pinId]);
  useEffect(load, [load]);

  const link = async () => {
    if (!chosen) return;
    setBusy(true);
    try {
      const guild = guildId();
      const server = await api('/api/plex/servers', {
        body: { pinId, machineIdentifier: chosen, ...(guild ? { guildId: guild } : {}) },
        schema: storedServerSchema,
      });
      onDone(server);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="modal-body" data-testid="plex-choose">
      <p>Signed in to Plex. Which server should the party watch from?</p>
      {error !== null && <ErrorState error={error} onRetry={load} />}
      {servers === null && error === null && (
        <div className="spinner small" role="status" aria-label="Looking for servers" />
      )}
      {servers?.length === 0 && <p className="muted">This Plex account has no servers this app can reach.</p>}
      {servers && servers.length > 0 && (
        <ul className="server-list choose">
          {servers.map((s) => (
            <li key={s.machineIdentifier}>
              <label className={`server selectable${chosen === s.machineIdentifier ? ' chosen' : ''}`}>
                <input
                  type="radio"
                  name="plex-server"
                  value={s.machineIdentifier}
                  checked={chosen === s.machineIdentifier}
                  onChange={() => setChosen(s.machineIdentifier)}
                />
                <div>
                  <strong>{s.name}</strong>
                  <span className="muted small">
                    {s.owned ? 'Yours' : 'Shared with you'} ·{' '}
                    {s.connection === null
                      ? 'not reachable'
                      : `${s.connection} connection${s.secure ? ', secure' : ''}`}
                  </span>
                </div>
              </label>
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        className="btn primary wide"
        disabled={!chosen || busy}
        data-testid="plex-use-server"
        onClick={() => void link()}
      >
        Use this server
      </button>
    </div>
  );
}
