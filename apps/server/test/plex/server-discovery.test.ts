import { describe, expect, it } from 'vitest';
import type { PlexConnection } from '../../src/plex/schemas.ts';
import { rankConnections } from '../../src/plex/server-discovery.ts';

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
