import { CLOSE_CODES, PROTOCOL_VERSION, type RoomSnapshot, SYNC } from '@dpp/shared';
import { ManualClock } from '@dpp/shared/testing';
import { describe, expect, it } from 'vitest';
import {
  CommandError,
  type ConnectionListener,
  type ConnectionStatus,
  RoomSocketClient,
  type SocketHandlers,
} from '../src/room/room-socket-client.ts';
import { flush } from './support/virtual-time.ts';

const ROOM = 'dev:lobby';

function snapshot(seq: number): RoomSnapshot {
  return {
    roomId: ROOM,
    seq,
    playback: { rev: 0, itemId: null, status: 'paused', positionMs: 0, atServerMs: 0, rate: 1, waitUntil: null },
    queue: [],
    members: [],
    settings: { control: 'everyone' },
  };
}

class FakeSocket {
  readonly sent: Record<string, unknown>[] = [];
  closed: { code?: number } | null = null;
  constructor(readonly handlers: SocketHandlers) {}
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code?: number) {
    this.closed = { code };
  }
  serverSends(frame: object) {
    this.handlers.message(JSON.stringify(frame));
  }
  welcome(seq = 0, serverTime = 1_000_000) {
    this.serverSends({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      you: { userId: 'u1', name: 'Ana', avatar: null, connectionId: 'k1' },
      serverTime,
      snapshot: snapshot(seq),
      resumed: false,
    });
  }
  sentOf(type: string) {
    return this.sent.filter((f) => f.type === type);
  }
}

function harness(options: { renewSession?: () => Promise<void> } = {}) {
  const clock = new ManualClock(0);
  const sockets: FakeSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const states: number[] = [];
  const listener: ConnectionListener = {
    status: (s) => statuses.push(s),
    welcome: () => undefined,
    state: (m) => states.push(m.seq),
    snapshot: () => undefined,
    error: () => undefined,
  };
  let token = 'token-1';
  const connection = new RoomSocketClient({
    url: 'ws://test/ws',
    roomId: ROOM,
    instanceId: 'inst-1',
    token: () => token,
    renewSession:
      options.renewSession ??
      (async () => {
        token = 'token-2';
      }),
    createSocket: (_url, handlers) => {
      const socket = new FakeSocket(handlers);
      sockets.push(socket);
      return socket;
    },
    clock,
    listener,
    random: () => 0.5,
  });
  const last = () => {
    const socket = sockets.at(-1);
    if (!socket) throw new Error('no socket yet');
    return socket;
  };
  return { clock, sockets, statuses, states, connection, last };
}

