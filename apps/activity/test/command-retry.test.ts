import type { CommandIntent } from '@dpp/shared';
import { ManualClock } from '@dpp/shared/testing';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_RETRY,
  CommandDropped,
  type CommandSender,
  commandKind,
  RetryingCommands,
  retryDelayMs,
} from '../src/room/command-retry.ts';
import { CommandError } from '../src/room/room-socket-client.ts';

/** Lets every pending promise chain run (the retry loop awaits a few times per attempt). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

/**
 * The room as the retry sees it: while its store is down every command answers `unavailable`;
 * once up, each command id is applied once (as the server does), and a repeat is only acknowledged.
 */
class FakeRoom implements CommandSender {
  storeUp = false;
  refuseWith: CommandError | undefined;
  private seq = 0;
  readonly sent: { op: string; id: string }[] = [];
  readonly applied: { op: string; id: string }[] = [];

  newCommandId(): string {
    this.seq += 1;
    return `client-${this.seq}`;
  }

  async command(intent: CommandIntent, id: string): Promise<void> {
    this.sent.push({ op: intent.op, id });
    if (this.refuseWith) throw this.refuseWith;
    if (!this.storeUp) throw new CommandError('unavailable', 'The room service is unavailable; try again shortly.');
    if (!this.applied.some((a) => a.id === id)) this.applied.push({ op: intent.op, id });
  }
}

function harness() {
  const clock = new ManualClock(0);
  const room = new FakeRoom();
  const events: string[] = [];
  const retries = new RetryingCommands({
    sender: room,
    clock,
    random: () => 0.5, // no jitter: the waits are exactly base·2^n
    listener: {
      retrying: (intent) => events.push(`retrying ${intent.op}`),
      recovered: (intent) => events.push(`recovered ${intent.op}`),
      gaveUp: (intent) => events.push(`gave up ${intent.op}`),
      idle: () => events.push('idle'),
    },
  });
  const outcome = (promise: Promise<void>) => {
    const seen: { result?: 'applied' | unknown } = {};
    promise.then(
      () => {
        seen.result = 'applied';
      },
      (error: unknown) => {
        seen.result = error;
      },
    );
    return seen;
  };
  /** Moves time on in small steps, letting the retry loop schedule its next try after each. */
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= 250) {
      await clock.advance(Math.min(250, left));
      await settle();
    }
  };
  return { clock, room, events, retries, outcome, advance };
}

describe('the retry policy', () => {
  it('waits base·2^(attempt−1), capped, with ±25% jitter', () => {
    const policy = { baseDelayMs: 500, maxDelayMs: 4000, giveUpAfterMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, policy, () => 0.5))).toEqual([
      500, 1000, 2000, 4000, 4000, 4000,
    ]);
    expect(retryDelayMs(1, policy, () => 0)).toBe(375);
    expect(retryDelayMs(1, policy, () => 1)).toBe(625);
  });

  it('lets a newer play or pause replace an older one, never one queue edit another', () => {
    expect(commandKind('play')).toBe(commandKind('pause'));
    expect(commandKind('seek')).toBe('seek');
    expect(commandKind('queue.add')).toBeNull();
    expect(commandKind('next')).toBeNull();
  });
});

