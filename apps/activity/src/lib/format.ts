/** Signed drift for the sync badge: "+12 ms", "−340 ms", "+1.2 s". */
export function formatDrift(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  const abs = Math.abs(ms);
  return abs >= 1000 ? `${sign}${(abs / 1000).toFixed(1)} s` : `${sign}${Math.round(abs)} ms`;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
/** User-perceived characters: an emoji (with its modifiers and joiners) or an accented letter is one. */
const graphemes = (text: string) => Array.from(segmenter.segment(text), (s) => s.segment);

/**
 * Up to two initials for an avatar placeholder, whole characters only (never half an emoji's
 * surrogate pair): the first letters of the first two words, or the first two of a single word.
 */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters =
    words.length > 1
      ? [graphemes(words[0] ?? '')[0], graphemes(words[1] ?? '')[0]]
      : graphemes(name.trim()).slice(0, 2);
  return letters.filter(Boolean).join('').toLocaleUpperCase() || '?';
}

/** A stable hue for a user id (avatar placeholder colours). */
export function hueOf(id: string): number {
  let hash = 0;
  for (let i = 0; i < id.length; i += 1) hash = (hash * 31 + id.charCodeAt(i)) | 0;
  return Math.abs(hash) % 360;
}
