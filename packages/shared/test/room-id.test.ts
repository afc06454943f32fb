import { describe, expect, test } from 'vitest';
import { ROOM_ID_PATTERN } from '../src/protocol.ts';
import { devRoomId, guildOfRoom, parseRoomId, roomIdFor } from '../src/room-id.ts';

const GUILD = '123456789012345678';
const CHANNEL = '876543210987654321';

describe('room ids', () => {
  test('a voice channel room reads back as its guild and channel', () => {
    const roomId = roomIdFor(GUILD, CHANNEL);
    expect(roomId).toBe(`${GUILD}:${CHANNEL}`);
    expect(ROOM_ID_PATTERN.test(roomId)).toBe(true);
    expect(parseRoomId(roomId)).toEqual({ guildId: GUILD, channelId: CHANNEL });
    expect(guildOfRoom(roomId)).toBe(GUILD);
  });

  test('a standalone room is valid and belongs to no guild', () => {
    const roomId = devRoomId('lobby');
    expect(roomId).toBe('dev:lobby');
    expect(ROOM_ID_PATTERN.test(roomId)).toBe(true);
    expect(parseRoomId(roomId)).toBeNull();
    expect(guildOfRoom(roomId)).toBeUndefined();
  });

  test.each(['', '123:456', `${GUILD}:`, `:${CHANNEL}`, `${GUILD}:${CHANNEL}:1`, `x${GUILD}:${CHANNEL}`])(
    '%j is not a voice channel room',
    (roomId) => {
      expect(parseRoomId(roomId)).toBeNull();
    },
  );
});
