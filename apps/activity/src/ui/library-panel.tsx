import { formatTime, LIBRARY_LIMITS, type LibraryItemDto } from '@dpp/shared';
import { useCallback, useEffect, useRef, useState } from 'react';
import { burstGuard } from '../lib/burst.ts';
import { displayTitle, itemSubtitle } from '../lib/library.ts';
import type { RoomSession } from '../room/session.ts';
import { closeSheet, notify, useCanControl } from '../room/store.ts';
import { ContinueWatching } from './continue-watching.tsx';
import { BackIcon, CloseIcon, PlayIcon, PlusIcon, SearchIcon } from './icons.tsx';
import { libraryApi } from './library-api.ts';
import { Poster } from './poster.tsx';
import { EmptyState, ErrorState, SkeletonGrid } from './states.tsx';
import { useAsync } from './use-async.ts';

type Open = { id: string; title: string };

/** Browse sections, search, open shows → seasons → episodes; play now or add to the queue. */
export function LibraryPanel({ session }: { session: RoomSession }) {
  const [query, setQuery] = useState('');
  const [debounced, setDebounced] = useState('');
  const [trail, setTrail] = useState<Open[]>([]);
  // The server takes searches up to a length: longer ones are explained here, never sent.
  const tooLong = query.trim().length > LIBRARY_LIMITS.maxQueryLength;
  useEffect(() => {
    if (tooLong) return;
    const timer = window.setTimeout(() => setDebounced(query.trim()), 300);
    return () => window.clearTimeout(timer);
  }, [query, tooLong]);

  const open = (item: LibraryItemDto) => setTrail((t) => [...t, { id: item.id, title: item.title }]);
  const current = trail.at(-1);

  return (
    <div className="panel library" data-testid="library-panel">
      <div className="search">
        <SearchIcon size={16} />
        <input
          type="search"
          placeholder="Search movies and shows"
          aria-label="Search the library"
          value={query}
          data-testid="library-search"
          onChange={(e) => {
            setQuery(e.target.value);
            setTrail([]);
          }}
        />
        {query && (
          <button type="button" className="icon-btn tiny" aria-label="Clear search" onClick={() => setQuery('')}>
            <CloseIcon size={14} />
          </button>
        )}
      </div>
      {tooLong ? (
        <EmptyState title="That search is too long">
          Searches can be up to {LIBRARY_LIMITS.maxQueryLength} characters; a word or two of the title is enough.
        </EmptyState>
      ) : current ? (
        <ItemView
          key={current.id}
          id={current.id}
          backLabel={trail.at(-2)?.title ?? (debounced ? 'Results' : 'Library')}
          onBack={() => setTrail((t) => t.slice(0, -1))}
          onOpen={open}
          session={session}
        />
      ) : debounced ? (
        <SearchResults query={debounced} onOpen={open} session={session} />
      ) : (
        <Browse onOpen={open} session={session} />
      )}
    </div>
  );
}

const firstOfBurst = burstGuard();

function useQueueActions(session: RoomSession) {
  const canControl = useCanControl();
  const play = async (item: LibraryItemDto) => {
    if (!firstOfBurst(`load:${item.id}`)) return;
    await session.command({ op: 'load', itemId: item.id }).then(
      () => {
        notify(`Starting ${displayTitle(item)}`, 'info', 'library');
        // In the compact layout the library is a sheet over the picture: get out of the way.
        closeSheet();
      },
      () => undefined,
    );
  };
  const add = async (item: LibraryItemDto) => {
    if (!firstOfBurst(`add:${item.id}`)) return;
    await session.command({ op: 'queue.add', itemId: item.id }).then(
      () => notify(`Added ${displayTitle(item)} to the queue`, 'info', 'library'),
      () => undefined,
    );
  };
  return { canControl, play, add };
}

