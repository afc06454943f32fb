import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sealer } from '../../src/lib/sealing.ts';
import { StreamIds, StreamRefs } from '../../src/streams/stream-ids.ts';

const secret = randomBytes(32);
const claims = { roomId: '123456789:987654321', itemId: '42', quality: '720p' as const, viewer: 'user-1' };

describe('stream ids', () => {
  it('round-trip their claims until they expire', () => {
    let now = 1_000_000;
    const ids = new StreamIds(secret, () => now);
    const { id } = ids.sign(claims, 60_000);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(ids.verify(id)).toEqual({ ok: true, claims: { ...claims, exp: 1_060_000 } });
    now = 1_060_000;
    expect(ids.verify(id)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuse a changed id, another key, and what is not an id', () => {
    const ids = new StreamIds(secret);
    const { id } = ids.sign(claims);
    const raw = Buffer.from(id, 'base64url');
    for (const at of [1, 13, raw.length - 1]) {
      const changed = Buffer.from(raw);
      changed[at] = (changed[at] ?? 0) ^ 1;
      expect(ids.verify(changed.toString('base64url'))).toEqual({ ok: false, reason: 'signature' });
    }
    expect(new StreamIds(randomBytes(32)).verify(id)).toEqual({ ok: false, reason: 'signature' });
    expect(ids.verify('garbage')).toEqual({ ok: false, reason: 'signature' });
    expect(ids.verify('not.an/id')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('reveal nothing of the room or the item, and are sealed for stream ids only', () => {
    const sealer = new Sealer(secret);
    const { id } = new StreamIds(sealer).sign(claims);
    expect(Buffer.from(id, 'base64url').toString('latin1')).not.toContain('987654321');
    expect(sealer.open('stream-id', id)).toBeDefined();
    expect(sealer.open('session', id)).toBeUndefined();
    expect(sealer.open('stream-ref', id)).toBeUndefined();
  });
});

describe('sealed playlist names', () => {
  const refs = new StreamRefs(secret);

  it('open only in the context they were sealed for', () => {
    const name = refs.seal('room-a\n42\n720p\nsession-1', '/video/:/transcode/universal/session/x/base/00001.ts');
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(name).not.toContain('transcode');
    expect(refs.open('room-a\n42\n720p\nsession-1', name)).toBe('/video/:/transcode/universal/session/x/base/00001.ts');
    expect(refs.open('room-b\n42\n720p\nsession-1', name)).toBeUndefined();
    expect(refs.open('room-a\n42\n720p\nsession-2', name)).toBeUndefined();
  });

  it('are the same for the same entry (so every member gets the same playlist) and unforgeable', () => {
    const a = refs.seal('ctx', 'seg-001.ts');
    expect(refs.seal('ctx', 'seg-001.ts')).toBe(a);
    expect(refs.seal('ctx', 'seg-002.ts')).not.toBe(a);
    const tampered = Buffer.from(a, 'base64url');
    tampered[14] = (tampered[14] ?? 0) ^ 1;
    expect(tampered.toString('base64url')).not.toBe(a);
    expect(refs.open('ctx', tampered.toString('base64url'))).toBeUndefined();
    expect(refs.open('ctx', 'AAAA')).toBeUndefined();
  });
});
