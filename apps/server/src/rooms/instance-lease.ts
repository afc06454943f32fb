import { every } from '@dpp/shared';
import type { RoomStore } from '../infra/room-store.ts';
import type { Clock, InstanceLeases, RoomLogger } from './ports.ts';
import type { RoomRecord } from './room-record.ts';

export interface LeaseTiming {
  /** How long a renewal keeps this instance alive. */
  ttlMs: number;
  renewMs: number;
  /** How often the rooms are swept for connections of dead instances. */
  sweepMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { ttlMs: 30_000, renewMs: 10_000, sweepMs: 15_000 };

export interface InstanceLeaseOptions {
  leases: InstanceLeases;
  /** This instance (the prefix of its connection ids, `<instance>/<uuid>`). */
  instanceId: string;
  clock: Clock;
  timing?: Partial<LeaseTiming>;
  store: RoomStore<unknown>;
  read: (value: unknown) => RoomRecord;
  /** The lease had lapsed (this instance was taken for dead): every local room re-reads and rejoins. */
  lapsed: () => void;
  /** Takes a dead instance's connection out of a room (its member turns away, as after a drop). */
  drop: (roomId: string, userId: string, connectionId: string) => Promise<void>;
  /** Hands work in flight to the engine, which waits for it when it goes idle or closes. */
  track: <T>(promise: Promise<T>) => Promise<T>;
  log: RoomLogger;
}

/**
 * This instance's lease among the instances sharing one room store (Redis), renewed on the clock, and
 * the sweep that takes the connections of instances whose lease lapsed (they died without a clean
 * shutdown) out of every room, so a crashed instance leaves no ghosts behind.
 */
export class InstanceLease {
  private readonly timing: LeaseTiming;
  private stops: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly options: InstanceLeaseOptions) {
    this.timing = { ...DEFAULT_LEASE_TIMING, ...options.timing };
  }

  /** Takes the lease, then renews it and sweeps on the clock until `stop`. */
  async start(): Promise<void> {
    await this.renew();
    const { clock, track } = this.options;
    this.stops.push(
      every(clock, this.timing.renewMs, () => void track(this.renew())),
      every(clock, this.timing.sweepMs, () => void track(this.sweep())),
    );
  }

  stop() {
    this.stopped = true;
    for (const stop of this.stops.splice(0)) stop();
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    try {
      const held = await this.options.leases.renew(this.options.instanceId, this.timing.ttlMs);
      if (!held) this.options.lapsed();
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not renew the instance lease');
    }
  }

  /** A lease that cannot be read is not taken for lapsed. */
  private async sweep(): Promise<void> {
    if (this.stopped) return;
    const { leases, store, read, drop, log } = this.options;
    const verdicts = new Map<string, boolean>();
    const dead = async (owner: string) => {
      if (owner === this.options.instanceId) return false;
      if (!verdicts.has(owner)) verdicts.set(owner, !(await leases.alive(owner).catch(() => true)));
      return verdicts.get(owner) === true;
    };
    let roomIds: string[];
    try {
      roomIds = await store.list();
    } catch (error) {
      log.warn({ err: error }, 'could not list rooms to sweep');
      return;
    }
    for (const roomId of roomIds) {
      try {
        const found = await store.get(roomId);
        if (!found) continue;
        for (const member of read(found.value).members) {
          for (const connectionId of member.connections) {
            const slash = connectionId.indexOf('/');
            if (slash <= 0 || !(await dead(connectionId.slice(0, slash)))) continue;
            await drop(roomId, member.userId, connectionId);
          }
        }
      } catch (error) {
        log.warn({ err: error, roomId }, 'could not sweep a room');
      }
    }
  }
}
