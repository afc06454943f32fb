import type { ReactNode } from 'react';
import { ApiError, describeError } from '../lib/api.ts';

/** A friendly title for an API failure; Plex trouble gets its own words. */
function errorTitle(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'network') return 'You are offline';
    if (error.code.startsWith('plex_'))
      return error.code === 'plex_auth' ? 'Plex needs to be linked again' : 'Plex is not answering';
    if (error.status === 404) return 'Not found';
    if (error.status >= 500) return 'The server had a problem';
  }
  return 'Something went wrong';
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state error-state" role="alert" data-testid="error-state">
      <h4>{errorTitle(error)}</h4>
      <p>{describeError(error)}</p>
      {onRetry && (
        <button type="button" className="btn small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty-state" data-testid="empty-state">
      <h4>{title}</h4>
      {children && <p>{children}</p>}
    </div>
  );
}

export function SkeletonGrid({ count = 8 }: { count?: number }) {
  return (
    <div className="grid" role="status" aria-busy="true" aria-label="Loading">
      {Array.from({ length: count }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <div key={i} className="card skeleton">
          <div className="poster poster skeleton-box" />
          <div className="skeleton-line" />
          <div className="skeleton-line short" />
        </div>
      ))}
    </div>
  );
}
