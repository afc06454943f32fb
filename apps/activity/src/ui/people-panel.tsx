import type { MemberState } from '@dpp/shared';
import type { RoomSession } from '../room/session.ts';
import { useApp, useMembers } from '../room/store.ts';
import { Avatar } from './avatar.tsx';
import { CrownIcon } from './icons.tsx';
import { MemberRemote, MyRemote } from './remote-controls.tsx';

const STATE_LABEL: Record<MemberState, string> = {
  ready: 'Ready',
  buffering: 'Buffering',
  lagging: 'Catching up',
  away: 'Away',
};

/** Who is here, with their state; the host is marked. In Discord, people still joining are listed too. */
export function PeoplePanel({ session }: { session: RoomSession }) {
  const members = useMembers();
  const participants = useApp((s) => s.participants);
  const youId = useApp((s) => s.you?.userId);
  const user = useApp((s) => s.user);
  const control = useApp((s) => s.snapshot?.settings.control);
  const names = new Set(members.map((m) => m.name));
  // SDK participants are Discord users; room members carry our user ids. Match by name as a hint.
  const joining = participants.filter((p) => !names.has(p.name) && p.id !== user?.discordId);
  const sorted = [...members].sort(
    (a, b) => Number(b.role === 'host') - Number(a.role === 'host') || a.name.localeCompare(b.name),
  );
  return (
    <div className="panel people" data-testid="people-panel">
      <div className="panel-note remote-note">
        <span>{control === 'hosts' ? 'Only hosts control playback.' : 'Everyone can control playback.'}</span>
        <MyRemote session={session} />
      </div>
      <ul className="people-list">
        {sorted.map((m) => {
          const avatarFromSdk = participants.find((p) => p.name === m.name)?.avatarUrl;
          return (
            <li key={m.userId} className={`person state-${m.state}`} data-testid="member" data-state={m.state}>
              <Avatar id={m.userId} name={m.name} url={m.avatar ?? avatarFromSdk} size={36} ring={m.state} />
              <div className="person-main">
                <span className="person-name">
                  {m.name}
                  {m.userId === youId && <span className="you"> (you)</span>}
                </span>
                <span className={`state-pill ${m.state}`}>{STATE_LABEL[m.state]}</span>
                {m.asking && (
                  <span className="state-pill asking" data-testid="asking">
                    Asks for control
                  </span>
                )}
              </div>
              {m.role === 'host' && (
                <span className="host-badge" title="Host">
                  <CrownIcon size={14} /> Host
                </span>
              )}
              <MemberRemote session={session} member={m} />
            </li>
          );
        })}
        {joining.map((p) => (
          <li key={p.id} className="person joining">
            <Avatar id={p.id} name={p.name} url={p.avatarUrl} size={36} />
            <div className="person-main">
              <span className="person-name">{p.name}</span>
              <span className="state-pill away">Joining…</span>
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
