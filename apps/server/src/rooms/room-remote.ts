/**
 * The remote: who holds host powers in a room, and how they change hands. Pure functions on a draft
 * record, like room-logic's, called from `applyCommand` once it has checked who may run them. The
 * same rules serve the room socket and the bot API (both reach them through the engine).
 */
import type { CommandIntent, ErrorCode } from '@dpp/shared';
import type { MemberRecord, RoomRecord } from './room-record.ts';

type RemoteIntent = Extract<
  CommandIntent,
  { op: 'host.grant' | 'host.resign' | 'remote.pass' | 'control.request' | 'control.answer' | 'member.remove' }
>;
export type RemoteOp = RemoteIntent['op'];

export const REMOTE_OPS: readonly RemoteOp[] = [
  'host.grant',
  'host.resign',
  'remote.pass',
  'control.request',
  'control.answer',
  'member.remove',
];

export const isRemoteIntent = (intent: CommandIntent): intent is RemoteIntent =>
  (REMOTE_OPS as readonly string[]).includes(intent.op);

/** What a remote op needs of its caller: any member asks or resigns; the rest is for hosts. */
export const remoteNeedsHost = (op: RemoteOp): boolean => op !== 'control.request' && op !== 'host.resign';

export type RemoteResult = { ok: true; changed: boolean } | { ok: false; code: ErrorCode; message?: string };

const done = (changed: boolean): RemoteResult => ({ ok: true, changed });
const refuse = (code: ErrorCode, message?: string): RemoteResult => ({ ok: false, code, message });

/** Users removed from the room for its life (they may not join again while it lasts). */
export const removedUsers = (room: RoomRecord): readonly string[] => room.removed ?? [];

function makeHost(member: MemberRecord) {
  member.role = 'host';
  delete member.asking;
}

/**
 * Applies a remote op for `actorId`, whose permission the caller checked (`isHost` for the ops that
 * need it). The creator who gives the remote away or resigns gives up the creator's standing too.
 */
export function applyRemote(room: RoomRecord, actorId: string, intent: RemoteIntent): RemoteResult {
  const actor = room.members.find((m) => m.userId === actorId);
  const target = 'userId' in intent ? room.members.find((m) => m.userId === intent.userId) : undefined;
  if ('userId' in intent && !target) return refuse('unknown_member');

  switch (intent.op) {
    case 'host.grant':
      if (target!.role === 'host' && !target!.asking) return done(false);
      makeHost(target!);
      return done(true);

    case 'host.resign': {
      if (!actor) return refuse('unknown_member');
      const standing = actor.role === 'host' || room.creatorId === actorId;
      if (!standing) return done(false);
      const others = room.members.filter((m) => m.userId !== actorId);
      if (others.length === 0) return refuse('not_allowed', 'You are the only one here: someone must hold the remote.');
      actor.role = 'member';
      if (room.creatorId === actorId) room.creatorId = null;
      // Somebody holds the remote: the one asking first, else whoever has been here longest.
      if (!others.some((m) => m.role === 'host')) {
        const heir = others.find((m) => m.asking) ?? [...others].sort((a, b) => a.joinedAt - b.joinedAt)[0];
        if (heir) makeHost(heir);
      }
      return done(true);
    }

    case 'remote.pass': {
      if (target!.userId === actorId) return done(false);
      for (const m of room.members) {
        if (m.userId !== target!.userId) m.role = 'member';
      }
      makeHost(target!);
      if (room.creatorId !== target!.userId) room.creatorId = null;
      return done(true);
    }

    case 'control.request':
      if (!actor) return refuse('unknown_member');
      if (room.settings.control === 'everyone') {
        return refuse('not_allowed', 'Everyone may control playback in this room already.');
      }
      if (actor.role === 'host' || room.creatorId === actorId || actor.asking) return done(false);
      actor.asking = true;
      return done(true);

    case 'control.answer':
      if (!target!.asking) return refuse('unknown_member', 'That member is not asking for control.');
      if (intent.accept) makeHost(target!);
      else delete target!.asking;
      return done(true);

    case 'member.remove': {
      if (target!.userId === actorId) return refuse('not_allowed', 'Leave the activity instead of removing yourself.');
      room.members = room.members.filter((m) => m.userId !== target!.userId);
      room.removed = [...removedUsers(room), target!.userId];
      if (room.creatorId === target!.userId) room.creatorId = null;
      if (!room.members.some((m) => m.role === 'host')) {
        const heir = actor ?? [...room.members].sort((a, b) => a.joinedAt - b.joinedAt)[0];
        if (heir) makeHost(heir);
      }
      return done(true);
    }

    default: {
      const never: never = intent;
      throw new Error(`unknown remote op ${JSON.stringify(never)}`);
    }
  }
}
