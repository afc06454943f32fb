import { PLAYBACK_RATES } from '@dpp/shared';
import type { RoomSession } from '../room/session.ts';
import { useApp, useCanControl } from '../room/store.ts';
import { Menu, MenuItem, MenuLabel } from './menu.tsx';

/** "1.5×", "0.75×", "1×". */
export const formatRate = (rate: number) => `${Number(rate.toFixed(2))}×`;

/** The room's speed (0.5× to 2×): a room command, so everyone plays at it; only those who may control change it. */
export function SpeedMenu({ session }: { session: RoomSession }) {
  const rate = useApp((s) => s.snapshot?.playback.rate ?? 1);
  const canControl = useCanControl();
  return (
    <Menu
      label={`Speed for everyone: ${formatRate(rate)}`}
      icon={
        <span className="speed-label" data-testid="speed-label">
          {formatRate(rate)}
        </span>
      }
      testId="speed-menu"
    >
      {(close) => (
        <>
          <MenuLabel>{canControl ? 'Speed (for everyone)' : 'Speed (hosts set it)'}</MenuLabel>
          {PLAYBACK_RATES.map((value) => (
            <MenuItem
              key={value}
              checked={rate === value}
              disabled={!canControl}
              onSelect={() => {
                if (value !== rate) session.send({ op: 'rate', rate: value });
                close();
              }}
            >
              {value === 1 ? 'Normal' : formatRate(value)}
            </MenuItem>
          ))}
        </>
      )}
    </Menu>
  );
}
