import type { Member } from '@dpp/shared';
import { useState } from 'react';
import type { RoomSession } from '../room/session.ts';
import { useApp, useMe } from '../room/store.ts';

/**
 * The remote, in the people panel: a host makes someone a host, passes them the remote (the only
 * host), answers their request in one click or removes them from the room; a member asks for control;
 * a host gives it up. The server decides (the same rules for the bot); refusals show as notices.
 */
export function MemberRemote({ session, member }: { session: RoomSession; member: Member }) {
  const me = useMe();
  // Removing is for the room's life: a second click confirms (Discord's frame allows no dialogs).
  const [confirming, setConfirming] = useState(false);
  if (me?.role !== 'host' || member.userId === me.userId) return null;
  const name = member.name;
  return (
    <div className="remote-actions" data-testid="member-remote">
      {member.asking ? (
        <>
          <button
            type="button"
            className="btn primary small"
            data-testid="accept-request"
            aria-label={`Let ${name} control playback`}
            onClick={() => session.send({ op: 'control.answer', userId: member.userId, accept: true })}
          >
            Accept
          </button>
          <button
            type="button"
            className="btn ghost small"
            data-testid="decline-request"
            aria-label={`Decline ${name}'s request`}
            onClick={() => session.send({ op: 'control.answer', userId: member.userId, accept: false })}
          >
            Decline
          </button>
        </>
      ) : (
        member.role !== 'host' && (
          <button
            type="button"
            className="btn ghost small"
            data-testid="make-host"
            aria-label={`Make ${name} a host`}
            onClick={() => session.send({ op: 'host.grant', userId: member.userId })}
          >
            Make host
          </button>
        )
      )}
      <button
        type="button"
        className="btn ghost small"
        data-testid="pass-remote"
        aria-label={`Pass the remote to ${name}`}
        onClick={() => session.send({ op: 'remote.pass', userId: member.userId })}
      >
        Pass remote
      </button>
      <button
        type="button"
        className="btn ghost small danger"
        data-testid="remove-member"
        aria-label={confirming ? `Confirm: remove ${name} for this watch party` : `Remove ${name} from the room`}
        title={confirming ? 'They cannot come back while this watch party lasts' : undefined}
        onClick={() => {
          if (!confirming) {
            setConfirming(true);
            return;
          }
          setConfirming(false);
          session.send({ op: 'member.remove', userId: member.userId });
        }}
        onBlur={() => setConfirming(false)}
      >
        {confirming ? 'Confirm remove' : 'Remove'}
      </button>
    </div>
  );
}

/** The viewer's own side of the remote: ask for control (hosts mode), or give up being host. */
export function MyRemote({ session }: { session: RoomSession }) {
  const me = useMe();
  const control = useApp((s) => s.snapshot?.settings.control);
  const others = useApp((s) => (s.snapshot?.members.length ?? 0) > 1);
  if (!me) return null;
  if (me.role === 'host') {
    if (!others) return null;
    return (
      <button
        type="button"
        className="btn ghost small"
        data-testid="resign-host"
        onClick={() => session.send({ op: 'host.resign' })}
      >
        Give up host
      </button>
    );
  }
  if (control !== 'hosts') return null;
  return (
    <button
      type="button"
      className="btn primary small"
      data-testid="ask-control"
      disabled={me.asking === true}
      onClick={() => session.send({ op: 'control.request' })}
    >
      {me.asking ? 'Asked for control…' : 'Ask for control'}
    </button>
  );
}
