import net from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

/** A TCP server on a free loopback port that keeps every socket it opened, to close them all at once. */
abstract class LoopbackTcp {
  protected readonly sockets = new Set<net.Socket>();
  protected server!: net.Server;
  port = 0;

  protected async listen(): Promise<this> {
    this.server = net.createServer((client) => {
      client.on('error', () => {});
      this.accept(client);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  protected abstract accept(client: net.Socket): void;

  /** Keeps a socket until it closes. */
  protected track(socket: net.Socket) {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  /** Ties a client to its upstream: either one closing closes the other. */
  protected join(client: net.Socket, upstream: net.Socket) {
    upstream.on('error', () => client.destroy());
    this.track(upstream);
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A TCP proxy on a free loopback port that a fault test owns, in front of a real service:
 * `pass` forwards; `refuse` drops every connection (open ones reset, new ones closed at once: a
 * database that went down); `blackhole` accepts and forwards nothing, either way, and never closes
 * (a database behind a dead network: no RST, no answer).
 */
export class TcpProxy extends LoopbackTcp {
  mode: ProxyMode = 'pass';

  private constructor(private readonly target: { host: string; port: number }) {
    super();
  }

  static start(target: { host: string; port: number }): Promise<TcpProxy> {
    return new TcpProxy(target).listen();
  }

  setMode(mode: ProxyMode) {
    this.mode = mode;
    if (mode === 'refuse') for (const socket of this.sockets) socket.resetAndDestroy();
  }

  protected accept(client: net.Socket) {
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    this.track(client);
    if (this.mode === 'blackhole') return;
    const upstream = net.connect(this.target);
    this.join(client, upstream);
    // Data flows only while passing: a blackhole swallows whatever either side sends.
    client.on('data', (chunk) => {
      if (this.mode === 'pass') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.mode === 'pass') client.write(chunk);
    });
  }
}

/**
 * A TCP load balancer on a free loopback port in front of several server instances: each new
 * connection goes to the next instance in turn, or to the following one when that one refuses
 * (stopped), like a balancer with connect retries. Open connections stay where they are.
 */
export class TcpBalancer extends LoopbackTcp {
  private next = 0;

  private constructor(readonly backends: number[]) {
    super();
  }

  static start(backends: number[]): Promise<TcpBalancer> {
    return new TcpBalancer(backends).listen();
  }

  protected accept(client: net.Socket) {
    client.pause();
    this.track(client);
    const first = this.next++ % this.backends.length;
    const attempt = (tried: number) => {
      if (tried >= this.backends.length) return client.destroy();
      const upstream = net.connect({ host: '127.0.0.1', port: this.backends[(first + tried) % this.backends.length]! });
      upstream.once('error', () => attempt(tried + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        this.join(client, upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }
}