function Browse({ onOpen, session }: { onOpen: (item: LibraryItemDto) => void; session: RoomSession }) {
  const sections = useAsync((signal) => libraryApi.sections(signal), []);
  const { canControl, play } = useQueueActions(session);
  const [sectionId, setSectionId] = useState<string | null>(null);
  const list = sections.data?.sections ?? [];
  const chosen = list.find((s) => s.id === sectionId) ?? list[0];

  if (sections.status === 'loading') return <SkeletonGrid />;
  if (sections.status === 'error') return <ErrorState error={sections.error} onRetry={sections.retry} />;
  if (list.length === 0) {
    return (
      <EmptyState title="No libraries yet">
        {sections.data.source.kind === 'plex'
          ? 'This Plex server has no libraries. Add one in Plex, then come back.'
          : 'The library is empty.'}
      </EmptyState>
    );
  }
  return (
    <>
      <ContinueWatching canControl={canControl} onPlay={(item) => void play(item)} />
      <div className="source-line">
        <span className={`source-chip ${sections.data.source.kind}`}>{sections.data.source.name}</span>
      </div>
      {list.length > 1 && (
        <div className="chips" role="tablist" aria-label="Libraries">
          {list.map((s) => (
            <button
              key={s.id}
              type="button"
              role="tab"
              aria-selected={s.id === chosen?.id}
              className={`chip${s.id === chosen?.id ? ' active' : ''}`}
              onClick={() => setSectionId(s.id)}
            >
              {s.title}
            </button>
          ))}
        </div>
      )}
      {chosen && <SectionGrid key={chosen.id} sectionId={chosen.id} onOpen={onOpen} session={session} />}
    </>
  );
}

