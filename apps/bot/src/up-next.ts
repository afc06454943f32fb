import type { UpNext } from '@dpp/shared';
import { truncate } from './replies.ts';

/** Discord counts this down by itself, so the message stays right between edits. */
const startsIn = (upNext: UpNext) => `<t:${Math.round(upNext.startsAt / 1000)}:R>`;

/** The now-playing message while the room counts down to the next episode. */
export function upNextField(upNext: UpNext | null | undefined) {
  if (!upNext) return undefined;
  return { name: '⏭️ Up next', value: truncate(`${upNext.title} — starts ${startsIn(upNext)}`, 1024) };
}

/** The "nothing is playing" message after an episode ended, while the next one counts down. */
export function upNextDescription(upNext: UpNext): string {
  return `Next episode starts ${startsIn(upNext)}: **${truncate(upNext.title, 200)}**. Cancel it in the activity.`;
}
