import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/infra/memory-cache.ts';
import { processLock, SharedFlight } from '../../src/streams/shared-flight.ts';

/** A load that waits until the test settles it, and reports whether it was cancelled. */
function pendingLoad() {
  let settle: (value: Buffer) => void = () => {};
  let seenSignal: AbortSignal | undefined;
  let calls = 0;
  let markStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });
  const load = (signal: AbortSignal) => {
    calls++;
    seenSignal = signal;
    markStarted();
    return new Promise<Buffer>((resolve, reject) => {
      settle = resolve;
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
  return {
    load,
    started,
    settle: (value: Buffer) => settle(value),
    get calls() {
      return calls;
    },
    get cancelled() {
      return seenSignal?.aborted ?? false;
    },
  };
}

const flightOver = (cache = new MemoryCache()) => new SharedFlight(cache, processLock, () => {});

describe('SharedFlight: callers that walk away', () => {
  it('keeps loading while one caller still waits, and gives that caller the value', async () => {
    const flight = flightOver();
    const pending = pendingLoad();
    const leaving = new AbortController();
    const first = flight.bytes('streamchunk:a:0', 60_000, pending.load, leaving.signal);
    const second = flight.bytes('streamchunk:a:0', 60_000, pending.load, new AbortController().signal);
    await pending.started;
    leaving.abort();
    await expect(first).rejects.toThrow();
    expect(pending.cancelled).toBe(false);
    pending.settle(Buffer.from('piece'));
    expect((await second).toString()).toBe('piece');
    expect(pending.calls).toBe(1);
  });

  it('cancels the load when every caller has walked away, and the next caller starts afresh', async () => {
    const cache = new MemoryCache();
    const flight = flightOver(cache);
    const pending = pendingLoad();
    const callers = [new AbortController(), new AbortController()];
    const asked = callers.map((c) => flight.bytes('streamchunk:b:0', 60_000, pending.load, c.signal));
    await pending.started;
    for (const caller of callers) caller.abort();
    for (const answer of asked) await expect(answer).rejects.toThrow();
    expect(pending.cancelled).toBe(true);
    expect(await cache.getBytes('streamchunk:b:0')).toBeUndefined();

    const again = pendingLoad();
    const fresh = flight.bytes('streamchunk:b:0', 60_000, again.load, new AbortController().signal);
    await again.started;
    again.settle(Buffer.from('fresh'));
    expect((await fresh).toString()).toBe('fresh');
    expect(again.calls).toBe(1);
    expect((await cache.getBytes('streamchunk:b:0'))?.toString()).toBe('fresh');
  });

  it('never cancels a load that a caller without a signal waits for', async () => {
    const flight = flightOver();
    const pending = pendingLoad();
    const leaving = new AbortController();
    const steady = flight.bytes('streamchunk:c:0', 60_000, pending.load);
    const walker = flight.bytes('streamchunk:c:0', 60_000, pending.load, leaving.signal);
    await pending.started;
    leaving.abort();
    await expect(walker).rejects.toThrow();
    expect(pending.cancelled).toBe(false);
    pending.settle(Buffer.from('kept'));
    expect((await steady).toString()).toBe('kept');
  });

  it('refuses at once a caller whose signal is already aborted, without loading', async () => {
    const flight = flightOver();
    const pending = pendingLoad();
    const gone = new AbortController();
    gone.abort();
    await expect(flight.bytes('streamchunk:d:0', 60_000, pending.load, gone.signal)).rejects.toThrow();
    expect(pending.calls).toBe(0);
  });
});