function SectionGrid({
  sectionId,
  onOpen,
  session,
}: {
  sectionId: string;
  onOpen: (item: LibraryItemDto) => void;
  session: RoomSession;
}) {
  const [pages, setPages] = useState<LibraryItemDto[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [state, setState] = useState<'loading' | 'idle' | 'error' | 'done'>('loading');
  const [error, setError] = useState<unknown>(null);
  const sentinel = useRef<HTMLDivElement>(null);

  const loadMore = useCallback(
    (from: string | undefined) => {
      setState('loading');
      libraryApi.items(sectionId, from).then(
        (page) => {
          setPages((p) => (from === undefined ? page.items : [...p, ...page.items]));
          setCursor(page.nextCursor);
          setState(page.nextCursor ? 'idle' : 'done');
        },
        (e: unknown) => {
          setError(e);
          setState('error');
        },
      );
    },
    [sectionId],
  );

  useEffect(() => loadMore(undefined), [loadMore]);

  useEffect(() => {
    const node = sentinel.current;
    if (!node || state !== 'idle' || !cursor) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore(cursor);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [cursor, state, loadMore]);

  if (state === 'error' && pages.length === 0) return <ErrorState error={error} onRetry={() => loadMore(undefined)} />;
  if (state === 'loading' && pages.length === 0) return <SkeletonGrid />;
  if (pages.length === 0) return <EmptyState title="This library is empty" />;
  return (
    <>
      <ItemGrid items={pages} onOpen={onOpen} session={session} />
      <div ref={sentinel} className="sentinel" />
      {state === 'loading' && <div className="spinner small centered" role="status" aria-label="Loading more" />}
      {state === 'error' && <ErrorState error={error} onRetry={() => loadMore(cursor ?? undefined)} />}
    </>
  );
}

function SearchResults({
  query,
  onOpen,
  session,
}: {
  query: string;
  onOpen: (item: LibraryItemDto) => void;
  session: RoomSession;
}) {
  const results = useAsync((signal) => libraryApi.search(query, signal), [query]);
  if (results.status === 'loading') return <SkeletonGrid count={4} />;
  if (results.status === 'error') return <ErrorState error={results.error} onRetry={results.retry} />;
  if (results.data.items.length === 0)
    return <EmptyState title={`Nothing matches “${query}”`}>Try another word.</EmptyState>;
  return <ItemGrid items={results.data.items} onOpen={onOpen} session={session} />;
}

function ItemGrid({
  items,
  onOpen,
  session,
}: {
  items: LibraryItemDto[];
  onOpen: (item: LibraryItemDto) => void;
  session: RoomSession;
}) {
  const { canControl, add } = useQueueActions(session);
  return (
    <div className="grid">
      {items.map((item) => (
        <div key={item.id} className="card" data-testid="library-item" data-item-id={item.id}>
          <button type="button" className="card-open" onClick={() => onOpen(item)}>
            <Poster src={item.thumb} title={item.title} variant={item.type === 'episode' ? 'thumb' : 'poster'} />
            <span className="card-title">{item.title}</span>
            <span className="card-sub">{itemSubtitle(item)}</span>
          </button>
          {item.playable && canControl && (
            <button
              type="button"
              className="card-add"
              aria-label={`Add ${item.title} to the queue`}
              title="Add to the queue"
              onClick={() => void add(item)}
            >
              <PlusIcon size={16} />
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

function ItemView({
  id,
  backLabel,
  onBack,
  onOpen,
  session,
}: {
  id: string;
  backLabel: string;
  onBack: () => void;
  onOpen: (item: LibraryItemDto) => void;
  session: RoomSession;
}) {
  const detail = useAsync((signal) => libraryApi.item(id, signal), [id]);
  const browsable = detail.status === 'ok' && !detail.data.playable;
  const children = useAsync(
    (signal) => (browsable ? libraryApi.children(id, signal) : Promise.resolve({ items: [] })),
    [id, browsable],
  );
  const { canControl, play, add } = useQueueActions(session);

  return (
    <div className="item-view">
      <button type="button" className="back" onClick={onBack}>
        <BackIcon size={16} /> {backLabel}
      </button>
      {detail.status === 'loading' && <div className="spinner centered" role="status" aria-label="Loading" />}
      {detail.status === 'error' && <ErrorState error={detail.error} onRetry={detail.retry} />}
      {detail.status === 'ok' && (
        <>
          <div className="item-hero" data-testid="item-detail">
            <Poster
              src={detail.data.thumb}
              title={detail.data.title}
              variant={detail.data.type === 'episode' ? 'thumb' : 'poster'}
            />
            <div className="item-info">
              <h3>{detail.data.title}</h3>
              <p className="item-meta">
                {[
                  itemSubtitle(detail.data),
                  detail.data.durationMs ? formatTime(detail.data.durationMs) : null,
                  detail.data.contentRating,
                  detail.data.media?.height ? `${detail.data.media.height}p` : null,
                ]
                  .filter(Boolean)
                  .join(' · ')}
              </p>
              {detail.data.genres.length > 0 && <p className="item-genres">{detail.data.genres.join(', ')}</p>}
              {detail.data.playable && canControl && (
                <div className="item-actions">
                  <button
                    type="button"
                    className="btn primary"
                    data-testid="play-now"
                    onClick={() => void play(detail.data)}
                  >
                    <PlayIcon size={16} /> Play now
                  </button>
                  <button
                    type="button"
                    className="btn"
                    data-testid="add-to-queue"
                    onClick={() => void add(detail.data)}
                  >
                    <PlusIcon size={16} /> Add to queue
                  </button>
                </div>
              )}
              {detail.data.playable && !canControl && <p className="hint">Only hosts can start playback here.</p>}
            </div>
          </div>
          {detail.data.summary && <p className="item-summary">{detail.data.summary}</p>}
          {browsable && (
            <section className="children">
              <h4 className="panel-heading">{detail.data.type === 'show' ? 'Seasons' : 'Episodes'}</h4>
              {children.status === 'loading' && (
                <div className="spinner small centered" role="status" aria-label="Loading" />
              )}
              {children.status === 'error' && <ErrorState error={children.error} onRetry={children.retry} />}
              {children.status === 'ok' && children.data.items.length === 0 && (
                <EmptyState title="Nothing in here yet" />
              )}
              {children.status === 'ok' && detail.data.type === 'show' && (
                <ItemGrid items={children.data.items} onOpen={onOpen} session={session} />
              )}
              {children.status === 'ok' && detail.data.type !== 'show' && (
                <ul className="episodes">
                  {children.data.items.map((ep) => (
                    <li key={ep.id} className="episode" data-testid="episode">
                      <button type="button" className="episode-open" onClick={() => onOpen(ep)}>
                        <Poster src={ep.thumb} title={ep.title} variant="thumb" />
                        <div className="episode-main">
                          <span className="episode-title">
                            {ep.index !== null ? `${ep.index}. ` : ''}
                            {ep.title}
                          </span>
                          <span className="episode-meta">{ep.durationMs ? formatTime(ep.durationMs) : ''}</span>
                          {ep.summary && <span className="episode-summary">{ep.summary}</span>}
                        </div>
                      </button>
                      {ep.playable && canControl && (
                        <div className="episode-actions">
                          <button
                            type="button"
                            className="icon-btn"
                            aria-label={`Play ${ep.title} now`}
                            onClick={() => void play(ep)}
                          >
                            <PlayIcon size={16} />
                          </button>
                          <button
                            type="button"
                            className="icon-btn"
                            aria-label={`Add ${ep.title} to the queue`}
                            onClick={() => void add(ep)}
                          >
                            <PlusIcon size={16} />
                          </button>
                        </div>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}
        </>
      )}
    </div>
  );
}
