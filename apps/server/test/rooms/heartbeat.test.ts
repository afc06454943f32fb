import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../../src/rooms/heartbeat.ts';

class FakeSocket {
  pings = 0;
  terminated = false;
  ping() {
    this.pings += 1;
  }
  terminate() {
    this.terminated = true;
  }
}

describe('heartbeat', () => {
  it('pings at once, measures each round trip, and terminates a socket that stops answering', () => {
    let now = 0;
    const heartbeat = new Heartbeat<FakeSocket>(15_000, () => now);
    const rtts: number[] = [];
    const alive = new FakeSocket();
    const silent = new FakeSocket();
    heartbeat.add(alive, (rtt) => rtts.push(rtt));
    heartbeat.add(silent, () => {});
    expect([alive.pings, silent.pings]).toEqual([1, 1]);

    now = 42;
    heartbeat.pong(alive);
    heartbeat.pong(alive);
    expect(rtts).toEqual([42]);

    now = 15_000;
    heartbeat.tick();
    expect(silent.terminated).toBe(true);
    expect(alive.terminated).toBe(false);
    expect(alive.pings).toBe(2);
    expect(heartbeat.size).toBe(1);

    now = 15_080;
    heartbeat.pong(alive);
    expect(rtts).toEqual([42, 80]);
    heartbeat.remove(alive);
    expect(heartbeat.size).toBe(0);
  });
});