describe('RoomSocketClient', () => {
  it('says hello first, then a ping burst once welcomed, then periodic pings', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    expect(h.last().sent[0]).toEqual({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      token: 'token-1',
      roomId: ROOM,
      instanceId: 'inst-1',
    });
    h.last().welcome();
    expect(h.statuses.at(-1)).toBe('open');
    await h.clock.advance(SYNC.clockBurstIntervalMs * SYNC.clockBurstSamples);
    expect(h.last().sentOf('ping')).toHaveLength(SYNC.clockBurstSamples);
    await h.clock.advance(SYNC.clockPingIntervalMs);
    expect(h.last().sentOf('ping')).toHaveLength(SYNC.clockBurstSamples + 1);
  });

  it('estimates the server clock from pongs and is ready after the burst', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    h.last().welcome(0, 5_000_000);
    expect(h.connection.ready).toBe(false);
    for (let i = 0; i < SYNC.clockBurstSamples; i += 1) {
      await h.clock.advance(i === 0 ? 1 : SYNC.clockBurstIntervalMs);
      const ping = h.last().sentOf('ping').at(-1) as { id: number; t0: number };
      await h.clock.advance(10); // 10 ms round trip, server 7 s ahead of the page
      const serverAt = ping.t0 + 5 + 7_000;
      h.last().serverSends({ type: 'pong', id: ping.id, t0: ping.t0, t1: serverAt, t2: serverAt });
    }
    expect(h.connection.ready).toBe(true);
    expect(Math.abs(h.connection.serverNow() - (h.clock.now() + 7_000))).toBeLessThan(1);
  });

  it('resolves a command on its ack and rejects it on its error', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    h.last().welcome();
    const played = h.connection.command({ op: 'play' });
    const frame = h.last().sentOf('command')[0] as { id: string; op: string };
    expect(frame.op).toBe('play');
    h.last().serverSends({ type: 'ack', id: frame.id });
    await expect(played).resolves.toBeUndefined();

    const next = h.connection.command({ op: 'next' });
    const second = h.last().sentOf('command')[1] as { id: string };
    h.last().serverSends({ type: 'error', id: second.id, code: 'no_item', message: 'Nothing is loaded.' });
    await expect(next).rejects.toMatchObject({ code: 'no_item', message: 'Nothing is loaded.' });
  });

  it('refuses commands while disconnected', async () => {
    const h = harness();
    h.connection.start();
    await expect(h.connection.command({ op: 'play' })).rejects.toBeInstanceOf(CommandError);
  });

  it('applies broadcasts in order and rejoins with lastSeq after a gap', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    h.last().welcome(4);
    const cause = { type: 'system', event: 'item-ended' };
    h.last().serverSends({ type: 'state', seq: 5, changes: {}, cause });
    h.last().serverSends({ type: 'state', seq: 5, changes: {}, cause }); // duplicate: ignored
    h.last().serverSends({ type: 'state', seq: 7, changes: {}, cause }); // gap
    expect(h.states).toEqual([5]);
    expect(h.statuses.at(-1)).toBe('reconnecting');
    await h.clock.advance(1000);
    expect(h.sockets).toHaveLength(2);
    h.last().handlers.open();
    expect(h.last().sent[0]).toMatchObject({ type: 'hello', lastSeq: 5 });
  });

  it('reconnects with growing delays after a drop, and resets the delay once back', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    h.last().welcome();
    h.last().handlers.close(1006, '');
    expect(h.statuses.at(-1)).toBe('reconnecting');
    await h.clock.advance(249);
    expect(h.sockets).toHaveLength(1);
    await h.clock.advance(2);
    expect(h.sockets).toHaveLength(2);
    h.last().handlers.close(1006, '');
    await h.clock.advance(499);
    expect(h.sockets).toHaveLength(2);
    await h.clock.advance(2);
    expect(h.sockets).toHaveLength(3);
    h.last().handlers.open();
    h.last().welcome();
    expect(h.statuses.at(-1)).toBe('open');
  });

  it('gives up on a close that says retrying cannot help', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    h.last().handlers.close(CLOSE_CODES.forbidden.code, 'not in this channel');
    expect(h.statuses.at(-1)).toBe('failed');
    await h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it('says the party was ended, not failed, when the room ends, and does not reconnect', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    h.last().welcome();
    h.last().handlers.close(CLOSE_CODES.roomEnded.code, 'The watch party has ended.');
    expect(h.statuses.at(-1)).toBe('ended');
    await h.clock.advance(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it('renews the session once when the token is refused', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    h.last().handlers.close(CLOSE_CODES.unauthorized.code, '');
    await flush();
    expect(h.sockets).toHaveLength(2);
    h.last().handlers.open();
    expect(h.last().sent[0]).toMatchObject({ token: 'token-2' });
    h.last().handlers.close(CLOSE_CODES.unauthorized.code, '');
    await flush();
    expect(h.statuses.at(-1)).toBe('failed');
  });

  it('treats a silent socket as dropped', async () => {
    const h = harness();
    h.connection.start();
    h.last().handlers.open();
    h.last().welcome();
    // Pings go out but nothing comes back.
    await h.clock.advance(3 * SYNC.clockPingIntervalMs + 1500 + SYNC.clockPingIntervalMs + 600);
    expect(h.statuses).toContain('reconnecting');
    expect(h.sockets.length).toBeGreaterThanOrEqual(2);
  });
});
