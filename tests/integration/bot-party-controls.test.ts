/**
 * /watch, /queue's buttons and /history end to end: the real discord.js client on the fake Discord,
 * the real server (its room rules, its watch history) behind the real server API client.
 */
import { InteractionResponseType } from 'discord.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FakeDiscord, isEphemeral, messageText, startFakeDiscord } from '../fakes/discord/index.ts';
import { type App, type Bot, roomCommand, startBot, startServer, type TestServer } from '../support/bot-and-server.ts';
import { waitFor } from '../support/wait.ts';

const buttons = (message: { components?: unknown[] } | undefined) =>
  JSON.parse(JSON.stringify(message?.components ?? [])).flatMap(
    (row: { components: { custom_id?: string; label?: string; url?: string }[] }) => row.components,
  ) as { custom_id?: string; label?: string; url?: string }[];

describe('the remote, the queue and history through the bot, against the real server', () => {
  let app: App;
  let fake: FakeDiscord;
  let bot: Bot;
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
    app = server.app;
    fake = await startFakeDiscord();
    bot = await startBot(fake, server, { tuning: { emptyGraceMs: 60_000 } });
  });
  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    await app?.close();
  });

  test('/watch launches the activity for the caller; /queue removes and skips under the room’s rules; /history lists it', async () => {
    const { alice, bob } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    const roomId = `${fake.guild.id}:${channelId}`;
    for (const user of [alice, bob]) {
      await fake.dispatchVoiceState({ userId: user, channelId });
      await waitFor(
        () => bot.client.guilds.cache.get(fake.guild.id)?.voiceStates.cache.get(user)?.channelId === channelId,
      );
    }

    const watch = await fake.command('watch', {}, { user: alice });
    expect(watch.callback.type).toBe(InteractionResponseType.LaunchActivity);
    expect(buttons(await watch.settled())[0]?.url).toMatch(/^https:\/\/discord\.gg\//);

    for (const query of ['sunrise', 'deep blue', 'green room']) {
      await (await fake.command('play', { query }, { user: alice })).settled();
    }
    const queued = await app.rooms.snapshot(roomId);
    expect(queued?.queue.map((e) => e.title)).toEqual([
      'Sunrise Sync Check',
      'Deep Blue Timecode',
      'Green Room Countdown',
    ]);

    // Hosts only (Alice, the host, says so): Bob's press is refused privately and the queue stays.
    await roomCommand(server, roomId, alice, { op: 'settings', control: 'hosts' });
    const shown = await (await fake.command('queue', {}, { user: alice })).settled();
    const removeBlue = buttons(shown).find((b) => b.label === 'Remove 1. Deep Blue Timecode')!;
    const refused = await fake.press(removeBlue.custom_id!, { user: bob, message: shown });
    const why = await refused.followup();
    expect(isEphemeral(why)).toBe(true);
    expect(messageText(why)).toMatch(/hosts/i);
    expect((await app.rooms.snapshot(roomId))?.queue).toHaveLength(3);

    // Alice (the host) removes it; the message shows the queue as the press left it.
    const removed = await fake.press(removeBlue.custom_id!, { user: alice, message: shown });
    await waitFor(() => !messageText(removed.message).includes('Deep Blue'), { what: 'the message to follow' });
    expect((await app.rooms.snapshot(roomId))?.queue.map((e) => e.title)).toEqual([
      'Sunrise Sync Check',
      'Green Room Countdown',
    ]);
    const skip = buttons(removed.message).find((b) => b.label === 'Skip')!;
    await fake.press(skip.custom_id!, { user: alice, message: removed.message! });
    await waitFor(async () => (await app.rooms.snapshot(roomId))?.queue[0]?.title === 'Green Room Countdown', {
      what: 'the skip',
    });

    // The remote from chat: Alice passes it to Bob, under the server's rules.
    const passed = await (await fake.command('remote pass', { member: bob }, { user: alice })).settled();
    expect(messageText(passed)).toContain('passed the remote to Bob');
    const hosts = (await app.rooms.snapshot(roomId))?.members.filter((m) => m.role === 'host').map((m) => m.name);
    expect(hosts).toEqual(['Bob']);
    const notAnymore = await (await fake.command('remote remove', { member: bob }, { user: alice })).followup();
    expect(isEphemeral(notAnymore)).toBe(true);

    const history = await waitFor(
      async () => {
        const message = await (await fake.command('history', {}, { user: bob })).settled();
        return messageText(message).includes('Green Room Countdown') ? messageText(message) : false;
      },
      { what: '/history to list the skipped-to item' },
    );
    expect(history).toContain('Sunrise Sync Check');
    expect(history).toContain(`<#${channelId}>`);
    expect(history.indexOf('Green Room Countdown')).toBeLessThan(history.indexOf('Sunrise Sync Check'));
  });
});
