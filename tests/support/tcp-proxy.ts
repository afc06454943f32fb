import net from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

/**
 * A TCP proxy on a free loopback port that a fault test owns, in front of a real service:
 * `pass` forwards; `refuse` drops every connection (open ones reset, new ones closed at once: a
 * database that went down); `blackhole` accepts and forwards nothing, either way, and never closes
 * (a database behind a dead network: no RST, no answer).
 */
export class TcpProxy {
  mode: ProxyMode = 'pass';
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
    server: net.Server,
  ) {
    this.server = server;
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(target, (server.address() as net.AddressInfo).port, server);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  setMode(mode: ProxyMode) {
    this.mode = mode;
    if (mode === 'refuse') for (const socket of this.sockets) socket.resetAndDestroy();
  }

  private accept(client: net.Socket) {
    client.on('error', () => {});
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    if (this.mode === 'blackhole') return;
    const upstream = net.connect(this.target);
    upstream.on('error', () => client.destroy());
    this.sockets.add(upstream);
    upstream.once('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    client.once('close', () => upstream.destroy());
    // Data flows only while passing: a blackhole swallows whatever either side sends.
    client.on('data', (chunk) => {
      if (this.mode === 'pass') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (this.mode === 'pass') client.write(chunk);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A TCP load balancer on a free loopback port in front of several server instances: each new
 * connection goes to the next instance in turn, or to the following one when that one refuses
 * (stopped), like a balancer with connect retries. Open connections stay where they are.
 */
export class TcpBalancer {
  private next = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    readonly backends: number[],
  ) {}

  static async start(backends: number[]): Promise<TcpBalancer> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const balancer = new TcpBalancer(server, (server.address() as net.AddressInfo).port, backends);
    server.on('connection', (client) => balancer.accept(client));
    return balancer;
  }

  private accept(client: net.Socket) {
    client.on('error', () => {});
    client.pause();
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    const first = this.next++ % this.backends.length;
    const attempt = (tried: number) => {
      if (tried >= this.backends.length) return client.destroy();
      const upstream = net.connect({ host: '127.0.0.1', port: this.backends[(first + tried) % this.backends.length]! });
      upstream.once('error', () => attempt(tried + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        upstream.on('error', () => client.destroy());
        this.sockets.add(upstream);
        upstream.once('close', () => {
          this.sockets.delete(upstream);
          client.destroy();
        });
        client.once('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
