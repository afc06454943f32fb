export function LoadingScreen({ message }: { message: string }) {
  return (
    <div className="screen" role="status" aria-live="polite">
      <div className="brand-mark" aria-hidden="true" />
      <div className="spinner" aria-hidden="true" />
      <p className="screen-message">{message}</p>
    </div>
  );
}

export function FatalScreen({
  title,
  detail,
  onRetry,
  onSignOut,
}: {
  title: string;
  detail: string;
  onRetry: () => void;
  onSignOut?: () => void;
}) {
  return (
    <div className="screen" role="alert">
      <div className="brand-mark error" aria-hidden="true" />
      <h1 className="screen-title">{title}</h1>
      <p className="screen-message">{detail}</p>
      <div className="screen-actions">
        <button type="button" className="btn primary" onClick={onRetry}>
          Try again
        </button>
        {onSignOut && (
          <button type="button" className="btn ghost" onClick={onSignOut}>
            Use another name
          </button>
        )}
      </div>
    </div>
  );
}

/** The room was ended (the bot's /stop): the party is over, which is no error. */
export function EndedScreen({ onStartAgain }: { onStartAgain: () => void }) {
  return (
    <div className="screen" role="status" data-testid="ended-screen">
      <div className="brand-mark" aria-hidden="true" />
      <h1 className="screen-title">The party was ended</h1>
      <div className="screen-actions">
        <button type="button" className="btn primary" onClick={onStartAgain}>
          Start again
        </button>
      </div>
    </div>
  );
}
