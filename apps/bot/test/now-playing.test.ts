/**
 * Live now-playing messages from the server's room event feed: the trailing edit comes by itself
 * after a burst, the feed reconnects after the server went away, and the room's end is the message's
 * last edit. (More of it, with several bots: tests/integration/bot-server-rooms.test.ts.)
 */
import type { APIMessage } from 'discord.js';
import { afterEach, describe, expect, test } from 'vitest';
import { messageText } from '../../../tests/fakes/discord/index.ts';
import { roomCommand } from '../../../tests/support/bot-and-server.ts';
import { waitFor } from '../../../tests/support/wait.ts';
import { type BotHarness, serverForThisFile, startBotHarness } from './support/harness.ts';

const server = serverForThisFile();

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
    harness = await startBotHarness(server(), {
      tuning: { nowPlayingEditIntervalMs: 25, roomFeedBackoff: { initialDelayMs: 5, maxDelayMs: 40 } },
    });
    const { fake, tap, bot, voice } = harness;
    const { alice } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    const roomId = `${fake.guild.id}:${channelId}`;
    await voice(alice, channelId);
    await waitFor(
      () => bot.client.guilds.cache.get(fake.guild.id)?.voiceStates.cache.get(alice)?.channelId === channelId,
    );
    await (await fake.command('play', { query: 'item:demo-harbour-long-take' }, { user: alice })).settled();
    const message = await (await fake.command('nowplaying', {}, { user: alice })).settled();
    expect(buttonLabels(message)).toEqual(['Pause', 'Skip']);
    await waitFor(() => bot.ctx.nowPlaying.isLive(roomId), { what: 'the room feed' });
    const feedCalls = () => tap.callsTo('roomEvents').map((c) => c.params.roomId);
    expect(feedCalls()).toEqual([roomId]);
    const elsewhere = (body: object) => roomCommand(server(), roomId, alice, body);
    const shows = (text: string) => messageText(fake.message(message.id)).includes(text);

    // Changes made elsewhere, faster than the bot may edit: the last edit shows the last of them.
    await elsewhere({ op: 'pause' });
    for (const seconds of [5, 10, 15, 20, 25, 30, 35, 42]) await elsewhere({ op: 'seek', positionMs: seconds * 1000 });
    await fake.until(() => (shows('0:42') ? true : undefined), 'an edit showing the final position');
    expect(buttonLabels(fake.message(message.id))).toEqual(['Resume', 'Skip']);

    // The server goes away (streams cut, then two refusals): the bot comes back on its own.
    const attempts = feedCalls().length;
    tap.dropFeeds(2);
    await waitFor(() => tap.openFeeds(roomId) === 1, { what: 'the feed to reconnect' });
    expect(feedCalls().length).toBe(attempts + 3);
    await elsewhere({ op: 'play' });
    await fake.until(() => (buttonLabels(fake.message(message.id))[0] === 'Pause' ? true : undefined), 'play shown');

    // The room ends: the message says so, without buttons, and the bot stops following the room.
    await (await fake.command('stop', {}, { user: alice })).settled();
    await fake.until(() => (shows('has ended') ? true : undefined), 'the "ended" edit');
    expect(buttonLabels(fake.message(message.id))).toEqual([]);
    await waitFor(() => !bot.ctx.nowPlaying.followed.includes(roomId), { what: 'the feed to stop' });
    expect(tap.openFeeds(roomId)).toBe(0);
  });

  test('a message that was deleted is no longer edited, and its room is no longer followed', async () => {
    harness = await startBotHarness(server(), { tuning: { nowPlayingEditIntervalMs: 25 } });
    const { fake, tap, bot, voice } = harness;
    const { alice } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    const roomId = `${fake.guild.id}:${channelId}`;
    await voice(alice, channelId);
    await waitFor(
      () => bot.client.guilds.cache.get(fake.guild.id)?.voiceStates.cache.get(alice)?.channelId === channelId,
    );
    await (await fake.command('play', { query: 'item:demo-sunrise-sync' }, { user: alice })).settled();
    const reply = await fake.command('nowplaying', {}, { user: alice });
    await reply.settled();
    await waitFor(() => bot.ctx.nowPlaying.isLive(roomId), { what: 'the room feed' });

    // Someone deleted the message in Discord.
    reply.record.original = undefined;
    await roomCommand(server(), roomId, alice, { op: 'pause' });
    await waitFor(() => !bot.ctx.nowPlaying.followed.includes(roomId), { what: 'the bot to let the room go' });
    await waitFor(() => tap.openFeeds(roomId) === 0, { what: 'the feed to close' });
  });
});
