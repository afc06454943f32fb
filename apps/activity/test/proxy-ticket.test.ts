import { ManualClock } from '@dpp/shared/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../src/lib/api.ts';
import {
  behindProxy,
  keepProxyTicketFresh,
  PROXY_TICKET_REFRESH_MS,
  refreshProxyTicket,
} from '../src/platform/proxy-ticket.ts';
import { flush } from './support/virtual-time.ts';

describe('the Discord proxy ticket', () => {
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    stop = undefined;
    vi.unstubAllGlobals();
  });

  it('is refreshed on a schedule while the activity runs, and no longer once stopped', async () => {
    // Each refresh settles before the next is due (flush), as it would in minutes of real time.
    const clock = new ManualClock();
    const refresh = vi.fn(async () => ({ ticket: 't' }));
    stop = keepProxyTicketFresh(refresh, PROXY_TICKET_REFRESH_MS, clock);
    expect(behindProxy()).toBe(true);
    await clock.advance(PROXY_TICKET_REFRESH_MS - 1, flush);
    expect(refresh).toHaveBeenCalledTimes(0);
    await clock.advance(1, flush);
    expect(refresh).toHaveBeenCalledTimes(1);
    await clock.advance(PROXY_TICKET_REFRESH_MS * 2, flush);
    expect(refresh).toHaveBeenCalledTimes(3);
    stop();
    stop = undefined;
    expect(behindProxy()).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    await clock.advance(PROXY_TICKET_REFRESH_MS * 2, flush);
    expect(refresh).toHaveBeenCalledTimes(3);
  });

  it('shares one refresh between callers that need it at once, and reports a refusal without throwing', async () => {
    let answer: (value: { ticket: string }) => void = () => undefined;
    const refresh = vi.fn(() => new Promise<{ ticket: string }>((resolve) => (answer = resolve)));
    stop = keepProxyTicketFresh(refresh);
    const both = Promise.all([refreshProxyTicket(), refreshProxyTicket()]);
    answer({ ticket: 't' });
    expect(await both).toEqual([true, true]);
    expect(refresh).toHaveBeenCalledTimes(1);

    refresh.mockImplementationOnce(() => Promise.reject(new Error('no')));
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await refreshProxyTicket()).toBe(false);
  });

  it('does nothing outside Discord', async () => {
    expect(behindProxy()).toBe(false);
    expect(await refreshProxyTicket()).toBe(false);
  });

  it('retries an API request the proxy refused (401) once, after a fresh ticket', async () => {
    const refresh = vi.fn(async () => ({ ticket: 't2' }));
    stop = keepProxyTicketFresh(refresh);
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(new Response('', { status: 401 }))
      .mockResolvedValueOnce(new Response('{"ok":true}', { status: 200 }));
    vi.stubGlobal('fetch', fetchMock);
    expect(await api('/api/thing')).toEqual({ ok: true });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(fetchMock).toHaveBeenCalledTimes(2);

    // A second 401 is our server's: it reaches the caller, with no second retry.
    fetchMock.mockResolvedValue(
      new Response('{"error":{"code":"unauthorized","message":"Sign in again."}}', { status: 401 }),
    );
    await expect(api('/api/thing')).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(fetchMock).toHaveBeenCalledTimes(4);
    expect(refresh).toHaveBeenCalledTimes(2);
  });
});
