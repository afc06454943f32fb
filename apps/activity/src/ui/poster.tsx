import { useState } from 'react';

/** A poster or thumbnail from our art proxy, with a tasteful placeholder when there is none. */
export function Poster({
  src,
  title,
  variant = 'poster',
}: {
  src: string | null | undefined;
  title: string;
  variant?: 'poster' | 'thumb' | 'mini';
}) {
  const [failed, setFailed] = useState(false);
  const usable = src && !failed && src.startsWith('/');
  return (
    <div className={`poster ${variant}`}>
      {usable ? (
        <img src={src} alt="" loading="lazy" decoding="async" onError={() => setFailed(true)} />
      ) : (
        <span className="poster-fallback" aria-hidden="true">
          {title.slice(0, 1).toUpperCase()}
        </span>
      )}
    </div>
  );
}
