import type { ControlMode } from '@dpp/shared';
import type { ReactNode } from 'react';
import type { RoomSession } from '../room/session.ts';
import { openPlexDialog, showPanel, useApp, useMe, useMembers } from '../room/store.ts';
import { AutoplayNextSetting } from './autoplay-setting.tsx';
import { Avatar } from './avatar.tsx';
import { GearIcon } from './icons.tsx';
import { Menu, MenuItem, MenuLabel } from './menu.tsx';
import { SyncBadge } from './sync-badge.tsx';

/**
 * The room's header: name, sync state, who is watching, settings. `notices` is the slot where the
 * focused layout shows its one notice (beside the title, off the picture); `children` go at the end
 * (the compact sheet's close button).
 */
export function TopBar({
  session,
  onSignOut,
  notices,
  children,
}: {
  session: RoomSession;
  onSignOut: () => void;
  notices: ReactNode;
  children?: ReactNode;
}) {
  const mode = useApp((s) => s.mode);
  const label = useApp((s) => s.roomLabel);
  const members = useMembers();
  const control = useApp((s) => s.snapshot?.settings.control);
  const reactions = useApp((s) => s.snapshot?.settings.reactions !== false);
  const canManage = useApp((s) => s.canManage);
  const me = useMe();
  const user = useApp((s) => s.user);
  const isHost = me?.role === 'host';
  const present = members.filter((m) => m.state !== 'away');
  const setControl = (value: ControlMode) => session.send({ op: 'settings', control: value });

  return (
    <header className="top-bar">
      <div className="room-title">
        <span className="brand-dot" aria-hidden="true" />
        <div className="room-name">
          <span className="room-kicker">{mode === 'discord' ? 'Watch party' : 'Standalone room'}</span>
          <h1 data-testid="room-label">{label}</h1>
        </div>
      </div>
      {notices}
      <SyncBadge />
      <button
        type="button"
        className="avatar-stack"
        aria-label={`${present.length} watching; show people`}
        onClick={() => showPanel('people')}
      >
        {present.slice(0, 4).map((m) => (
          <Avatar key={m.userId} id={m.userId} name={m.name} url={m.avatar} size={26} ring={m.state} />
        ))}
        {present.length > 4 && <span className="avatar-more" data-more={`+${present.length - 4}`} aria-hidden="true" />}
      </button>
      <Menu label="Settings" icon={<GearIcon />} testId="settings-menu">
        {(close) => (
          <>
            <MenuLabel>{user ? `Signed in as ${user.name}` : 'Settings'}</MenuLabel>
            {isHost && (
              <>
                <MenuLabel>Who controls playback</MenuLabel>
                <MenuItem checked={control === 'everyone'} onSelect={() => setControl('everyone')}>
                  Everyone
                </MenuItem>
                <MenuItem checked={control === 'hosts'} onSelect={() => setControl('hosts')}>
                  Hosts only
                </MenuItem>
                <AutoplayNextSetting session={session} />
                <MenuLabel>Reactions</MenuLabel>
                <MenuItem checked={reactions} onSelect={() => session.send({ op: 'settings', reactions: !reactions })}>
                  Emoji reactions
                </MenuItem>
              </>
            )}
            {canManage && (
              <MenuItem
                onSelect={() => {
                  openPlexDialog();
                  close();
                }}
              >
                Plex server…
              </MenuItem>
            )}
            {mode === 'standalone' && (
              <MenuItem
                onSelect={() => {
                  close();
                  onSignOut();
                }}
              >
                Change name
              </MenuItem>
            )}
          </>
        )}
      </Menu>
      {children}
    </header>
  );
}
