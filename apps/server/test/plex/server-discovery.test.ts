import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from '../../../../tests/fakes/plex/index.ts';
import { defaultIdentity } from '../../src/plex/headers.ts';
import { PlexClient } from '../../src/plex/plex-client.ts';
import { PlexTvClient } from '../../src/plex/plex-tv-client.ts';
import type { PlexConnection } from '../../src/plex/schemas.ts';
import { discoverServers, rankConnections } from '../../src/plex/server-discovery.ts';

const connection = (uri: string, local: boolean, relay: boolean): PlexConnection => {
  const url = new URL(uri);
  return {
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    address: url.hostname,
    port: Number(url.port),
    uri,
    local,
    relay,
  };
};

const relay = connection('https://relay.plex.direct:8443', false, true);
const remoteHttp = connection('http://203.0.113.5:32400', false, false);
const localHttp = connection('http://192.168.1.5:32400', true, false);
const remoteHttps = connection('https://203-0-113-5.abc.plex.direct:32400', false, false);
const localHttps = connection('https://192-168-1-5.abc.plex.direct:32400', true, false);

describe('connection preference', () => {
  it('prefers local https, then remote, then relay', () => {
    const ranked = rankConnections([relay, remoteHttp, localHttp, remoteHttps, localHttps], false);
    expect(ranked.map((c) => c.uri)).toEqual([
      localHttps.uri,
      remoteHttps.uri,
      remoteHttp.uri,
      localHttp.uri,
      relay.uri,
    ]);
  });

  it('drops plain http when the server requires https', () => {
    const ranked = rankConnections([relay, remoteHttp, localHttp, remoteHttps], true);
    expect(ranked.map((c) => c.uri)).toEqual([remoteHttps.uri, relay.uri]);
  });

  it('keeps the listed order among equals', () => {
    const other = connection('https://10-0-0-2.abc.plex.direct:32400', true, false);
    expect(rankConnections([other, localHttps], false)).toEqual([other, localHttps]);
  });
});

/** Discovery against the fake plex.tv, with its private certificate trusted so local https can work. */
describe('server discovery', () => {
  let fake: FakePlex;
  let tv: PlexTvClient;
  const identity = defaultIdentity('dpp-discovery-test');

  beforeAll(async () => {
    fake = await startFakePlex();
    tv = new PlexTvClient({ baseUrl: fake.plexTvUrl, identity });
  });
  afterAll(async () => {
    await fake?.close();
  });

  const discover = async (trustCa = true) => {
    const resources = await tv.resources(fake.userToken);
    const probe = (baseUrl: string, token: string) =>
      new PlexClient({ baseUrl, token, identity, http: { retries: 0, ...(trustCa ? { tlsCa: fake.tlsCa } : {}) } });
    return discoverServers(resources, fake.userToken, probe, 1000);
  };

  it('asks plex.tv for https and relay connections with the account token', async () => {
    await tv.resources(fake.userToken);
    const request = fake.counters.requests().findLast((r) => r.route === 'resources')!;
    expect(request.query).toMatchObject({ includeHttps: '1', includeRelay: '1' });
    expect(request.headers['x-plex-token']).toBe(fake.userToken);
  });

  it('picks local https while it works, then remote, then relay, then nothing', async () => {
    const expectConnection = async (uri: string | null) => {
      const servers = await discover();
      expect(servers).toHaveLength(1);
      expect(servers[0]).toMatchObject({ machineIdentifier: fake.machineIdentifier, token: fake.token });
      expect(servers[0]!.connection?.uri ?? null).toBe(uri);
    };
    await expectConnection(fake.connections.localHttps.uri);
    fake.connections.localHttps.state = 'down';
    await expectConnection(fake.connections.remote.uri);
    fake.connections.remote.state = 'hang';
    await expectConnection(fake.connections.relay.uri);
    fake.connections.relay.state = 'down';
    await expectConnection(null);
    for (const c of Object.values(fake.connections)) c.state = 'up';
  });

  it('does not trust an untrusted certificate', async () => {
    const [server] = await discover(false);
    expect(server!.connection).toMatchObject({ uri: fake.connections.remote.uri, kind: 'remote', secure: false });
  });

  it('ignores an address that answers as another server', async () => {
    const other = await startFakePlex();
    try {
      const resources = await tv.resources(fake.userToken);
      const [server] = resources.filter((r) => r.provides === 'server');
      // The best-ranked address now reaches another Plex server (say, after a DHCP change).
      const stale = other.connections.localHttps;
      server!.connections = [
        { protocol: 'https', address: '127.0.0.1', port: stale.port, uri: stale.uri, local: true, relay: false },
        ...server!.connections.filter((c) => !c.local),
      ];
      const probe = (baseUrl: string, token: string) =>
        new PlexClient({ baseUrl, token, identity, http: { retries: 0, tlsCa: fake.tlsCa } });
      const [found] = await discoverServers([server!], fake.userToken, probe, 1000);
      expect(found!.connection?.uri).toBe(fake.connections.remote.uri);
    } finally {
      await other.close();
    }
  });
});
