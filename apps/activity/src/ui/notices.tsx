import { dismissNotice, useApp } from '../room/store.ts';
import { CloseIcon } from './icons.tsx';

/** Short-lived lines about what others did ("Ana paused at 12:03") and errors. */
export function Notices() {
  const notices = useApp((s) => s.notices);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice ${n.tone}`}
          data-testid="notice"
          role={n.tone === 'error' ? 'alert' : undefined}
        >
          <span>{n.text}</span>
          <button type="button" className="icon-btn tiny" aria-label="Dismiss" onClick={() => dismissNotice(n.id)}>
            <CloseIcon size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
