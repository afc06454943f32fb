import { describe, expect, it } from 'vitest';
import { addressLocation, plexLocation } from '../../src/plex/network-location.ts';

describe('where Plex sees us (the transcoder’s location)', () => {
  it('counts private, loopback, link-local and unique-local addresses as lan', () => {
    for (const address of ['10.1.2.3', '172.20.0.5', '192.168.1.5', '127.0.0.1', '169.254.3.4', '100.64.0.9']) {
      expect(addressLocation(address), address).toBe('lan');
    }
    for (const address of ['::1', 'fd12:3456::1', 'fe80::1', '::ffff:192.168.0.2']) {
      expect(addressLocation(address), address).toBe('lan');
    }
  });

  it('counts public addresses as wan', () => {
    for (const address of ['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888', '::ffff:1.1.1.1']) {
      expect(addressLocation(address), address).toBe('wan');
    }
  });

  it('reads the address out of a plex.direct name without a lookup', async () => {
    expect(await plexLocation('https://192-168-1-5.0123456789abcdef0123456789abcdef.plex.direct:32400')).toBe('lan');
    expect(await plexLocation('https://203-0-114-7.0123456789abcdef0123456789abcdef.plex.direct:32400')).toBe('wan');
    expect(await plexLocation('https://fd00-0-0-0-0-0-0-1.0123456789abcdef0123456789abcdef.plex.direct:32400')).toBe(
      'lan',
    );
  });

  it('resolves other names, and calls a name that resolves to nothing wan', async () => {
    expect(await plexLocation('http://127.0.0.1:32400')).toBe('lan');
    expect(await plexLocation('http://[::1]:32400')).toBe('lan');
    expect(await plexLocation('http://localhost:32400')).toBe('lan');
    expect(await plexLocation('http://no-such-host.invalid:32400')).toBe('wan');
  });
});
