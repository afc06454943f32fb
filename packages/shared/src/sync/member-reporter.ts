import type { MemberState, ReportState } from '../protocol.ts';

export interface OutgoingReport {
  state: ReportState;
  positionMs: number;
  rev: number;
  /** Buffering for this viewer's own reason (a quality change): the room should not wait. */
  alone?: boolean;
}

/** This member as the player sees it, at one evaluation. */
export interface MemberView {
  now: number;
  rev: number;
  positionMs: number;
  /** Hidden, or autoplay refused: the member is away. */
  away: boolean;
  /** The room's item is loaded in the player. */
  loaded: boolean;
  /** Loaded, on a ready clock, able to play, not seeking or stalled, and within the seek threshold. */
  inStep: boolean;
}

export interface MemberReporterOptions {
  /** Sends a `report` frame. */
  send: (report: OutgoingReport) => void;
  /** A stall or slow seek shorter than this is not reported (the room would stop for a blip). */
  stallGraceMs?: number;
  /** With the server disagreeing about this member's state, the report is repeated this often. */
  reportRetryMs?: number;
}

/**
 * Tells the server whether this member is ready, buffering or away: on every change of state or
 * rev, again while the server's view disagrees, and with a grace for blips (ready → buffering only
 * once not in step for stallGraceMs).
 */
export class MemberReporter {
  private serverView: MemberState | undefined;
  private notOkSince: number | null = null;
  private lastReport: (OutgoingReport & { at: number }) | null = null;
  /** Reloading on this viewer's own account: buffering is reported as `alone` until ready again. */
  alone = false;

  constructor(private readonly options: MemberReporterOptions) {}

  /** What the server last said about this member. */
  setServerView(state: MemberState | undefined): void {
    this.serverView = state;
  }

  reconcile(view: MemberView): void {
    const state = this.localState(view);
    const last = this.lastReport;
    const changed = !last || last.state !== state || last.rev !== view.rev;
    const disagrees = this.serverView !== undefined && this.serverViewAsReport() !== state;
    const retry = disagrees && last !== null && view.now - last.at >= (this.options.reportRetryMs ?? 2000);
    if (!changed && !retry) return;
    if (state === 'ready') this.alone = false;
    const report: OutgoingReport = { state, positionMs: Math.max(0, Math.round(view.positionMs)), rev: view.rev };
    if (state === 'buffering' && this.alone) report.alone = true;
    this.lastReport = { ...report, at: view.now };
    this.options.send(report);
  }

  private localState(view: MemberView): ReportState {
    if (view.away) return 'away';
    if (view.inStep) {
      this.notOkSince = null;
      return 'ready';
    }
    // Ready → buffering only after the grace: a corrective seek or a short stall must not stop the room.
    if (this.notOkSince === null) this.notOkSince = view.now;
    const previous = this.lastReport?.rev === view.rev ? this.lastReport.state : this.serverViewAsReport();
    if (previous === 'ready' && view.loaded && view.now - this.notOkSince < (this.options.stallGraceMs ?? 600)) {
      return 'ready';
    }
    return 'buffering';
  }

  private serverViewAsReport(): ReportState | undefined {
    switch (this.serverView) {
      case undefined:
        return undefined;
      case 'ready':
        return 'ready';
      case 'away':
        return 'away';
      case 'buffering':
      case 'lagging':
        return 'buffering';
      default: {
        const never: never = this.serverView;
        throw new Error(`unknown member state ${String(never)}`);
      }
    }
  }
}
