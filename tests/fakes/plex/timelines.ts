/**
 * What players told the fake server through `POST /:/timeline`: one playback session per
 * `X-Plex-Session-Identifier` (per client identifier when absent), as the dashboard lists them.
 */

export type TimelineState = 'stopped' | 'buffering' | 'playing' | 'paused';
export const TIMELINE_STATES: readonly TimelineState[] = ['stopped', 'buffering', 'playing', 'paused'];

export interface TimelineReport {
  session: string;
  clientIdentifier: string;
  product: string;
  ratingKey: string;
  state: TimelineState;
  timeMs: number;
  durationMs: number | undefined;
  at: Date;
}

export class FakeTimelines {
  readonly #reports: TimelineReport[] = [];
  readonly #live = new Map<string, TimelineReport>();

  record(report: TimelineReport): void {
    this.#reports.push(report);
    if (report.state === 'stopped') this.#live.delete(report.session);
    else this.#live.set(report.session, report);
  }

  /** Every report received, oldest first. */
  reports(): TimelineReport[] {
    return [...this.#reports];
  }

  /** The sessions a player reported and has not stopped (what `/status/sessions` shows). */
  live(): TimelineReport[] {
    return [...this.#live.values()];
  }
}

/**
 * Sessions whose hardware transcode fails to start until the client asks for a fallback (the
 * `fallbackNeeded` option): start answers 500, `POST …/fallback` then switches the session to
 * software (200), and a second fallback has nothing left to fall back to (412).
 */
export class FakeFallbacks {
  readonly #failed = new Set<string>();
  readonly #fellBack = new Set<string>();

  constructor(readonly enabled: boolean) {}

  /** Whether a start for this session fails (and remembers it as failed). */
  startFails(session: string): boolean {
    if (!this.enabled || this.#fellBack.has(session)) return false;
    this.#failed.add(session);
    return true;
  }

  fallback(session: string): 200 | 404 | 412 {
    if (this.#fellBack.has(session)) return 412;
    if (!this.#failed.delete(session)) return 404;
    this.#fellBack.add(session);
    return 200;
  }

  fellBack(): string[] {
    return [...this.#fellBack];
  }
}
