import { InteractionResponseType } from 'discord.js';
import { afterEach, describe, expect, test } from 'vitest';
import { isEphemeral, messageText } from '../../../tests/fakes/discord/index.ts';
import { botApi, inVoice as botSees, roomCommand, roomOf } from '../../../tests/support/bot-and-server.ts';
import { waitFor } from '../../../tests/support/wait.ts';
import { type BotHarness, serverForThisFile, startBotHarness } from './support/harness.ts';

/** /watch and /play launching the activity, /queue's buttons, /history and the speed, with the real discord.js client. */
const server = serverForThisFile();
let harness: BotHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const buttons = (message: { components?: unknown[] } | undefined) =>
  JSON.parse(JSON.stringify(message?.components ?? [])).flatMap(
    (row: { components: { style: number; url?: string; custom_id?: string; label?: string }[] }) => row.components,
  ) as { style: number; url?: string; custom_id?: string; label?: string }[];

async function inVoice() {
  harness = await startBotHarness(server());
  const { alice } = harness.fake.guild.users;
  const channelId = harness.fake.guild.channels.movieNight;
  await harness.voice(alice, channelId);
  return { ...harness, alice, channelId, roomId: `${harness.fake.guild.id}:${channelId}` };
}

describe('launching the activity for the caller', () => {
  test('/watch answers with LAUNCH_ACTIVITY (type 12) and keeps the invite button for the others', async () => {
    const { fake, alice } = await inVoice();
    const reply = await fake.command('watch', {}, { user: alice });
    expect(reply.callback.type).toBe(InteractionResponseType.LaunchActivity);
    const message = await reply.settled();
    expect(isEphemeral(message)).toBe(false);
    expect(messageText(message)).toContain('Alice opened Plex Player');
    expect(buttons(message)[0]).toMatchObject({ style: 5, url: `https://discord.gg/${fake.invites.at(-1)?.code}` });
  });

  test('/play launches the activity, then says what plays with the invite button', async () => {
    const { fake, alice, roomId } = await inVoice();
    const reply = await fake.command('play', { query: 'item:demo-deep-blue-timecode' }, { user: alice });
    expect(reply.callback.type).toBe(InteractionResponseType.LaunchActivity);
    const message = await reply.settled();
    expect(messageText(message)).toContain('Now playing: Deep Blue Timecode');
    expect(buttons(message)[0]?.style).toBe(5);
    expect((await roomOf(server(), roomId))?.playback.itemId).toBe('demo-deep-blue-timecode');
  });

  test('where Discord refuses to launch (no Activities for the app), the caller gets the invite like everyone', async () => {
    const { fake, alice } = await inVoice();
    fake.state.activitiesEnabled = false;
    const reply = await fake.command('watch', {}, { user: alice });
    expect(reply.callback.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const message = await reply.settled();
    expect(messageText(message)).toContain('Watch party in 🔊 Movie Night');
    expect(messageText(message)).not.toContain('opened Plex Player');
    expect(buttons(message)[0]?.style).toBe(5);
  });

  test('without the launch, a failing /play replaces its public "thinking…" with a private message', async () => {
    const { fake, alice } = await inVoice();
    fake.state.activitiesEnabled = false;
    const reply = await fake.command('play', { query: 'nothing like this' }, { user: alice });
    expect(reply.callback.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const followup = await reply.followup();
    expect(isEphemeral(followup)).toBe(true);
    expect(reply.edits.map((e) => e.kind)).toEqual(['delete-original', 'followup']);
  });

  test('a /play that fails after the launch tells the caller privately', async () => {
    const { fake, alice } = await inVoice();
    const reply = await fake.command('play', { query: 'nothing like this' }, { user: alice });
    expect(reply.callback.type).toBe(InteractionResponseType.LaunchActivity);
    const followup = await reply.followup();
    expect(isEphemeral(followup)).toBe(true);
    expect(messageText(followup)).toContain('Nothing playable');
  });
});

describe('/queue', () => {
  async function queued() {
    const h = await inVoice();
    for (const query of ['item:demo-sunrise-sync', 'item:demo-deep-blue-timecode', 'item:demo-green-room-countdown']) {
      await (await h.fake.command('play', { query }, { user: h.alice })).settled();
    }
    return h;
  }

  test('lists the queue with a Skip button and a Remove button per entry; pressing them acts and updates the message', async () => {
    const { fake, tap, alice, roomId } = await queued();
    const shown = await (await fake.command('queue', {}, { user: alice })).settled();
    expect(messageText(shown)).toMatch(
      /Now playing\nSunrise Sync Check[\s\S]*1\. Deep Blue Timecode[\s\S]*2\. Green Room Countdown/,
    );
    const [skip, removeBlue, removeGreen] = buttons(shown);
    expect(skip?.label).toBe('Skip');
    expect(removeBlue?.label).toBe('Remove 1. Deep Blue Timecode');
    expect(removeGreen?.label).toBe('Remove 2. Green Room Countdown');

    const removed = await fake.press(removeBlue!.custom_id!, { user: alice, message: shown });
    expect(removed.callback.type).toBe(InteractionResponseType.DeferredMessageUpdate);
    await fake.until(
      () => (messageText(removed.message).includes('Deep Blue') ? undefined : true),
      'the message to follow',
    );
    expect(tap.callsTo('roomCommand').at(-1)?.body).toMatchObject({ op: 'queue.remove' });
    expect((await roomOf(server(), roomId))?.queue.map((e) => e.title)).toEqual([
      'Sunrise Sync Check',
      'Green Room Countdown',
    ]);

    const afterRemove = removed.message!;
    const skipped = await fake.press(buttons(afterRemove)[0]!.custom_id!, { user: alice, message: afterRemove });
    await fake.until(
      () => (messageText(skipped.message).match(/Now playing\nGreen Room Countdown/) ? true : undefined),
      'the skip to show',
    );
    expect(tap.callsTo('roomCommand').at(-1)?.body).toEqual({ op: 'next' });
  });

  test('a press by someone the room does not let control is refused privately and changes nothing', async () => {
    const { fake, tap, bot, alice, roomId } = await queued();
    const { bob } = fake.guild.users;
    // Hosts only, and Bob (in the channel) is not one.
    await roomCommand(server(), roomId, alice, { op: 'settings', control: 'hosts' });
    await botSees(bot, fake, bob, fake.guild.channels.movieNight);
    const shown = await (await fake.command('queue', {}, { user: alice })).settled();
    const before = (await roomOf(server(), roomId))?.queue.map((e) => e.entryId);
    const refused = await fake.press(buttons(shown)[0]!.custom_id!, { user: bob, message: shown });
    const note = await refused.followup();
    expect(isEphemeral(note)).toBe(true);
    expect(messageText(note)).toContain('Only hosts');
    expect(tap.callsTo('roomCommand').at(-1)).toMatchObject({ actingUser: bob, status: 403, body: { op: 'next' } });
    expect((await roomOf(server(), roomId))?.queue.map((e) => e.entryId)).toEqual(before);
  });
});

describe('/remote', () => {
  test('passes, grants, answers and removes by Discord user, and asks or resigns for the caller', async () => {
    const { fake, tap, bot, alice, roomId } = await inVoice();
    const { bob } = fake.guild.users;
    await (await fake.command('play', { query: 'item:demo-sunrise-sync' }, { user: alice })).settled();
    await botSees(bot, fake, bob, fake.guild.channels.movieNight);
    await waitFor(async () => (await roomOf(server(), roomId))?.members.some((m) => m.name === 'Bob'), {
      what: 'Bob in the room',
    });
    const passed = await (await fake.command('remote pass', { member: bob }, { user: alice })).settled();
    expect(messageText(passed)).toContain('Alice passed the remote to Bob');
    // The rest go to the server as they are; its rules refuse some of them (Alice no longer holds the remote).
    for (const [name, options, user] of [
      ['remote accept', { member: bob }, alice],
      ['remote remove', { member: bob }, alice],
      ['remote ask', {}, bob],
    ] as const) {
      const sent = tap.callsTo('roomCommand').length;
      await fake.command(name, options, { user });
      await waitFor(() => (tap.callsTo('roomCommand')[sent]?.status ?? 0) > 0, { what: `${name} answered` });
    }
    const sent = tap.callsTo('roomCommand').map((c) => [c.params.roomId, c.actingUser, c.body]);
    expect(sent).toEqual([
      [roomId, alice, { op: 'remote.pass', userId: `discord:${bob}` }],
      [roomId, alice, { op: 'control.answer', userId: `discord:${bob}`, accept: true }],
      [roomId, alice, { op: 'member.remove', userId: `discord:${bob}` }],
      [roomId, bob, { op: 'control.request' }],
    ]);
  });

  test('a refusal from the room’s rules is shown privately', async () => {
    const { fake, bot, alice, roomId } = await inVoice();
    const { bob } = fake.guild.users;
    await (await fake.command('play', { query: 'item:demo-sunrise-sync' }, { user: alice })).settled();
    await botSees(bot, fake, bob, fake.guild.channels.movieNight);
    await waitFor(async () => (await roomOf(server(), roomId))?.members.some((m) => m.name === 'Bob'), {
      what: 'Bob in the room',
    });
    const reply = await fake.command('remote remove', { member: alice }, { user: bob });
    const note = await reply.followup();
    expect(isEphemeral(note)).toBe(true);
    expect(messageText(note)).toContain('Only hosts');
  });
});

describe('/history and the speed', () => {
  test('/history lists what the guild watched recently, newest first, with the channel', async () => {
    harness = await startBotHarness(server());
    const { fake, tap } = harness;
    const { alice, bob } = fake.guild.users;
    // Movie Night played Sunrise, then the Lounge played Green Room.
    for (const [channelId, itemId] of [
      [fake.guild.channels.movieNight, 'demo-sunrise-sync'],
      [fake.guild.channels.lounge, 'demo-green-room-countdown'],
    ] as const) {
      const played = await botApi(server(), 'POST', `/api/bot/rooms/${fake.guild.id}:${channelId}/play`, alice, {
        itemId,
      });
      expect(played.statusCode, played.body).toBe(200);
    }
    const text = await waitFor(
      async () => {
        const message = await (await fake.command('history', {}, { user: bob })).settled();
        return messageText(message).includes('Sunrise Sync Check') ? messageText(message) : false;
      },
      { what: '/history to list both' },
    );
    expect(text).toContain('Recently watched');
    expect(text.indexOf('Green Room Countdown')).toBeLessThan(text.indexOf('Sunrise Sync Check'));
    expect(text).toContain(`<#${fake.guild.channels.lounge}>`);
    expect(tap.callsTo('history')[0]?.params.guildId).toBe(fake.guild.id);
  });

  test('/history with nothing watched says how to start', async () => {
    harness = await startBotHarness(server());
    const message = await (await harness.fake.command('history', {}, { user: harness.fake.guild.users.bob })).settled();
    expect(messageText(message)).toContain('Nothing yet');
  });

  test('the now-playing message shows the room’s speed', async () => {
    const { fake, alice, roomId } = await inVoice();
    await (await fake.command('play', { query: 'item:demo-sunrise-sync' }, { user: alice })).settled();
    await roomCommand(server(), roomId, alice, { op: 'rate', rate: 1.5 });
    const message = await (await fake.command('nowplaying', {}, { user: alice })).settled();
    expect(messageText(message)).toContain('▶️ Playing · 1.5× speed');
  });
});
