import { type CSSProperties, useState } from 'react';
import { hueOf, initials } from '../lib/format.ts';

/**
 * A round avatar: the image when there is one we may load (our own origin, or the Discord CDN
 * through its URL mapping), else initials on a colour derived from the id.
 */
export function Avatar({
  id,
  name,
  url,
  size = 32,
  ring,
}: {
  id: string;
  name: string;
  url?: string | null;
  size?: number;
  ring?: 'ready' | 'buffering' | 'lagging' | 'away';
}) {
  const [failed, setFailed] = useState(false);
  const usable = url && !failed && (url.startsWith('/') || url.startsWith('https://cdn.discordapp.com/'));
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4), '--hue': hueOf(id) } as CSSProperties;
  return (
    <span className={`avatar${ring ? ` ring-${ring}` : ''}`} style={style} title={name}>
      {usable ? (
        <img src={url} alt="" onError={() => setFailed(true)} />
      ) : (
        // Drawn from an attribute: the initials are decoration, not text a button's label should repeat.
        <span className="avatar-initials" data-initials={initials(name)} aria-hidden="true" />
      )}
    </span>
  );
}
