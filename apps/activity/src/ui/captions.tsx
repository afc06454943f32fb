import { useApp } from '../room/store.ts';

/**
 * The subtitles, drawn by the app rather than by video.js: above the control bar while it shows, near
 * the bottom edge when it fades, scaled with the picture (never below 14 px), in the viewer's own size
 * and background.
 */
export function Captions() {
  const lines = useApp((s) => s.captionLines);
  const size = useApp((s) => s.prefs.captionSize);
  const background = useApp((s) => s.prefs.captionBackground);
  if (lines.length === 0) return null;
  return (
    <div className="captions" data-size={size} data-background={background} data-testid="captions" aria-hidden="true">
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: caption lines have no identity but their place
        <span key={i} className="caption-line">
          {line}
        </span>
      ))}
    </div>
  );
}
