import { dismissNotice, useApp } from '../room/store.ts';
import { CloseIcon } from './icons.tsx';

/**
 * The one notice shown now ("Ana and Ben paused at 12:03", errors), in a line of its own off the
 * picture: in the top bar (focused), between the video and the panels (phone), or a small fading line
 * along the top edge (compact). Others wait their turn in the store.
 */
export function Notices() {
  const head = useApp((s) => s.notices[0]);
  const action = head && typeof head.needsAction === 'object' ? head.needsAction : null;
  return (
    <div className="notices" aria-live="polite" data-testid="notices">
      {head && (
        <div
          // A collapsed repeat restarts the fade-in, so the change is noticed.
          key={`${head.id}:${head.count}`}
          className={`notice ${head.kind}${head.needsAction ? ' sticky' : ''}`}
          data-testid="notice"
          role={head.kind === 'error' ? 'alert' : undefined}
        >
          <span className="notice-text">{head.text}</span>
          {action && (
            <button
              type="button"
              className="btn small primary"
              onClick={() => {
                dismissNotice(head.id);
                action.run();
              }}
            >
              {action.label}
            </button>
          )}
          <button
            type="button"
            className="icon-btn tiny"
            aria-label="Dismiss notice"
            onClick={() => dismissNotice(head.id)}
          >
            <CloseIcon size={14} />
          </button>
        </div>
      )}
    </div>
  );
}
