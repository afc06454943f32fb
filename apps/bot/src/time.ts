/**
 * Times as people type them in /seek: clock forms (`1:23:45`, `83:00`, `0:30`), units (`90s`, `5m`,
 * `1h30m`, `1h 2m 3s`, `1.5h`), plain seconds (`90`), and relative jumps (`+30s`, `-1:00`).
 */

export type ParsedTime = { mode: 'absolute' | 'relative'; ms: number };
export type ParseResult = { ok: true; value: ParsedTime } | { ok: false; reason: string };

/** Nobody seeks further than this; larger inputs are typos. */
export const MAX_TIME_MS = 100 * 3600_000;

const UNIT_MS: Record<string, number> = {
  h: 3600_000,
  hr: 3600_000,
  hrs: 3600_000,
  hour: 3600_000,
  hours: 3600_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
};
const UNIT_RANK: Record<number, number> = { 3600000: 0, 60000: 1, 1000: 2 };

/** One `<number><unit>` part, spaces allowed around and between: "1h", " 30 min". */
const UNIT_PART = /\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*/y;

function parseClock(text: string): number | undefined {
  const parts = text.split(':');
  if (parts.length < 2 || parts.length > 3) return undefined;
  // h:mm:ss or m:ss; every field after the first is below 60.
  if (
    !parts.every((p, i) => (i === parts.length - 1 ? /^\d{1,2}(?:\.\d+)?$/ : i === 0 ? /^\d+$/ : /^\d{1,2}$/).test(p))
  ) {
    return undefined;
  }
  const numbers = parts.map(Number);
  if (numbers.slice(1).some((n) => n >= 60)) return undefined;
  const [a = 0, b = 0, c] = numbers;
  const seconds = c === undefined ? a * 60 + b : a * 3600 + b * 60 + c;
  return Math.round(seconds * 1000);
}

function parseUnits(text: string): number | undefined {
  let total = 0;
  let lastRank = -1;
  let index = 0;
  while (index < text.length) {
    UNIT_PART.lastIndex = index;
    const match = UNIT_PART.exec(text);
    if (!match) return undefined;
    const unit = UNIT_MS[match[2]!];
    if (unit === undefined) return undefined;
    const rank = UNIT_RANK[unit]!;
    // Units go from large to small, each at most once: "1h30m", not "30m1h" or "5m5m".
    if (rank <= lastRank) return undefined;
    lastRank = rank;
    total += Number(match[1]) * unit;
    index = UNIT_PART.lastIndex;
  }
  return lastRank < 0 ? undefined : Math.round(total);
}

/** Parses a /seek argument. */
export function parseTime(input: string): ParseResult {
  let text = input.trim().toLowerCase();
  if (text === '') return { ok: false, reason: 'empty' };
  let mode: ParsedTime['mode'] = 'absolute';
  let sign = 1;
  if (text.startsWith('+') || text.startsWith('-')) {
    mode = 'relative';
    sign = text.startsWith('-') ? -1 : 1;
    text = text.slice(1).trim();
  }
  let ms: number | undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) ms = Math.round(Number(text) * 1000);
  else if (text.includes(':')) ms = parseClock(text);
  else ms = parseUnits(text);
  if (ms === undefined || !Number.isFinite(ms)) return { ok: false, reason: 'not a time' };
  if (ms > MAX_TIME_MS) return { ok: false, reason: 'too large' };
  return { ok: true, value: { mode, ms: sign * ms } };
}
