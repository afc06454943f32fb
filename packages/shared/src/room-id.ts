/**
 * A room is one voice channel: `roomId = "<guildId>:<channelId>"` (Discord snowflakes). Standalone
 * (dev) rooms are `dev:<name>` and belong to no guild. The one place room ids are built and read.
 */

const DISCORD_ROOM_ID = /^(\d{5,25}):(\d{5,25})$/;

/** The room of a guild's voice channel. */
export function roomIdFor(guildId: string, channelId: string): string {
  return `${guildId}:${channelId}`;
}

/** A standalone room (`?room=<name>` in a plain browser); `name` is already cleaned. */
export function devRoomId(name: string): string {
  return `dev:${name}`;
}

/** The guild and voice channel of a Discord room; null for a dev room or anything else. */
export function parseRoomId(roomId: string): { guildId: string; channelId: string } | null {
  const match = DISCORD_ROOM_ID.exec(roomId);
  return match ? { guildId: match[1] as string, channelId: match[2] as string } : null;
}

/** The guild a room belongs to; undefined for a dev room. */
export function guildOfRoom(roomId: string): string | undefined {
  return parseRoomId(roomId)?.guildId;
}