describe('RetryingCommands', () => {
  it('sends an unavailable command again by itself, under the same id, until the store is back', async () => {
    const h = harness();
    const seek = h.outcome(h.retries.send({ op: 'seek', positionMs: 5000 }));
    await settle();
    expect(h.events).toEqual(['retrying seek']);

    await h.advance(500);
    await h.advance(1000);
    expect(h.room.sent).toHaveLength(3);
    expect(seek.result).toBeUndefined();

    h.room.storeUp = true;
    await h.advance(2000);
    expect(seek.result).toBe('applied');
    expect(new Set(h.room.sent.map((s) => s.id))).toEqual(new Set(['client-1']));
    expect(h.room.applied).toEqual([{ op: 'seek', id: 'client-1' }]);
    expect(h.events).toEqual(['retrying seek', 'recovered seek', 'idle']);
    expect(h.retries.pending).toBe(0);
  });

  it('gives up once the next try would start past the bound, and says so', async () => {
    const h = harness();
    const pause = h.outcome(h.retries.send({ op: 'pause' }));
    await h.advance(COMMAND_RETRY.giveUpAfterMs + 10_000);
    expect(pause.result).toBeInstanceOf(CommandError);
    expect((pause.result as CommandError).code).toBe('unavailable');
    expect(h.events.at(-2)).toBe('gave up pause');
    // 0, 0.5, 1.5, 3.5, 7.5, 11.5, …, 27.5 s: every try started within the 30 s bound.
    expect(h.room.sent).toHaveLength(10);
    const sentBefore = h.room.sent.length;
    h.room.storeUp = true;
    await h.advance(60_000);
    expect(h.room.sent).toHaveLength(sentBefore);
    expect(h.room.applied).toEqual([]);
  });

  it('drops a retry when a newer command of the same kind is sent, and applies only the newer', async () => {
    const h = harness();
    const pause = h.outcome(h.retries.send({ op: 'pause' }));
    await settle();
    h.room.storeUp = true;
    const play = h.outcome(h.retries.send({ op: 'play' }));
    await settle();
    expect(play.result).toBe('applied');
    expect(pause.result).toBeInstanceOf(CommandDropped);

    await h.advance(10_000);
    expect(h.room.applied.map((a) => a.op)).toEqual(['play']);
    expect(h.room.sent.map((s) => s.op)).toEqual(['pause', 'play']);
    expect(h.events.at(-1)).toBe('idle');
  });

  it('keeps retrying queue edits side by side: each one is applied once', async () => {
    const h = harness();
    const first = h.outcome(h.retries.send({ op: 'queue.add', itemId: 'a' }));
    const second = h.outcome(h.retries.send({ op: 'queue.add', itemId: 'b' }));
    await settle();
    await h.advance(500);
    h.room.storeUp = true;
    await h.advance(1000);
    expect(first.result).toBe('applied');
    expect(second.result).toBe('applied');
    expect(h.room.applied).toEqual([
      { op: 'queue.add', id: 'client-1' },
      { op: 'queue.add', id: 'client-2' },
    ]);
  });

  it('drops every retry when the room closes', async () => {
    const h = harness();
    const seek = h.outcome(h.retries.send({ op: 'seek', positionMs: 1000 }));
    await settle();
    h.retries.cancelAll();
    await settle();
    expect(seek.result).toBeInstanceOf(CommandDropped);
    h.room.storeUp = true;
    await h.advance(10_000);
    expect(h.room.sent).toHaveLength(1);
    expect(h.room.applied).toEqual([]);
  });

  it('never retries a refusal, nor a first try made while offline', async () => {
    const h = harness();
    h.room.refuseWith = new CommandError('not_allowed', 'Only hosts can do that.');
    const refused = h.outcome(h.retries.send({ op: 'play' }));
    await settle();
    h.room.refuseWith = new CommandError('offline', 'Not connected to the room right now.');
    const offline = h.outcome(h.retries.send({ op: 'seek', positionMs: 1 }));
    await h.advance(10_000);
    expect((refused.result as CommandError).code).toBe('not_allowed');
    expect((offline.result as CommandError).code).toBe('offline');
    expect(h.room.sent).toHaveLength(2);
  });

  it('keeps retrying through a dropped connection once the store said unavailable', async () => {
    const h = harness();
    const load = h.outcome(h.retries.send({ op: 'load', itemId: 'demo' }));
    await settle();
    h.room.refuseWith = new CommandError('connection_lost', 'The connection dropped.');
    await h.advance(500);
    h.room.refuseWith = undefined;
    h.room.storeUp = true;
    await h.advance(1000);
    expect(load.result).toBe('applied');
    expect(h.room.sent.map((s) => s.id)).toEqual(['client-1', 'client-1', 'client-1']);
  });
});
