import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sealer } from '../../src/lib/sealing.ts';

const secret = randomBytes(32);

describe('the sealing module', () => {
  const sealer = new Sealer(secret);

  it('opens what it sealed, for the same purpose only', () => {
    const sealed = sealer.seal('plex-token', 'abc-token');
    expect(sealer.open('plex-token', sealed)).toEqual({ value: 'abc-token', stale: false });
    for (const other of ['session', 'stream-id', 'stream-ref', 'art-id', 'stream-descriptor']) {
      expect(sealer.open(other, sealed)).toBeUndefined();
    }
  });

  it('binds a context: a value sealed for one opens in no other', () => {
    const sealed = sealer.seal('stream-ref', 'seg-1.ts', { context: 'room-a' });
    expect(sealer.open('stream-ref', sealed, { context: 'room-a' })?.value).toBe('seg-1.ts');
    expect(sealer.open('stream-ref', sealed, { context: 'room-b' })).toBeUndefined();
    expect(sealer.open('stream-ref', sealed)).toBeUndefined();
  });

  it('is deterministic only when asked', () => {
    expect(sealer.seal('art-id', 'x', { deterministic: true })).toBe(
      sealer.seal('art-id', 'x', { deterministic: true }),
    );
    expect(sealer.seal('art-id', 'x', { deterministic: true })).not.toBe(
      sealer.seal('art-id', 'y', { deterministic: true }),
    );
    expect(sealer.seal('art-id', 'x', { context: 'a', deterministic: true })).not.toBe(
      sealer.seal('art-id', 'x', { context: 'b', deterministic: true }),
    );
    expect(sealer.seal('plex-token', 'x')).not.toBe(sealer.seal('plex-token', 'x'));
  });

  it('refuses anything altered, truncated, of another version, or not sealed at all', () => {
    const sealed = sealer.seal('session', 'hello world');
    const raw = Buffer.from(sealed, 'base64url');
    for (let at = 0; at < raw.length; at++) {
      const altered = Buffer.from(raw);
      altered[at] = (altered[at] ?? 0) ^ 0x80;
      expect(sealer.open('session', altered.toString('base64url')), `byte ${at}`).toBeUndefined();
    }
    expect(sealer.open('session', raw.subarray(0, raw.length - 1).toString('base64url'))).toBeUndefined();
    // Another spelling of the same bytes (Node's decoder would skip the extras) is refused too.
    for (const extra of ['x', '=', '.', '!']) expect(sealer.open('session', `${sealed}${extra}`)).toBeUndefined();
    for (const junk of ['', 'AAAA', 'hello world', 'v1:abc', 'A'.repeat(70_000)]) {
      expect(sealer.open('session', junk)).toBeUndefined();
    }
  });

  it('reads values sealed under SECRET_KEY_PREVIOUS as stale, and seals new ones under the current key', () => {
    const old = new Sealer(secret);
    const sealedBefore = old.seal('plex-token', 'before the rotation');
    const rotated = new Sealer(randomBytes(32), secret);
    expect(rotated.open('plex-token', sealedBefore)).toEqual({ value: 'before the rotation', stale: true });
    const sealedAfter = rotated.seal('plex-token', 'after');
    expect(rotated.open('plex-token', sealedAfter)).toEqual({ value: 'after', stale: false });
    // The old key cannot read what the new one sealed; without the previous key, old values are gone.
    expect(old.open('plex-token', sealedAfter)).toBeUndefined();
    expect(new Sealer(randomBytes(32)).open('plex-token', sealedBefore)).toBeUndefined();
  });

  it('never shows the value in what it seals', () => {
    const value = 'http://10.0.0.5:32400/library/parts/1/file.mkv?X-Plex-Token=secret-token';
    for (const deterministic of [false, true]) {
      const sealed = sealer.seal('stream-descriptor', value, { deterministic });
      const bytes = Buffer.from(sealed, 'base64url').toString('latin1');
      for (const piece of ['10.0.0.5', 'secret-token', 'library']) {
        expect(sealed).not.toContain(piece);
        expect(bytes).not.toContain(piece);
      }
    }
  });
});
