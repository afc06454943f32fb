import { readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../support/wait.ts';
import { type FakePlex, startFakePlex } from './index.ts';
import { bytesOf, plexFetch, plexHeaders } from './test-client.ts';

let fake: FakePlex;
beforeAll(async () => {
  fake = await startFakePlex();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.counters.reset();
  fake.faults.clear();
  for (const c of Object.values(fake.connections)) c.state = 'up';
});

/** Sends a request that the test aborts once the fake has seen it; resolves with what happened. */
async function abortAfterArrival(path: string, route: Parameters<FakePlex['counters']['calls']>[0]) {
  const controller = new AbortController();
  let settled = false;
  const pending = plexFetch(fake, path, { signal: controller.signal }).then(
    (res) => ({ status: res.status }),
    (error: Error) => ({ error: error.name }),
  );
  void pending.then(() => {
    settled = true;
  });
  await waitFor(() => fake.counters.calls(route) === 1, { what: `the fake to receive ${path}` });
  // Another request completes while this one is held: it is not answered.
  expect((await plexFetch(fake, '/identity')).status).toBe(200);
  expect(settled).toBe(false);
  controller.abort();
  const outcome = await pending;
  await waitFor(() => fake.counters.aborted(route) === 1, { what: 'the fake to see the abort' });
  return outcome;
}

describe('fake Plex faults', () => {
  it('answers an injected HTTP error for the next N calls of one route only', async () => {
    const handle = fake.faults.error('sections', 503, 2);
    expect((await plexFetch(fake, '/library/sections')).status).toBe(503);
    expect((await plexFetch(fake, '/library/metadata/101')).status).toBe(200);
    expect((await plexFetch(fake, '/library/sections')).status).toBe(503);
    expect((await plexFetch(fake, '/library/sections')).status).toBe(200);
    expect(handle.hits).toBe(2);
    expect(fake.counters.calls('sections')).toBe(3);
  });

  it('injects a custom status and body through inject(), matched by path', async () => {
    fake.inject({ path: /^\/library\/metadata\/102$/, action: { kind: 'status', status: 500, body: 'boom' } });
    const res = await plexFetch(fake, '/library/metadata/102');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('boom');
    expect((await plexFetch(fake, '/library/metadata/101')).status).toBe(200);
  });

  it('holds a request for the injected latency', async () => {
    fake.faults.latency(60_000, 'sections');
    expect(await abortAfterArrival('/library/sections', 'sections')).toEqual({ error: 'AbortError' });
  });

  it('never answers a timed-out route', async () => {
    fake.faults.timeout('search');
    expect(await abortAfterArrival('/hubs/search?query=sync', 'search')).toEqual({ error: 'AbortError' });
  });

  it('resets the connection', async () => {
    fake.faults.reset('metadata', 1);
    await expect(plexFetch(fake, '/library/metadata/101')).rejects.toThrow(TypeError);
    expect((await plexFetch(fake, '/library/metadata/101')).status).toBe(200);
    expect(fake.counters.calls('metadata')).toBe(2);
    expect(fake.counters.aborted('metadata')).toBe(1);
  });

  it('cuts a body after N bytes, and trickles a slow body out intact', async () => {
    const movie = fake.catalog.movies[0]!;
    fake.faults.cutBody('part', 10_000, 1);
    const res = await plexFetch(fake, movie.part.key);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(fake.counters.bytes('part')).toBe(10_000);

    fake.faults.slowBody('transcodeStart', 2000);
    await plexFetch(fake, '/video/:/transcode/universal/start.m3u8?path=/library/metadata/101&session=slow');
    fake.faults.clear();
    fake.faults.slowBody('transcodeSegment', 200_000);
    const segment = await bytesOf(await plexFetch(fake, '/video/:/transcode/universal/session/slow/base/00000.ts'));
    expect(segment.equals(readFileSync(movie.clip.renditions[0]!.segments[0]!.file))).toBe(true);
    await plexFetch(fake, '/transcode/sessions/slow', { method: 'DELETE' });
  });

  it('applies the global latency (an option, changeable at run time) to every route', async () => {
    fake.faults.globalLatencyMs = 60_000;
    const controller = new AbortController();
    const pending = plexFetch(fake, '/library/sections', { signal: controller.signal }).catch((e: Error) => e.name);
    await waitFor(() => fake.counters.calls('sections') === 1, { what: 'the request to arrive' });
    controller.abort();
    expect(await pending).toBe('AbortError');
  });
});

describe('fake Plex connections', () => {
  it('serves the same API on the https, remote and relay connections', async () => {
    const dispatcher = new Agent({ connect: { ca: fake.tlsCa } });
    try {
      const res = await undiciFetch(`${fake.connections.localHttps.uri}/identity`, {
        dispatcher,
        headers: { Accept: 'application/json' },
      });
      expect(
        ((await res.json()) as { MediaContainer: { machineIdentifier: string } }).MediaContainer.machineIdentifier,
      ).toBe(fake.machineIdentifier);
    } finally {
      await dispatcher.close();
    }
    for (const c of [fake.connections.remote, fake.connections.relay]) {
      const res = await fetch(`${c.uri}/library/sections`, { headers: plexHeaders(fake) });
      expect(res.status).toBe(200);
    }
    expect(fake.counters.requests('sections').map((r) => r.connection)).toEqual(['remote', 'relay']);
  });

  it('makes a connection unreachable (down) or unresponsive (hang), and back', async () => {
    fake.connections.remote.state = 'down';
    await expect(fetch(`${fake.connections.remote.uri}/identity`)).rejects.toThrow(TypeError);
    expect((await fetch(`${fake.url}/identity`)).status).toBe(200);

    fake.connections.relay.state = 'hang';
    const controller = new AbortController();
    const pending = fetch(`${fake.connections.relay.uri}/identity`, { signal: controller.signal }).catch(
      (e: Error) => e.name,
    );
    await waitFor(() => fake.counters.requests('identity').some((r) => r.connection === 'relay'));
    controller.abort();
    expect(await pending).toBe('AbortError');

    fake.connections.remote.state = 'up';
    fake.connections.relay.state = 'up';
    expect((await fetch(`${fake.connections.remote.uri}/identity`)).status).toBe(200);
    expect((await fetch(`${fake.connections.relay.uri}/identity`)).status).toBe(200);
  });

  it('logs requests with their headers, and resets its counters', async () => {
    await plexFetch(fake, '/library/sections');
    const [record] = fake.counters.requests('sections');
    expect(record).toMatchObject({ method: 'GET', status: 200, connection: 'local', aborted: false });
    expect(record!.headers['x-plex-client-identifier']).toBe('fake-plex-tests');
    expect(fake.counters.snapshot()).toMatchObject({ total: 1, calls: { sections: 1 } });
    fake.counters.reset();
    expect(fake.counters.snapshot()).toMatchObject({ total: 0, bytesServed: 0, calls: {} });
    expect(fake.counters.requests()).toEqual([]);
  });
});
