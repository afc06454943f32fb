import type { RoomSession } from '../room/session.ts';
import { useApp } from '../room/store.ts';
import { MenuItem, MenuLabel } from './menu.tsx';

/** The room setting (hosts): offer the next episode ("Up next") when one ends, or not. */
export function AutoplayNextSetting({ session }: { session: RoomSession }) {
  const on = useApp((s) => s.snapshot?.settings.autoplayNext !== false);
  return (
    <>
      <MenuLabel>Series</MenuLabel>
      <MenuItem checked={on} onSelect={() => session.send({ op: 'settings', autoplayNext: !on })}>
        Play the next episode
      </MenuItem>
    </>
  );
}
