/** What the heartbeat needs from a socket (a `ws` WebSocket fits). */
export interface Pingable {
  ping(): void;
  terminate(): void;
}

interface Beat {
  alive: boolean;
  sentAt: number;
  onRtt: (rttMs: number) => void;
}

/**
 * WebSocket-level ping/pong for every socket on one timer: a socket that has not answered the
 * previous ping by the next tick is dead (a silent network drop) and is terminated. Each pong also
 * measures the round trip, which the room uses for its scheduling lead.
 */
export class Heartbeat<S extends Pingable> {
  private readonly beats = new Map<S, Beat>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size() {
    return this.beats.size;
  }

  start() {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Starts watching a socket, with a first ping right away so its round trip is known early. */
  add(socket: S, onRtt: (rttMs: number) => void) {
    this.beats.set(socket, { alive: false, sentAt: this.now(), onRtt });
    this.ping(socket);
  }

  remove(socket: S) {
    this.beats.delete(socket);
  }

  pong(socket: S) {
    const beat = this.beats.get(socket);
    if (!beat || beat.alive) return;
    beat.alive = true;
    beat.onRtt(this.now() - beat.sentAt);
  }

  tick() {
    for (const [socket, beat] of this.beats) {
      if (!beat.alive) {
        this.beats.delete(socket);
        socket.terminate();
        continue;
      }
      beat.alive = false;
      beat.sentAt = this.now();
      this.ping(socket);
    }
  }

  private ping(socket: S) {
    try {
      socket.ping();
    } catch {
      // Not open any more: its close event removes it.
    }
  }
}
