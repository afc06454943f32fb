/**
 * Discord's activity proxy (`<application id>.discordsays.com`) lets a request through on a proxy
 * ticket that the Discord client holds for the activity and that expires. The SDK's
 * `requestProxyTicketRefresh` asks the client for a fresh one (it answers `{ ticket }`, without an
 * expiry): a film outlasts a ticket, so the activity refreshes on a fixed schedule well inside the
 * ticket's life, and again at once when the proxy answers 401, retrying the refused request once.
 * In standalone mode there is no proxy and nothing here runs.
 */
import { type Clock, every } from '@dpp/shared';
import { browserClock } from '../lib/browser-clock.ts';

/** How often the ticket is refreshed while the activity runs (no lifetime is published: stay well inside it). */
export const PROXY_TICKET_REFRESH_MS = 5 * 60 * 1000;

type Refresher = () => Promise<unknown>;

let refresher: Refresher | null = null;
let inFlight: Promise<boolean> | null = null;

/**
 * Asks for a fresh ticket (concurrent callers share one request). True when a ticket was refreshed,
 * false without a proxy (standalone) or when the client refused; never throws.
 */
export function refreshProxyTicket(): Promise<boolean> {
  const refresh = refresher;
  if (!refresh) return Promise.resolve(false);
  inFlight ??= refresh().then(
    () => true,
    (error: unknown) => {
      console.warn('Could not refresh the Discord proxy ticket', error);
      return false;
    },
  );
  const current = inFlight;
  void current.finally(() => {
    if (inFlight === current) inFlight = null;
  });
  return current;
}

/** True in Discord mode, where a 401 may be the proxy's and worth one refresh and retry. */
export function behindProxy(): boolean {
  return refresher !== null;
}

/**
 * Installs `refresh` (the SDK command) as the ticket refresher and refreshes every `everyMs`;
 * returns the stop.
 */
export function keepProxyTicketFresh(
  refresh: Refresher,
  everyMs: number = PROXY_TICKET_REFRESH_MS,
  clock: Clock = browserClock,
): () => void {
  refresher = refresh;
  const stopSchedule = every(clock, everyMs, () => void refreshProxyTicket());
  return () => {
    stopSchedule();
    if (refresher === refresh) refresher = null;
    inFlight = null;
  };
}
