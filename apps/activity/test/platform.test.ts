import { describe, expect, it } from 'vitest';
import { discordClientId } from '../src/platform/discord.ts';
import { isDiscordMode } from '../src/platform/platform.ts';
import { standaloneRoom } from '../src/platform/standalone.ts';

describe('where the activity runs', () => {
  it('is in Discord when Discord framed it (frame_id in the query)', () => {
    expect(isDiscordMode('?frame_id=abc&instance_id=i-1&platform=desktop')).toBe(true);
    expect(isDiscordMode('?room=movie-night')).toBe(false);
  });

  it('takes the standalone room from ?room=, lobby by default, in the server’s id alphabet', () => {
    expect(standaloneRoom('')).toEqual({ roomId: 'dev:lobby', label: 'lobby' });
    expect(standaloneRoom('?room=movie-night')).toEqual({ roomId: 'dev:movie-night', label: 'movie-night' });
    expect(standaloneRoom('?room=Ana%27s%20room!').roomId).toBe('dev:Ana-s-room');
    expect(standaloneRoom(`?room=${'x'.repeat(100)}`).roomId).toBe(`dev:${'x'.repeat(64)}`);
    expect(standaloneRoom('?room=%20%20').roomId).toBe('dev:lobby');
  });

  it('explains a room name it had to change, instead of moving the viewer silently', () => {
    expect(standaloneRoom('?room=movie-night').problem).toBeUndefined();
    expect(standaloneRoom('').problem).toBeUndefined();
    expect(standaloneRoom(`?room=${encodeURIComponent('😀')}`)).toEqual({
      roomId: 'dev:lobby',
      label: 'lobby',
      problem: 'Room names use letters, digits, - and _ (up to 64): “😀” became “lobby”.',
    });
    expect(standaloneRoom('?room=Ana%27s%20room!').problem).toContain('became “Ana-s-room”');
  });

  it('reads the Discord application id from the discordsays.com host when the build has none', () => {
    expect(discordClientId('1234567890123456789.discordsays.com')).toBe('1234567890123456789');
    expect(discordClientId('localhost')).toBeNull();
    expect(discordClientId('evil.com.discordsays.com.example')).toBeNull();
  });
});
