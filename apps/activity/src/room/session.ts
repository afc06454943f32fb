import { applyState, type CommandIntent, expectedPosition } from '@dpp/shared';
import type { Timers } from '../sync/sync-controller.ts';
import { CommandDropped, RetryingCommands } from './command-retry.ts';
import { browserSocketFactory, CommandError, RoomConnection, roomSocketUrl, type SocketFactory } from './connection.ts';
import { describeChange, requestNotice } from './notices.ts';
import { clearNotice, notify, postNotice, useApp } from './store.ts';

/** The notice that stays up while commands are being sent again by themselves. */
const RETRY_NOTICE = 'command-retry';

export const browserTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (run, ms) => window.setTimeout(run, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number | undefined),
  setInterval: (run, ms) => window.setInterval(run, ms),
  clearInterval: (handle) => window.clearInterval(handle as number | undefined),
};

export interface RoomSessionOptions {
  roomId: string;
  instanceId?: string;
  token: () => string;
  renewSession?: () => Promise<void>;
  createSocket?: SocketFactory;
  timers?: Timers;
}

/**
 * One viewer in one room: the connection, with the store kept up to date from its frames, and the
 * commands the UI sends. The player chunk attaches its sync controller to `connection` (the clock)
 * and to the store (the playback).
 */
export class RoomSession {
  readonly connection: RoomConnection;
  private readonly commands: RetryingCommands;
  private clockTimer: unknown;
  private readonly timers: Timers;

  constructor(options: RoomSessionOptions) {
    this.timers = options.timers ?? browserTimers;
    this.connection = new RoomConnection({
      url: roomSocketUrl(window.location),
      roomId: options.roomId,
      instanceId: options.instanceId,
      token: options.token,
      renewSession: options.renewSession,
      createSocket: options.createSocket ?? browserSocketFactory,
      timers: this.timers,
      listener: {
        status: (status, detail) => {
          const previous = useApp.getState().connection;
          useApp.setState({
            connection: {
              status,
              reason: detail.reason,
              attempt: detail.attempt,
              everOpen: previous.everOpen || status === 'open',
            },
          });
          if (status === 'open' && previous.everOpen && previous.status !== 'open') {
            clearNotice('connection');
            notify('Reconnected', 'info', 'connection');
          }
        },
        welcome: (message) => {
          useApp.setState({ snapshot: message.snapshot, you: message.you });
        },
        state: (message) => {
          const { snapshot: before, you } = useApp.getState();
          if (!before) return;
          const after = applyState(before, message);
          useApp.setState({ snapshot: after });
          const youId = you?.userId ?? '';
          const notice =
            requestNotice(after, message.cause, youId, (userId) =>
              this.send({ op: 'control.answer', userId, accept: true }),
            ) ?? describeChange(before, after, message.cause, youId);
          if (notice) postNotice(notice);
          // A request answered (here or by another host) needs no answer any more.
          for (const m of before.members) {
            if (m.asking && !after.members.find((a) => a.userId === m.userId)?.asking) clearNotice(`ask:${m.userId}`);
          }
        },
        snapshot: (message) => {
          useApp.setState({ snapshot: message.snapshot });
        },
        error: (message) => {
          notify(message.message, 'error', `error:${message.code}`);
        },
      },
    });
    this.commands = new RetryingCommands({
      sender: this.connection,
      timers: this.timers,
      listener: {
        // The server's own words stay up while the command is sent again by itself.
        retrying: (_intent, error) =>
          postNotice({
            // "…; try again shortly." would ask the viewer to do what the app now does by itself.
            text: `${error.message.replace(/[;,.]?\s*try again shortly\.?$/i, '.')} Retrying…`,
            kind: 'error',
            key: RETRY_NOTICE,
            needsAction: true,
          }),
        idle: () => clearNotice(RETRY_NOTICE),
        gaveUp: () => {
          notify('The room service is still unavailable, so your last change was not applied. Try again.', 'error');
        },
      },
    });
  }

  start(): void {
    this.connection.start();
    this.clockTimer = this.timers.setInterval(() => {
      const { clock } = this.connection;
      const rttMs = clock.rtt ?? null;
      const offsetMs = Math.round(clock.offset);
      const previous = useApp.getState().clock;
      if (previous.rttMs !== rttMs || previous.offsetMs !== offsetMs) useApp.setState({ clock: { offsetMs, rttMs } });
    }, 1000);
  }

  stop(): void {
    this.timers.clearInterval(this.clockTimer);
    this.commands.cancelAll();
    clearNotice(RETRY_NOTICE);
    this.connection.stop();
  }

  /**
   * Sends a command; when the room service is unavailable it is sent again by itself (see
   * RetryingCommands). A refusal becomes an error notice (and the promise still rejects for the caller).
   */
  async command(intent: CommandIntent): Promise<void> {
    try {
      await this.commands.send(intent);
    } catch (error) {
      if (error instanceof CommandDropped) throw error;
      // Given up after retries: the retry listener has said so already.
      if (error instanceof CommandError && error.code === 'unavailable') throw error;
      const message = error instanceof CommandError ? error.message : 'The command failed.';
      notify(message, 'error');
      throw error;
    }
  }

  /** Fire-and-forget form for buttons and shortcuts (errors are already shown). */
  send(intent: CommandIntent): void {
    this.command(intent).catch(() => undefined);
  }

  /** The server's clock now, by this viewer's estimate of the offset (countdowns). */
  serverNow(): number {
    return this.connection.serverNow();
  }

  /** Where the group is now, by this viewer's clock. */
  expectedPositionMs(): number | null {
    const snapshot = useApp.getState().snapshot;
    if (!snapshot || snapshot.playback.itemId === null) return null;
    const duration = snapshot.queue[0]?.durationMs ?? undefined;
    return expectedPosition(snapshot.playback, this.connection.serverNow(), duration);
  }
}

let current: RoomSession | null = null;

export function setRoomSession(session: RoomSession | null): void {
  current = session;
}

export function roomSession(): RoomSession | null {
  return current;
}

/** Sends a command through the active session, if any. */
export function sendCommand(intent: CommandIntent): void {
  current?.send(intent);
}
