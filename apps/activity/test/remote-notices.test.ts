import type { Member, RoomSnapshot } from '@dpp/shared';
import { describe, expect, it, vi } from 'vitest';
import { describeChange, requestNotice } from '../src/room/notices.ts';

const member = (userId: string, name: string, role: Member['role'], extra: Partial<Member> = {}): Member => ({
  userId,
  name,
  avatar: null,
  role,
  state: 'ready',
  ...extra,
});

const base: RoomSnapshot = {
  roomId: 'dev:lobby',
  seq: 1,
  playback: { rev: 1, itemId: 'demo-1', status: 'playing', positionMs: 0, atServerMs: 0, rate: 1, waitUntil: null },
  queue: [{ entryId: 'e1', itemId: 'demo-1', title: 'Big Clip', durationMs: 60_000, thumb: null, addedBy: 'Ana' }],
  members: [member('ana', 'Ana', 'host'), member('bo', 'Bo', 'member'), member('cy', 'Cy', 'member')],
  settings: { control: 'hosts' },
};
const withMembers = (...members: Member[]): RoomSnapshot => ({ ...base, members });
const command = (op: Extract<Parameters<typeof describeChange>[2], { type: 'command' }>['op'], userId: string) =>
  ({ type: 'command', op, userId }) as const;

describe('what the remote says to the others', () => {
  const asking = withMembers(
    member('ana', 'Ana', 'host'),
    member('bo', 'Bo', 'member', { asking: true }),
    base.members[2]!,
  );

  it('names who asked, who was let in or declined, and who got the remote', () => {
    expect(describeChange(base, asking, command('control.request', 'bo'), 'cy')?.text).toBe('Bo asks for control');
    const accepted = withMembers(member('ana', 'Ana', 'host'), member('bo', 'Bo', 'host'), base.members[2]!);
    expect(describeChange(asking, accepted, command('control.answer', 'ana'), 'bo')?.text).toBe(
      'Ana let you control playback',
    );
    expect(describeChange(asking, base, command('control.answer', 'ana'), 'cy')?.text).toBe(
      "Ana declined Bo's request",
    );
    const passed = withMembers(
      member('ana', 'Ana', 'member'),
      member('bo', 'Bo', 'member'),
      member('cy', 'Cy', 'host'),
    );
    expect(describeChange(base, passed, command('remote.pass', 'ana'), 'bo')?.text).toBe('Ana passed the remote to Cy');
    const removed = withMembers(base.members[0]!, base.members[2]!);
    expect(describeChange(base, removed, command('member.remove', 'ana'), 'cy')?.text).toBe(
      'Ana removed Bo from the watch party',
    );
  });

  it('says the speed and the reactions setting, and keeps quiet about a reaction (it floats instead)', () => {
    const fast = { ...base, playback: { ...base.playback, rate: 1.5 } };
    expect(describeChange(base, fast, command('rate', 'ana'), 'bo')?.text).toBe('Ana set the speed to 1.5×');
    const off = { ...base, settings: { ...base.settings, reactions: false } };
    expect(describeChange(base, off, command('settings', 'ana'), 'bo')?.text).toBe('Ana turned reactions off');
    expect(describeChange(base, base, command('react', 'ana'), 'bo')).toBeNull();
  });

  it('gives a host the request with Accept on it, and nobody else', () => {
    const accept = vi.fn();
    const notice = requestNotice(asking, command('control.request', 'bo'), 'ana', accept);
    expect(notice?.text).toBe('Bo asks for control');
    const action = notice?.needsAction;
    if (typeof action !== 'object') throw new Error('no action on the notice');
    expect(action.label).toBe('Accept');
    action.run();
    expect(accept).toHaveBeenCalledWith('bo');
    expect(requestNotice(asking, command('control.request', 'bo'), 'cy', accept)).toBeNull();
    expect(requestNotice(asking, command('pause', 'bo'), 'ana', accept)).toBeNull();
  });
});
