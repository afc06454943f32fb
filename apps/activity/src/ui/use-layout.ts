import { useEffect, useState } from 'react';
import type { DiscordLayoutMode } from '../room/app-state.ts';
import { useApp } from '../room/store.ts';

/**
 * The three layouts, by design rather than by squeezing:
 * - focused: the picture beside the panels (a desktop window, Discord's focused view);
 * - compact: the picture fills the frame with one minimal overlay, panels and menus open as a sheet
 *   (any viewport up to 500×300, and Discord's picture-in-picture and grid);
 * - phone: portrait, the picture on top with auto-hiding controls, the panels below.
 */
export type Layout = 'focused' | 'compact' | 'phone';

const COMPACT_MAX = { width: 500, height: 300 } as const;

export function layoutFor(width: number, height: number, discord: DiscordLayoutMode | null): Layout {
  if (discord === 'pip' || discord === 'grid') return 'compact';
  if (height <= COMPACT_MAX.height || (width <= COMPACT_MAX.width && width > height)) return 'compact';
  if (height > width && width <= 720) return 'phone';
  return 'focused';
}

/** The layout for the window's size now and Discord's layout mode, following both. */
export function useLayout(): Layout {
  const discord = useApp((s) => s.discordLayout);
  const [size, setSize] = useState(() => ({ width: window.innerWidth, height: window.innerHeight }));
  useEffect(() => {
    const onResize = () => setSize({ width: window.innerWidth, height: window.innerHeight });
    window.addEventListener('resize', onResize);
    return () => window.removeEventListener('resize', onResize);
  }, []);
  return layoutFor(size.width, size.height, discord);
}
