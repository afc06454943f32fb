import type { LibraryItemDto } from '@dpp/shared';
import { formatTime } from '@dpp/shared';
import { displayTitle, itemSubtitle } from '../lib/library.ts';
import { libraryApi } from './library-api.ts';
import { Poster } from './poster.tsx';
import { useAsync } from './use-async.ts';

/**
 * "Continue watching": what this guild's rooms left part-way, newest first, each with how far it got.
 * Those who may control start one with a click (the "Resume from" offer then appears); nothing shows
 * while the row is empty or cannot be read (the library below still works).
 */
export function ContinueWatching({
  canControl,
  onPlay,
}: {
  canControl: boolean;
  onPlay: (item: LibraryItemDto) => void;
}) {
  const row = useAsync((signal) => libraryApi.continueWatching(signal), []);
  const items = row.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section className="continue-row" aria-label="Continue watching" data-testid="continue-watching">
      <h3>Continue watching</h3>
      <div className="continue-list">
        {items.map(({ item, progress }) => {
          const duration = progress.durationMs ?? item.durationMs;
          const fraction = duration ? Math.min(1, progress.positionMs / duration) : 0;
          return (
            <button
              key={item.id}
              type="button"
              className="continue-card"
              data-testid="continue-item"
              data-item-id={item.id}
              disabled={!canControl}
              title={canControl ? `Play ${displayTitle(item)}` : displayTitle(item)}
              onClick={() => onPlay(item)}
            >
              <Poster src={item.thumb} title={item.title} variant="thumb" />
              <span
                className="progress-bar"
                role="progressbar"
                aria-label={`${formatTime(progress.positionMs)} of ${formatTime(duration)}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(fraction * 100)}
              >
                <span style={{ width: `${Math.round(fraction * 100)}%` }} />
              </span>
              <span className="card-title">{item.title}</span>
              <span className="card-sub">{itemSubtitle(item) || `${formatTime(progress.positionMs)} watched`}</span>
            </button>
          );
        })}
      </div>
    </section>
  );
}
