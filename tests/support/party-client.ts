import { WebSocket } from 'ws';
import { RetryingCommands } from '../../apps/activity/src/room/command-retry.ts';
import {
  type ConnectionStatus,
  RoomSocketClient,
  type SocketFactory,
} from '../../apps/activity/src/room/room-socket-client.ts';

export { devSignIn } from './dev-sign-in.ts';

import {
  applyState,
  type Clock,
  expectedPosition,
  type RoomSnapshot,
  type Welcome,
} from '../../packages/shared/src/index.ts';

/** The activity's transport on Node: a `ws` socket behind the same SocketLike interface. */
export const nodeSocketFactory: SocketFactory = (url, handlers) => {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  let closed = false;
  socket.on('open', () => handlers.open());
  socket.on('message', (data) => handlers.message(String(data)));
  socket.on('error', () => {});
  socket.on('close', (code, reason) => {
    if (closed) return;
    closed = true;
    handlers.close(code, String(reason));
  });
  return {
    send: (data) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(data);
    },
    close: (code, reason) => {
      closed = true;
      socket.close(code ?? 1000, reason);
    },
  };
};

/** The page's clock on Node: monotonic time, plain timers. */
const nodeClock: Clock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A member of a party driven by the activity's own RoomSocketClient (its reconnect with backoff and
 * `lastSeq`, its clock sync) on Node: what a browser does, minus the player.
 */
export class PartyClient {
  snapshot: RoomSnapshot | undefined;
  readonly welcomes: Welcome[] = [];
  readonly statuses: { status: ConnectionStatus; code?: number; at: number }[] = [];
  /** The playback status after every frame that changed the snapshot, in order. */
  readonly playbackLog: string[] = [];
  readonly connection: RoomSocketClient;
  /** Commands as the activity's buttons send them: retried by themselves while the room service is unavailable. */
  readonly commands: RetryingCommands;
  /** What the retries did, in order ("retrying queue.add", "recovered queue.add"). */
  readonly retryLog: string[] = [];

  constructor(wsUrl: string, roomId: string, token: string) {
    this.connection = new RoomSocketClient({
      url: wsUrl,
      roomId,
      token: () => token,
      createSocket: nodeSocketFactory,
      clock: nodeClock,
      backoff: { baseMs: 200, maxMs: 1000 },
      listener: {
        status: (status, detail) =>
          this.statuses.push({ status, ...(detail.code ? { code: detail.code } : {}), at: performance.now() }),
        welcome: (message) => {
          this.welcomes.push(message);
          this.set(message.snapshot);
        },
        state: (message) => {
          if (this.snapshot) this.set(applyState(this.snapshot, message));
        },
        snapshot: (message) => {
          this.set(message.snapshot);
        },
        error: () => {},
      },
    });
    this.commands = new RetryingCommands({
      sender: this.connection,
      clock: nodeClock,
      listener: {
        retrying: (intent) => this.retryLog.push(`retrying ${intent.op}`),
        recovered: (intent) => this.retryLog.push(`recovered ${intent.op}`),
        gaveUp: (intent) => this.retryLog.push(`gave up ${intent.op}`),
      },
    });
    this.connection.start();
  }

  private set(snapshot: RoomSnapshot) {
    this.snapshot = snapshot;
    this.playbackLog.push(snapshot.playback.status);
  }

  get open() {
    return this.connection.status === 'open';
  }

  /** Where this member's player would be now, by its own clock estimate of the server. */
  position(): number | undefined {
    if (!this.snapshot) return undefined;
    const entry = this.snapshot.playback.itemId === null ? undefined : this.snapshot.queue[0];
    return expectedPosition(this.snapshot.playback, this.connection.serverNow(), entry?.durationMs ?? undefined);
  }

  /** Says its player is ready at the room's current playback (what the activity reports once loaded). */
  ready() {
    const playback = this.snapshot?.playback;
    if (!playback) return false;
    return this.connection.report({ state: 'ready', positionMs: this.position() ?? 0, rev: playback.rev });
  }

  stop() {
    this.commands.cancelAll();
    this.connection.stop();
  }
}
