import { type Clock, type CommandIntent, every, expectedPosition } from '@dpp/shared';
import { browserClock } from '../lib/browser-clock.ts';
import { CommandDropped, RetryingCommands } from './command-retry.ts';
import { describeChange, requestNotice } from './notices.ts';
import {
  browserSocketFactory,
  CommandError,
  RoomSocketClient,
  roomSocketUrl,
  type SocketFactory,
} from './room-socket-client.ts';
import {
  applyRoomState,
  clearNotice,
  notify,
  postNotice,
  readApp,
  setClockEstimate,
  setConnection,
  setRoom,
} from './store.ts';

/** The notice that stays up while commands are being sent again by themselves. */
const RETRY_NOTICE = 'command-retry';

export interface RoomSessionOptions {
  roomId: string;
  instanceId?: string;
  token: () => string;
  renewSession?: () => Promise<void>;
  createSocket?: SocketFactory;
  clock?: Clock;
}

/**
 * One viewer in one room: the connection, with the store kept up to date from its frames, and the
 * commands the UI sends. The player chunk attaches its sync controller to `connection` (the clock)
 * and to the store (the playback).
 */
export class RoomSession {
  readonly connection: RoomSocketClient;
  private readonly commands: RetryingCommands;
  private stopClockUpdates: (() => void) | null = null;
  private readonly clock: Clock;

  constructor(options: RoomSessionOptions) {
    this.clock = options.clock ?? browserClock;
    this.connection = new RoomSocketClient({
      url: roomSocketUrl(window.location),
      roomId: options.roomId,
      instanceId: options.instanceId,
      token: options.token,
      renewSession: options.renewSession,
      createSocket: options.createSocket ?? browserSocketFactory,
      clock: this.clock,
      listener: {
        status: (status, detail) => {
          const previous = setConnection(status, detail);
          if (status === 'open' && previous.everOpen && previous.status !== 'open') {
            clearNotice('connection');
            notify('Reconnected', 'info', 'connection');
          }
        },
        welcome: (message) => {
          setRoom(message.snapshot, message.you);
        },
        state: (message) => {
          const applied = applyRoomState(message);
          if (!applied) return;
          const { before, after } = applied;
          const youId = readApp().you?.userId ?? '';
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
          setRoom(message.snapshot);
        },
        error: (message) => {
          notify(message.message, 'error', `error:${message.code}`);
        },
      },
    });
    this.commands = new RetryingCommands({
      sender: this.connection,
      clock: this.clock,
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
    this.stopClockUpdates = every(this.clock, 1000, () => {
      const { clockSync } = this.connection;
      setClockEstimate(Math.round(clockSync.offset), clockSync.rtt ?? null);
    });
  }

  stop(): void {
    this.stopClockUpdates?.();
    this.stopClockUpdates = null;
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
    const snapshot = readApp().snapshot;
    if (!snapshot || snapshot.playback.itemId === null) return null;
    const duration = snapshot.queue[0]?.durationMs ?? undefined;
    return expectedPosition(snapshot.playback, this.connection.serverNow(), duration);
  }
}
