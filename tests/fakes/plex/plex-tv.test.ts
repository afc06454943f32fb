import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakePlex, startFakePlex } from './index.ts';

let fake: FakePlex;
beforeAll(async () => {
  fake = await startFakePlex();
});
afterAll(() => fake.close());
beforeEach(() => fake.counters.reset());

const CLIENT = 'dpp-admin-client';
const tv = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  fetch(`${fake.plexTvUrl}${path}`, {
    ...init,
    headers: {
      Accept: 'application/json',
      'X-Plex-Product': 'Discord Plex Player',
      'X-Plex-Client-Identifier': CLIENT,
      ...init.headers,
    },
  });

interface Pin {
  id: number;
  code: string;
  authToken: string | null;
  clientIdentifier: string;
  expiresIn: number;
}

describe('fake plex.tv PIN sign-in', () => {
  it('creates a strong PIN, shows it unapproved, then hands out the account token once approved', async () => {
    const created = await tv('/api/v2/pins?strong=true', { method: 'POST' });
    expect(created.status).toBe(201);
    const pin = (await created.json()) as Pin;
    expect(pin.code).toMatch(/^[a-z0-9]{25}$/);
    expect(pin).toMatchObject({ clientIdentifier: CLIENT, authToken: null });
    expect(pin.expiresIn).toBeGreaterThan(0);

    expect(((await (await tv(`/api/v2/pins/${pin.id}`)).json()) as Pin).authToken).toBeNull();
    fake.approvePin(pin.id);
    const approved = (await (await tv(`/api/v2/pins/${pin.id}`)).json()) as Pin;
    expect(approved.authToken).toBe(fake.userToken);

    const user = await tv('/api/v2/user', { headers: { 'X-Plex-Token': approved.authToken! } });
    expect(await user.json()).toMatchObject({ username: 'fake-owner', authToken: fake.userToken });
    expect(fake.counters.calls('pinGet')).toBe(2);
  });

  it('makes short PINs without strong=true, approvable by code', async () => {
    const pin = (await (await tv('/api/v2/pins', { method: 'POST' })).json()) as Pin;
    expect(pin.code).toMatch(/^[A-Z0-9]{4}$/);
    fake.approvePin(pin.code);
    expect(((await (await tv(`/api/v2/pins/${pin.id}`)).json()) as Pin).authToken).toBe(fake.userToken);
  });

  it('approves through the stand-in auth page endpoint', async () => {
    const pin = (await (await tv('/api/v2/pins?strong=true', { method: 'POST' })).json()) as Pin;
    expect((await fetch(`${fake.plexTvUrl}/auth`)).headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${fake.plexTvUrl}/auth/approve/${pin.code}`, { method: 'POST' })).status).toBe(200);
    expect(((await (await tv(`/api/v2/pins/${pin.id}`)).json()) as Pin).authToken).toBe(fake.userToken);
  });

  it('refuses a PIN without client identifier, hides it from other clients, and forgets it once expired', async () => {
    const anonymous = await fetch(`${fake.plexTvUrl}/api/v2/pins`, {
      method: 'POST',
      headers: { Accept: 'application/json' },
    });
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toMatchObject({ errors: [{ status: 400 }] });

    const pin = (await (await tv('/api/v2/pins?strong=true', { method: 'POST' })).json()) as Pin;
    expect(
      (await tv(`/api/v2/pins/${pin.id}`, { headers: { 'X-Plex-Client-Identifier': 'someone-else' } })).status,
    ).toBe(404);
    fake.expirePin(pin.id);
    const gone = await tv(`/api/v2/pins/${pin.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ errors: [{ code: 1020, status: 404 }] });
    expect(() => fake.approvePin(pin.id)).toThrow(/no live PIN/);
  });
});

describe('fake plex.tv account and resources', () => {
  type Device = {
    clientIdentifier: string;
    provides: string;
    accessToken: string;
    connections: { uri: string; protocol: string; local: boolean; relay: boolean }[];
  };
  const resources = async (query: string) =>
    (await (
      await tv(`/api/v2/resources?${query}`, { headers: { 'X-Plex-Token': fake.userToken } })
    ).json()) as Device[];

  it('lists the server with its local https, remote and relay connections and its access token', async () => {
    const devices = await resources('includeHttps=1&includeRelay=1');
    const server = devices.find((d) => d.provides.split(',').includes('server'))!;
    expect(server).toMatchObject({ clientIdentifier: fake.machineIdentifier, accessToken: fake.token });
    expect(server.connections).toEqual([
      expect.objectContaining({ uri: fake.connections.localHttps.uri, protocol: 'https', local: true, relay: false }),
      expect.objectContaining({ uri: fake.connections.remote.uri, local: false, relay: false }),
      expect.objectContaining({ uri: fake.connections.relay.uri, local: false, relay: true }),
    ]);
    expect(devices.some((d) => d.provides.includes('player'))).toBe(true);

    const plain = (await resources('')).find((d) => d.provides === 'server')!;
    expect(plain.connections.map((c) => c.uri)).toEqual([fake.connections.local.uri, fake.connections.remote.uri]);
  });

  it('rejects a missing or wrong token with plex.tv-style JSON errors', async () => {
    for (const path of ['/api/v2/user', '/api/v2/resources']) {
      const res = await tv(path, { headers: { 'X-Plex-Token': 'wrong' } });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        errors: [{ code: 1001, message: 'User could not be authenticated', status: 401 }],
      });
    }
  });

  it('accepts the account token on the server too, as for the owner', async () => {
    const res = await fetch(`${fake.url}/library/sections`, { headers: { 'X-Plex-Token': fake.userToken } });
    expect(res.status).toBe(200);
  });
});
