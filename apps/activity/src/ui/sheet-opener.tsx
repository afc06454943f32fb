import { openSheet } from '../room/store.ts';
import { MoreIcon } from './icons.tsx';

/** The "⋯" button that opens the panels and settings sheet (compact layouts). */
export function SheetOpener({ className }: { className?: string }) {
  return (
    <button
      type="button"
      className={className ? `icon-btn ${className}` : 'icon-btn'}
      aria-label="Panels and settings"
      data-testid="open-sheet"
      onClick={() => openSheet()}
    >
      <MoreIcon />
    </button>
  );
}
