/**
 * Live now-playing messages against the stub server's room event feed: the trailing edit comes by
 * itself after a burst, the feed reconnects after the server went away, and the room's end is the
 * message's last edit. (Against the real server: tests/integration/bot-server-rooms.test.ts.)
 */
import type { APIMessage } from 'discord.js';
import { afterEach, describe, expect, test } from 'vitest';
import { messageText } from '../../../tests/fakes/discord/index.ts';
import { waitFor } from '../../../tests/support/wait.ts';
import { type BotHarness, startBotHarness } from './support/harness.ts';

let harness: BotHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const buttonLabels = (message: APIMessage | undefined) =>
  (JSON.parse(JSON.stringify(message?.components ?? [])) as { components: { label?: string }[] }[]).flatMap((row) =>
    row.components.map((c) => c.label),
  );

describe('now-playing messages', () => {
  test('a burst of changes ends with an edit showing the latest; the feed returns after the server went away; the end is the last edit', async () => {
    harness = await startBotHarness({
      tuning: { nowPlayingEditIntervalMs: 25, roomFeedBackoff: { initialDelayMs: 5, maxDelayMs: 40 } },
    });
    const { fake, stub, bot, voice } = harness;
    const { alice } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    const roomId = `${fake.guild.id}:${channelId}`;
    await voice(alice, channelId);
    await waitFor(
      () => bot.client.guilds.cache.get(fake.guild.id)?.voiceStates.cache.get(alice)?.channelId === channelId,
    );
    await (await fake.command('play', { query: 'item:demo-1' }, { user: alice })).settled();
    const message = await (await fake.command('nowplaying', {}, { user: alice })).settled();
    expect(buttonLabels(message)).toEqual(['Pause', 'Skip']);
    await waitFor(() => bot.ctx.nowPlaying.isLive(roomId), { what: 'the room feed' });
    expect(stub.feedCalls).toEqual([roomId]);
    const shows = (text: string) => messageText(fake.message(message.id)).includes(text);

    // Changes made elsewhere, faster than the bot may edit: the last edit shows the last of them.
    const room = stub.rooms.get(roomId);
    if (!room) throw new Error('no room');
    for (const seconds of [5, 10, 15, 20, 25, 30, 35, 42]) {
      room.playback = { ...room.playback, rev: room.playback.rev + 1, status: 'paused', positionMs: seconds * 1000 };
      stub.broadcast(room);
    }
    await fake.until(() => (shows('0:42') ? true : undefined), 'an edit showing the final position');
    expect(buttonLabels(fake.message(message.id))).toEqual(['Resume', 'Skip']);

    // The server goes away (streams cut, then two refusals): the bot comes back on its own.
    const attempts = stub.feedCalls.length;
    stub.dropFeeds(2);
    await waitFor(() => stub.openFeeds(roomId) === 1, { what: 'the feed to reconnect' });
    expect(stub.feedCalls.length).toBe(attempts + 3);
    room.playback = { ...room.playback, rev: room.playback.rev + 1, status: 'playing', atServerMs: Date.now() };
    stub.broadcast(room);
    await fake.until(() => (buttonLabels(fake.message(message.id))[0] === 'Pause' ? true : undefined), 'play shown');

    // The room ends: the message says so, without buttons, and the bot stops following the room.
    await (await fake.command('stop', {}, { user: alice })).settled();
    await fake.until(() => (shows('has ended') ? true : undefined), 'the "ended" edit');
    expect(buttonLabels(fake.message(message.id))).toEqual([]);
    await waitFor(() => !bot.ctx.nowPlaying.followed.includes(roomId), { what: 'the feed to stop' });
    expect(stub.openFeeds(roomId)).toBe(0);
  });

  test('a message that was deleted is no longer edited, and its room is no longer followed', async () => {
    harness = await startBotHarness({ tuning: { nowPlayingEditIntervalMs: 25 } });
    const { fake, stub, bot, voice } = harness;
    const { alice } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    const roomId = `${fake.guild.id}:${channelId}`;
    await voice(alice, channelId);
    await waitFor(
      () => bot.client.guilds.cache.get(fake.guild.id)?.voiceStates.cache.get(alice)?.channelId === channelId,
    );
    await (await fake.command('play', { query: 'item:demo-1' }, { user: alice })).settled();
    const reply = await fake.command('nowplaying', {}, { user: alice });
    await reply.settled();
    await waitFor(() => bot.ctx.nowPlaying.isLive(roomId), { what: 'the room feed' });

    // Someone deleted the message in Discord.
    reply.record.original = undefined;
    const room = stub.rooms.get(roomId);
    if (!room) throw new Error('no room');
    room.playback = { ...room.playback, rev: room.playback.rev + 1, status: 'paused' };
    stub.broadcast(room);
    await waitFor(() => !bot.ctx.nowPlaying.followed.includes(roomId), { what: 'the bot to let the room go' });
    await waitFor(() => stub.openFeeds(roomId) === 0, { what: 'the feed to close' });
  });
});
