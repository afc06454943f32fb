import type { Clock, CommandIntent, CommandOp } from '@dpp/shared';
import { CommandError } from './room-socket-client.ts';

/** How a command the room service could not take (`unavailable`) is sent again by itself. */
export interface RetryPolicy {
  /** The wait before the first retry; it doubles with every attempt, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No retry starts later than this after the command was first sent: then the viewer is told. */
  giveUpAfterMs: number;
}

export const COMMAND_RETRY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 4000, giveUpAfterMs: 30_000 };

/** The wait before retry number `attempt` (1, 2, …): base·2^(attempt−1), capped, with ±25% jitter. */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 16);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent) * (0.75 + random() * 0.5);
}

/**
 * Commands that say where the room should end up (play or pause, a seek, a speed): a newer one of
 * the same kind makes an older one's retry pointless. Queue edits and skips each mean one more
 * change, so none supersedes another (null); nor do reactions and the remote's moves, each its own.
 */
export function commandKind(op: CommandOp): string | null {
  switch (op) {
    case 'play':
    case 'pause':
      return 'playback';
    case 'seek':
    case 'rate':
    case 'load':
    case 'settings':
      return op;
    case 'upnext.cancel':
    case 'upnext.play':
      return 'upnext';
    case 'queue.add':
    case 'queue.remove':
    case 'queue.move':
    case 'next':
    case 'react':
    case 'host.grant':
    case 'host.resign':
    case 'remote.pass':
    case 'control.request':
    case 'control.answer':
    case 'member.remove':
      return null;
    default: {
      const never: never = op;
      return never;
    }
  }
}

/** Failures worth another try: the store was down, or (once retrying) the connection was. */
function retryable(error: unknown, retrying: boolean): boolean {
  if (!(error instanceof CommandError)) return false;
  if (error.code === 'unavailable') return true;
  return retrying && (error.code === 'offline' || error.code === 'connection_lost' || error.code === 'timeout');
}

export interface CommandSender {
  newCommandId(): string;
  command(intent: CommandIntent, id: string): Promise<void>;
}

export interface RetryListener {
  /** The first `unavailable`: the command will be sent again by itself. */
  retrying(intent: CommandIntent, error: CommandError): void;
  /** A command that was being retried went through. */
  recovered(intent: CommandIntent): void;
  /** No command is waiting for another try any more (applied, given up, superseded or cancelled). */
  idle(): void;
  /** The bound passed: the command was not applied. */
  gaveUp(intent: CommandIntent, error: CommandError): void;
}

interface InFlight {
  kind: string | null;
  cancel: () => void;
}

/** Why a retry stopped without the viewer needing to know: a newer command took its place, or the room closed. */
export class CommandDropped extends Error {
  override name = 'CommandDropped';
}

/**
 * Sends commands and, when the room service answers `unavailable` (its store down), sends them
 * again by itself with a bounded backoff, under the same command id so the server applies each at
 * most once. A newer command of the same kind drops the older one's retry; `cancelAll` (the room
 * closing) drops every retry.
 */
export class RetryingCommands {
  private readonly inFlight = new Set<InFlight>();
  private readonly policy: RetryPolicy;
  private readonly random: () => number;

  constructor(
    private readonly options: {
      sender: CommandSender;
      clock: Clock;
      listener?: Partial<RetryListener>;
      policy?: RetryPolicy;
      random?: () => number;
    },
  ) {
    this.policy = options.policy ?? COMMAND_RETRY;
    this.random = options.random ?? Math.random;
  }

  /** Commands sent and not settled yet (in flight or waiting for their next try). */
  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Resolves once the command was applied; rejects with its CommandError (not retryable, or given
   * up) or with CommandDropped (superseded or cancelled; the viewer has nothing to be told).
   */
  async send(intent: CommandIntent): Promise<void> {
    const { sender, clock, listener } = this.options;
    const kind = commandKind(intent.op);
    if (kind !== null) {
      for (const other of this.inFlight) if (other.kind === kind) other.cancel();
    }
    const id = sender.newCommandId();
    const startedAt = clock.now();
    let cancelled = false;
    let wake: (() => void) | undefined;
    let timer: unknown;
    const entry: InFlight = {
      kind,
      cancel: () => {
        cancelled = true;
        clock.clearTimeout(timer);
        wake?.();
      },
    };
    this.inFlight.add(entry);
    try {
      for (let attempt = 0; ; attempt += 1) {
        try {
          await sender.command(intent, id);
          if (attempt > 0) listener?.recovered?.(intent);
          return;
        } catch (error) {
          if (cancelled) throw new CommandDropped('Dropped: a newer command took its place, or the room closed.');
          if (!retryable(error, attempt > 0)) throw error;
          const failure = error as CommandError;
          const delay = retryDelayMs(attempt + 1, this.policy, this.random);
          if (clock.now() + delay - startedAt > this.policy.giveUpAfterMs) {
            listener?.gaveUp?.(intent, failure);
            throw failure;
          }
          if (attempt === 0) listener?.retrying?.(intent, failure);
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = clock.setTimeout(resolve, delay);
          });
          if (cancelled) throw new CommandDropped('Dropped: a newer command took its place, or the room closed.');
        }
      }
    } finally {
      this.inFlight.delete(entry);
      if (this.inFlight.size === 0) listener?.idle?.();
    }
  }

  /** Drops every retry (the room is closing or changing). */
  cancelAll(): void {
    for (const entry of this.inFlight) entry.cancel();
  }
}
