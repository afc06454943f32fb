import type { Cause, RoomSnapshot } from '@dpp/shared';
import { formatTime } from '@dpp/shared';
import type { NoticeInput } from './app-state.ts';

const quoted = (title: string | undefined) => (title ? `“${title}”` : 'an item');

/**
 * The short line shown when someone else acts ("Ana paused at 12:03"), as a notice keyed by what
 * happened, so that repeats collapse ("Ana and Ben paused at 12:05"). `before` and `after` are the
 * room around the broadcast (names of members who left come from `before`). Null: nothing worth
 * saying, including the viewer's own commands (they saw them happen).
 */
export function describeChange(
  before: RoomSnapshot,
  after: RoomSnapshot,
  cause: Cause,
  youId: string,
): NoticeInput | null {
  const said = (key: string, actor: string, action: string): NoticeInput => ({
    key,
    actor,
    action,
    text: `${actor} ${action}`,
  });
  const line = (key: string, text: string): NoticeInput => ({ key, text });
  const text = describeText(before, after, cause, youId);
  if (text === null) return null;
  switch (cause.type) {
    case 'command':
    case 'member': {
      // Every line about a person starts with their name: the rest is what they did.
      const actor = nameIn(before, after, cause.userId);
      const key = cause.type === 'command' ? `command:${cause.op}` : `member:${cause.event}`;
      return text.startsWith(`${actor} `) ? said(key, actor, text.slice(actor.length + 1)) : line(key, text);
    }
    case 'system':
      return line(`system:${cause.event}`, text);
    default: {
      const never: never = cause;
      return never;
    }
  }
}

function nameIn(before: RoomSnapshot, after: RoomSnapshot, userId: string): string {
  return (
    after.members.find((m) => m.userId === userId)?.name ??
    before.members.find((m) => m.userId === userId)?.name ??
    'Someone'
  );
}

/** The words of a change's notice (see describeChange). */
function describeText(before: RoomSnapshot, after: RoomSnapshot, cause: Cause, youId: string): string | null {
  const nameOf = (userId: string) => nameIn(before, after, userId);
  const current = after.playback.itemId === null ? undefined : after.queue[0];
  const at = formatTime(after.playback.positionMs);

  switch (cause.type) {
    case 'command': {
      if (cause.userId === youId) return null;
      const who = nameOf(cause.userId);
      switch (cause.op) {
        case 'play':
          return `${who} resumed at ${at}`;
        case 'pause':
          return `${who} paused at ${at}`;
        case 'seek':
          return `${who} jumped to ${at}`;
        case 'load':
          return `${who} started ${quoted(current?.title)}`;
        case 'queue.add': {
          const added = after.queue.find((e) => !before.queue.some((b) => b.entryId === e.entryId));
          if (before.playback.itemId === null && current) return `${who} started ${quoted(current.title)}`;
          return `${who} added ${quoted(added?.title)} to the queue`;
        }
        case 'queue.remove': {
          const removed = before.queue.find((e) => !after.queue.some((a) => a.entryId === e.entryId));
          return `${who} removed ${quoted(removed?.title)}`;
        }
        case 'queue.move':
          return `${who} reordered the queue`;
        case 'next':
          return current ? `${who} skipped to ${quoted(current.title)}` : `${who} skipped; the queue is empty`;
        case 'rate':
          return `${who} set the speed to ${after.playback.rate}×`;
        case 'settings':
          if ((before.settings.autoplayNext ?? true) !== (after.settings.autoplayNext ?? true)) {
            return after.settings.autoplayNext === false
              ? `${who} turned off playing the next episode`
              : `${who} turned on playing the next episode`;
          }
          if (
            before.settings.reactions !== after.settings.reactions &&
            before.settings.control === after.settings.control
          ) {
            return after.settings.reactions === false ? `${who} turned reactions off` : `${who} turned reactions on`;
          }
          return after.settings.control === 'hosts'
            ? `${who} gave playback control to hosts only`
            : `${who} let everyone control playback`;
        case 'upnext.cancel':
          return `${who} cancelled the next episode`;
        case 'upnext.play':
          return `${who} started ${quoted(current?.title)}`;
        case 'react':
          // The emoji itself floats over the picture.
          return null;
        case 'host.grant':
        case 'host.resign':
        case 'remote.pass':
        case 'control.request':
        case 'control.answer':
        case 'member.remove':
          return describeRemote(before, after, cause.op, who, youId);
        default: {
          const never: never = cause.op;
          return String(never);
        }
      }
    }
    case 'member': {
      if (cause.userId === youId) return null;
      const who = nameOf(cause.userId);
      switch (cause.event) {
        case 'joined':
          return `${who} joined`;
        case 'returned':
          return `${who} is back`;
        case 'away':
          return `${who} lost connection`;
        case 'left':
          return `${who} left`;
        case 'state': {
          const was = before.members.find((m) => m.userId === cause.userId)?.state;
          const now = after.members.find((m) => m.userId === cause.userId)?.state;
          return now === 'lagging' && was !== 'lagging' ? `${who} is catching up` : null;
        }
        default: {
          const never: never = cause;
          return String(never);
        }
      }
    }
    case 'system':
      switch (cause.event) {
        case 'wait-timeout': {
          const lagging = after.members.filter((m) => m.state === 'lagging' && m.userId !== youId).map((m) => m.name);
          return lagging.length > 0
            ? `Playing on; ${lagging.join(', ')} will catch up when loaded`
            : 'Playing on; some viewers will catch up when loaded';
        }
        case 'item-ended':
          // A countdown to the next episode shows its own card.
          if (after.upNext) return null;
          return current ? `Up next: ${quoted(current.title)}` : 'That was the end of the queue';
        case 'up-next':
          return after.upNext ? null : current ? `Now playing ${quoted(current.title)}` : null;
        case 'restored':
          // The banner says it for as long as the room holds paused.
          return null;
        default: {
          const never: never = cause;
          return String(never);
        }
      }
    default: {
      const never: never = cause;
      return String(never);
    }
  }
}

