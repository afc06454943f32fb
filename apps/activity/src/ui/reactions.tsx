import { PICKER_REACTIONS, QUICK_REACTIONS, type ReactionEmoji, type ReactionMark } from '@dpp/shared';
import { useEffect, useRef, useState } from 'react';
import type { AppState } from '../room/app-state.ts';
import type { RoomSession } from '../room/session.ts';
import { readApp, useApp, useItemId, watchApp } from '../room/store.ts';
import { Emoji } from './emoji.tsx';
import { Menu, MenuLabel } from './menu.tsx';

const FLOAT_MS = 2600;

const reactionsOn = (s: AppState) => s.snapshot?.settings.reactions !== false;

/** The reaction picker: the quick set first, then the common ones of Discord's picker. */
export function ReactionMenu({ session }: { session: RoomSession }) {
  const on = useApp(reactionsOn);
  if (!on) return null;
  const button = (emoji: ReactionEmoji) => (
    <button
      key={emoji}
      type="button"
      role="menuitem"
      tabIndex={-1}
      className="reaction-choice"
      aria-label={`React ${emoji}`}
      data-testid="reaction-choice"
      onClick={() => session.send({ op: 'react', emoji })}
    >
      <Emoji emoji={emoji} size={22} />
    </button>
  );
  return (
    <Menu label="React" icon={<Emoji emoji="😂" size={20} />} testId="reaction-menu" className="reaction-menu">
      {() => (
        <>
          <div className="reaction-row">{QUICK_REACTIONS.map(button)}</div>
          <MenuLabel>More</MenuLabel>
          <div className="reaction-grid">{PICKER_REACTIONS.map(button)}</div>
        </>
      )}
    </Menu>
  );
}

interface Floating {
  key: string;
  emoji: ReactionEmoji;
  left: number;
  /** Server time it showed at (tests compare the pages). */
  shownAt: number;
}

/**
 * Reactions floating over the picture. Each new mark shows at its `at`, in server time, so every
 * viewer sees it at the same instant; marks that were there when the viewer joined do not float.
 */
export function ReactionLayer({ session }: { session: RoomSession }) {
  const [floating, setFloating] = useState<Floating[]>([]);
  const seen = useRef<number | null>(null);

  useEffect(() => {
    const timers = new Set<number>();
    const show = (mark: ReactionMark, index: number) => {
      const key = `${mark.at}:${index}:${mark.emoji}`;
      // Spread across the picture, the same place for everyone.
      const left = 12 + ((Math.round(mark.at) * 37 + index * 53) % 76);
      setFloating((list) => [
        ...list,
        { key, emoji: mark.emoji, left, shownAt: Math.round(session.connection.serverNow()) },
      ]);
      const timer = window.setTimeout(() => {
        timers.delete(timer);
        setFloating((list) => list.filter((f) => f.key !== key));
      }, FLOAT_MS);
      timers.add(timer);
    };
    const take = (marks: readonly ReactionMark[] | undefined) => {
      const list = marks ?? [];
      if (seen.current === null) {
        // Joined: what the room reacted before stays on the seek bar only.
        seen.current = list.length;
        return;
      }
      if (list.length < seen.current) seen.current = 0;
      const fresh = list.slice(seen.current);
      seen.current = list.length;
      fresh.forEach((mark, i) => {
        const index = list.length - fresh.length + i;
        const delay = mark.at - session.connection.serverNow();
        if (delay <= 0) show(mark, index);
        else {
          const timer = window.setTimeout(() => {
            timers.delete(timer);
            show(mark, index);
          }, delay);
          timers.add(timer);
        }
      });
    };
    take(readApp().snapshot?.reactions);
    const stop = watchApp((state, previous) => {
      if (state.snapshot?.reactions !== previous.snapshot?.reactions) take(state.snapshot?.reactions);
    });
    return () => {
      stop();
      for (const timer of timers) window.clearTimeout(timer);
    };
  }, [session]);

  return (
    <div className="reaction-layer" aria-hidden="true">
      {floating.map((f) => (
        <span
          key={f.key}
          className="reaction-float"
          style={{ left: `${f.left}%` }}
          data-testid="reaction-float"
          data-emoji={f.emoji}
          data-shown-at={f.shownAt}
        >
          <Emoji emoji={f.emoji} size={48} />
        </span>
      ))}
    </div>
  );
}

/** Faint marks on the seek bar where the room reacted to the current item. */
export function ReactionMarks({ duration }: { duration: number | null }) {
  const itemId = useItemId();
  const marks = useApp((s) => s.snapshot?.reactions);
  if (!duration || itemId === null || !marks) return null;
  return (
    <>
      {marks
        .filter((m) => m.itemId === itemId)
        .map((m, i) => (
          <span
            // biome-ignore lint/suspicious/noArrayIndexKey: marks only grow; the index with the instant is stable
            key={`${m.at}:${i}`}
            className="seek-reaction"
            style={{ left: `${Math.min(100, (m.positionMs / duration) * 100)}%` }}
            title={m.emoji}
            data-testid="reaction-mark"
          />
        ))}
    </>
  );
}
