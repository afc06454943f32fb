import type { Redis } from 'ioredis';
import type { Announcement, RoomStore, Versioned } from './room-store.ts';

// KEYS[1] room hash, KEYS[2] set of room ids; ARGV: expected, state json, room id, channel, message.
// Write and publish in one script: subscribers see a room's events in version order.
const COMPARE_AND_SET = `
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) then return -1 end
local version = current + 1
redis.call('HSET', KEYS[1], 'v', version, 's', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return version
`;

const DELETE = `
local current = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if current ~= tonumber(ARGV[1]) or current == 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
`;

export class RedisRoomStore<T = unknown> implements RoomStore<T> {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix?: string; busPrefix?: string } = {},
  ) {}

  private key(roomId: string) {
    return `${this.options.prefix ?? 'dpp:room:'}${roomId}`;
  }

  private get index() {
    return `${this.options.prefix ?? 'dpp:room:'}_index`;
  }

  async get(roomId: string): Promise<Versioned<T> | undefined> {
    const [version, state] = await this.redis.hmget(this.key(roomId), 'v', 's');
    if (version == null || state == null) return undefined;
    return { version: Number(version), value: JSON.parse(state) as T };
  }

  async compareAndSet(roomId: string, expected: number, next: T, announce?: Announcement) {
    const channel = announce ? `${this.options.busPrefix ?? 'dpp:bus:'}${announce.channel}` : '';
    const result = (await this.redis.eval(
      COMPARE_AND_SET,
      2,
      this.key(roomId),
      this.index,
      String(expected),
      JSON.stringify(next),
      roomId,
      channel,
      announce ? JSON.stringify(announce.message) : '',
    )) as number;
    return result < 0 ? undefined : result;
  }

  async delete(roomId: string, expected: number): Promise<boolean> {
    const result = await this.redis.eval(DELETE, 2, this.key(roomId), this.index, String(expected), roomId);
    return result === 1;
  }

  async list(): Promise<string[]> {
    return this.redis.smembers(this.index);
  }
}
