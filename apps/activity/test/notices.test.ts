import type { RoomSnapshot } from '@dpp/shared';
import { describe, expect, it, vi } from 'vitest';
import { describeChange } from '../src/room/notices.ts';
import { dismissNotice, postNotice, readApp } from '../src/room/store.ts';

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
    expect(describeChange(base, after, { type: 'command', op: 'pause', userId: 'ana' }, 'bo')?.text).toBe(
      'Ana paused at 12:03',
    );
  });

  it('stays quiet about the viewer’s own commands', () => {
    expect(describeChange(base, base, { type: 'command', op: 'pause', userId: 'bo' }, 'bo')).toBeNull();
  });

  it('names members who left from the room before the change', () => {
    const after = { ...base, members: base.members.slice(0, 1) };
    expect(describeChange(base, after, { type: 'member', event: 'left', userId: 'bo' }, 'ana')?.text).toBe('Bo left');
  });

  it('announces what plays next when an item ends', () => {
    const next = { entryId: 'e2', itemId: 'demo-2', title: 'Second', durationMs: 1, thumb: null, addedBy: 'Bo' };
    const after = { ...base, queue: [next], playback: { ...base.playback, itemId: 'demo-2' } };
    expect(describeChange(base, after, { type: 'system', event: 'item-ended' }, 'ana')?.text).toBe('Up next: “Second”');
  });

  it('leaves the next episode to its card, and says who cancelled it or turned it off', () => {
    const upNext = { itemId: 'demo-2', title: 'Two', durationMs: 1, thumb: null, startsAt: 10_000 };
    const ended = { ...base, queue: [], playback: { ...base.playback, itemId: null }, upNext };
    expect(describeChange(base, ended, { type: 'system', event: 'item-ended' }, 'ana')).toBeNull();
    expect(describeChange(base, { ...base, upNext }, { type: 'system', event: 'up-next' }, 'ana')).toBeNull();
    const cancelled = { ...base, upNext: null };
    expect(describeChange(base, cancelled, { type: 'command', op: 'upnext.cancel', userId: 'bo' }, 'ana')?.text).toBe(
      'Bo cancelled the next episode',
    );
    const off = { ...base, settings: { control: 'everyone' as const, autoplayNext: false } };
    expect(describeChange(base, off, { type: 'command', op: 'settings', userId: 'ana' }, 'bo')?.text).toBe(
      'Ana turned off playing the next episode',
    );
  });

  it('mentions a member who falls behind, once', () => {
    const lagging = { ...base, members: [base.members[0]!, { ...base.members[1]!, state: 'lagging' as const }] };
    const cause = { type: 'member', event: 'state', userId: 'bo' } as const;
    expect(describeChange(base, lagging, cause, 'ana')?.text).toBe('Bo is catching up');
    expect(describeChange(lagging, lagging, cause, 'ana')).toBeNull();
  });
});

describe('notices', () => {
  const paused = (name: string, at: string) => ({
    key: 'command:pause',
    actor: name,
    action: `paused at ${at}`,
    text: `${name} paused at ${at}`,
  });
  const shown = () => readApp().notices.map((n) => n.text);
  const clear = () => {
    for (const n of readApp().notices) dismissNotice(n.id);
  };

  it('collapses repeats into one line naming everyone', () => {
    clear();
    postNotice(paused('Ana', '0:10'));
    postNotice(paused('Ben', '0:12'));
    postNotice(paused('Ana', '0:14'));
    expect(shown()).toEqual(['Ben and Ana paused at 0:14']);
    clear();
  });

  it('keys a change by what happened, with the actor apart', () => {
    const after = { ...base, playback: { ...base.playback, status: 'paused' as const, positionMs: 5_000 } };
    expect(describeChange(base, after, { type: 'command', op: 'pause', userId: 'ana' }, 'bo')).toEqual({
      key: 'command:pause',
      actor: 'Ana',
      action: 'paused at 0:05',
      text: 'Ana paused at 0:05',
    });
  });

  it('shows one at a time, puts what needs an action first and keeps only a short line waiting', () => {
    clear();
    for (const text of ['one', 'two', 'three', 'four']) postNotice({ text, key: text });
    expect(shown()).toEqual(['one', 'three', 'four']);
    postNotice({ text: 'Stream failed', kind: 'error', needsAction: true, key: 'stream' });
    expect(shown()[0]).toBe('Stream failed');
    clear();
  });

  it('keeps a notice that needs an action until it is dismissed', () => {
    vi.useFakeTimers();
    try {
      clear();
      postNotice({ text: 'Cannot reach Plex', kind: 'error', needsAction: true });
      postNotice({ text: 'Ana joined' });
      vi.advanceTimersByTime(60_000);
      expect(shown()).toEqual(['Cannot reach Plex', 'Ana joined']);
      dismissNotice(readApp().notices[0]!.id);
      expect(shown()).toEqual(['Ana joined']);
      vi.advanceTimersByTime(5_000);
      expect(shown()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
