import { formatTime } from '@dpp/shared';
import type { RoomSession } from '../room/session.ts';
import { showPanel, useApp, useCanControl, useHasItem } from '../room/store.ts';
import { CloseIcon, DownIcon, NextIcon, UpIcon } from './icons.tsx';
import { Poster } from './poster.tsx';

/** Now playing and up next: reorder, remove, skip; adding happens from the library. */
export function QueuePanel({ session }: { session: RoomSession }) {
  const queue = useApp((s) => s.snapshot?.queue ?? []);
  const playing = useHasItem();
  const canControl = useCanControl();
  const current = playing ? queue[0] : undefined;
  const upNext = playing ? queue.slice(1) : queue;
  const offset = playing ? 1 : 0;

  return (
    <div className="panel queue" data-testid="queue-panel">
      {current && (
        <section>
          <h3 className="panel-heading">Now playing</h3>
          <div className="queue-item current" data-testid="queue-current">
            <Poster src={current.thumb} title={current.title} variant="mini" />
            <div className="queue-main">
              <span className="queue-title">{current.title}</span>
              <span className="queue-meta">
                {formatTime(current.durationMs)} · added by {current.addedBy}
              </span>
            </div>
            {canControl && (
              <button
                type="button"
                className="icon-btn"
                aria-label="Skip to next"
                title="Skip to next"
                onClick={() => session.send({ op: 'next' })}
              >
                <NextIcon size={18} />
              </button>
            )}
          </div>
        </section>
      )}
      <section>
        <h3 className="panel-heading">
          Up next <span className="count">{upNext.length}</span>
        </h3>
        {upNext.length === 0 ? (
          <div className="empty-note" data-testid="queue-empty">
            <p>{current ? 'Nothing after this one.' : 'The queue is empty.'}</p>
            {canControl && (
              <button type="button" className="btn ghost small" onClick={() => showPanel('library')}>
                Add from the library
              </button>
            )}
          </div>
        ) : (
          <ol className="queue-list">
            {upNext.map((entry, i) => {
              const index = i + offset;
              return (
                <li key={entry.entryId} className="queue-item" data-testid="queue-entry">
                  <span className="queue-pos">{i + 1}</span>
                  <Poster src={entry.thumb} title={entry.title} variant="mini" />
                  <div className="queue-main">
                    <span className="queue-title">{entry.title}</span>
                    <span className="queue-meta">
                      {formatTime(entry.durationMs)} · {entry.addedBy}
                    </span>
                  </div>
                  {canControl && (
                    <div className="queue-actions">
                      <button
                        type="button"
                        className="icon-btn small"
                        aria-label={`Move ${entry.title} up`}
                        disabled={index <= Math.max(1, offset)}
                        onClick={() => session.send({ op: 'queue.move', entryId: entry.entryId, index: index - 1 })}
                      >
                        <UpIcon size={16} />
                      </button>
                      <button
                        type="button"
                        className="icon-btn small"
                        aria-label={`Move ${entry.title} down`}
                        disabled={index >= queue.length - 1}
                        onClick={() => session.send({ op: 'queue.move', entryId: entry.entryId, index: index + 1 })}
                      >
                        <DownIcon size={16} />
                      </button>
                      <button
                        type="button"
                        className="icon-btn small danger"
                        aria-label={`Remove ${entry.title}`}
                        onClick={() => session.send({ op: 'queue.remove', entryId: entry.entryId })}
                      >
                        <CloseIcon size={16} />
                      </button>
                    </div>
                  )}
                </li>
              );
            })}
          </ol>
        )}
      </section>
    </div>
  );
}
