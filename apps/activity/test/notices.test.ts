import type { RoomSnapshot } from '@dpp/shared';
import { describe, expect, it } from 'vitest';
import { describeChange } from '../src/room/notices.ts';

const base: RoomSnapshot = {
  roomId: 'dev:lobby',
  seq: 1,
  playback: { rev: 1, itemId: 'demo-1', status: 'playing', positionMs: 0, atServerMs: 0, rate: 1, waitUntil: null },
  queue: [{ entryId: 'e1', itemId: 'demo-1', title: 'Big Clip', durationMs: 60_000, thumb: null, addedBy: 'Ana' }],
  members: [
    { userId: 'ana', name: 'Ana', avatar: null, role: 'host', state: 'ready' },
    { userId: 'bo', name: 'Bo', avatar: null, role: 'member', state: 'ready' },
  ],
  settings: { control: 'everyone' },
};

describe('describeChange', () => {
  it('says who paused, and where', () => {
    const after = { ...base, playback: { ...base.playback, status: 'paused' as const, positionMs: 723_000 } };
    expect(describeChange(base, after, { type: 'command', op: 'pause', userId: 'ana' }, 'bo')).toBe(
      'Ana paused at 12:03',
    );
  });

  it('stays quiet about the viewer’s own commands', () => {
    expect(describeChange(base, base, { type: 'command', op: 'pause', userId: 'bo' }, 'bo')).toBeNull();
  });

  it('names members who left from the room before the change', () => {
    const after = { ...base, members: base.members.slice(0, 1) };
    expect(describeChange(base, after, { type: 'member', event: 'left', userId: 'bo' }, 'ana')).toBe('Bo left');
  });

  it('announces what plays next when an item ends', () => {
    const next = { entryId: 'e2', itemId: 'demo-2', title: 'Second', durationMs: 1, thumb: null, addedBy: 'Bo' };
    const after = { ...base, queue: [next], playback: { ...base.playback, itemId: 'demo-2' } };
    expect(describeChange(base, after, { type: 'system', event: 'item-ended' }, 'ana')).toBe('Up next: “Second”');
  });

  it('mentions a member who falls behind, once', () => {
    const lagging = { ...base, members: [base.members[0]!, { ...base.members[1]!, state: 'lagging' as const }] };
    const cause = { type: 'member', event: 'state', userId: 'bo' } as const;
    expect(describeChange(base, lagging, cause, 'ana')).toBe('Bo is catching up');
    expect(describeChange(lagging, lagging, cause, 'ana')).toBeNull();
  });
});