/** What a change of the remote says, from the members before and after (the cause names only the actor). */
function describeRemote(
  before: RoomSnapshot,
  after: RoomSnapshot,
  op: 'host.grant' | 'host.resign' | 'remote.pass' | 'control.request' | 'control.answer' | 'member.remove',
  who: string,
  youId: string,
): string {
  const name = (userId: string) => (userId === youId ? 'you' : nameIn(before, after, userId));
  const roleOf = (snap: RoomSnapshot, userId: string) => snap.members.find((m) => m.userId === userId)?.role;
  const newHosts = after.members.filter((m) => m.role === 'host' && roleOf(before, m.userId) !== 'host');
  const hosts = joinNamesShort(newHosts.map((m) => name(m.userId)));
  switch (op) {
    case 'host.grant':
      return `${who} made ${hosts || 'someone'} a host`;
    case 'host.resign':
      return hosts
        ? `${who} gave up being host; ${hosts} now ${newHosts.length > 1 ? 'hold' : 'holds'} the remote`
        : `${who} gave up being host`;
    case 'remote.pass':
      return `${who} passed the remote to ${hosts || 'someone'}`;
    case 'control.request':
      return `${who} asks for control`;
    case 'control.answer': {
      const asked = before.members.find((m) => m.asking && !after.members.find((a) => a.userId === m.userId)?.asking);
      const target = asked ? name(asked.userId) : 'someone';
      return newHosts.length > 0 ? `${who} let ${target} control playback` : `${who} declined ${target}'s request`;
    }
    case 'member.remove': {
      const gone = before.members.find((m) => !after.members.some((a) => a.userId === m.userId));
      return `${who} removed ${gone ? name(gone.userId) : 'someone'} from the watch party`;
    }
    default: {
      const never: never = op;
      return String(never);
    }
  }
}

const joinNamesShort = (names: string[]) =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/**
 * For a host, a member's request for control is a notice with its answer on it: one click accepts
 * (declining is in the people panel, or letting the notice go). Null for everyone else.
 */
export function requestNotice(
  after: RoomSnapshot,
  cause: Cause,
  youId: string,
  accept: (userId: string) => void,
): NoticeInput | null {
  if (cause.type !== 'command' || cause.op !== 'control.request' || cause.userId === youId) return null;
  if (after.members.find((m) => m.userId === youId)?.role !== 'host') return null;
  const asker = after.members.find((m) => m.userId === cause.userId);
  if (!asker?.asking) return null;
  return {
    key: `ask:${asker.userId}`,
    text: `${asker.name} asks for control`,
    needsAction: { label: 'Accept', run: () => accept(asker.userId) },
  };
}
