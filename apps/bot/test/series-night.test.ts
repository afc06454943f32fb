import { InteractionResponseType } from 'discord.js';
import { afterEach, describe, expect, test } from 'vitest';
import { isEphemeral, messageText } from '../../../tests/fakes/discord/index.ts';
import { type BotHarness, startBotHarness } from './support/harness.ts';

/** /watch and /play launching the activity, /queue's buttons, /history and the speed, with the real discord.js client. */
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
  harness = await startBotHarness();
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
    const { fake, stub, alice, roomId } = await inVoice();
    const reply = await fake.command('play', { query: 'item:demo-2' }, { user: alice });
    expect(reply.callback.type).toBe(InteractionResponseType.LaunchActivity);
    const message = await reply.settled();
    expect(messageText(message)).toContain('Now playing: Sintel');
    expect(buttons(message)[0]?.style).toBe(5);
    expect(stub.rooms.get(roomId)?.playback.itemId).toBe('demo-2');
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
    for (const query of ['item:demo-1', 'item:demo-2', 'item:demo-3']) {
      await (await h.fake.command('play', { query }, { user: h.alice })).settled();
    }
    return h;
  }

  test('lists the queue with a Skip button and a Remove button per entry; pressing them acts and updates the message', async () => {
    const { fake, stub, alice, roomId } = await queued();
    const shown = await (await fake.command('queue', {}, { user: alice })).settled();
    expect(messageText(shown)).toMatch(/Now playing\nBig Buck Bunny[\s\S]*1\. Sintel[\s\S]*2\. Tears of Steel/);
    const [skip, removeSintel, removeTears] = buttons(shown);
    expect(skip?.label).toBe('Skip');
    expect(removeSintel?.label).toBe('Remove 1. Sintel');
    expect(removeTears?.label).toBe('Remove 2. Tears of Steel');

    const removed = await fake.press(removeSintel!.custom_id!, { user: alice, message: shown });
    expect(removed.callback.type).toBe(InteractionResponseType.DeferredMessageUpdate);
    await fake.until(
      () => (messageText(removed.message).includes('Sintel') ? undefined : true),
      'the message to follow',
    );
    expect(stub.callsTo('roomCommand').at(-1)?.body).toMatchObject({ op: 'queue.remove' });
    expect(stub.rooms.get(roomId)?.queue.map((e) => e.title)).toEqual(['Big Buck Bunny', 'Tears of Steel']);

    const afterRemove = removed.message!;
    const skipped = await fake.press(buttons(afterRemove)[0]!.custom_id!, { user: alice, message: afterRemove });
    await fake.until(
      () => (messageText(skipped.message).match(/Now playing\nTears of Steel/) ? true : undefined),
      'the skip to show',
    );
    expect(stub.callsTo('roomCommand').at(-1)?.body).toEqual({ op: 'next' });
  });

  test('a press by someone the room does not let control is refused privately and changes nothing', async () => {
    const { fake, stub, alice, roomId } = await queued();
    const { bob } = fake.guild.users;
    stub.on('roomCommand', (call) =>
      call.actingUser === bob
        ? { status: 403, body: { error: { code: 'not_allowed', message: 'Only hosts may do that in this room.' } } }
        : undefined,
    );
    const shown = await (await fake.command('queue', {}, { user: alice })).settled();
    const before = stub.rooms.get(roomId)?.queue.map((e) => e.entryId);
    const refused = await fake.press(buttons(shown)[0]!.custom_id!, { user: bob, message: shown });
    const note = await refused.followup();
    expect(isEphemeral(note)).toBe(true);
    expect(messageText(note)).toContain('Only hosts');
    expect(stub.rooms.get(roomId)?.queue.map((e) => e.entryId)).toEqual(before);
  });
});

describe('/remote', () => {
  test('passes, grants, answers and removes by Discord user, and asks or resigns for the caller', async () => {
    const { fake, stub, alice, roomId } = await inVoice();
    const { bob } = fake.guild.users;
    await (await fake.command('play', { query: 'item:demo-1' }, { user: alice })).settled();
    const passed = await (await fake.command('remote pass', { member: bob }, { user: alice })).settled();
    expect(messageText(passed)).toContain('Alice passed the remote to Bob');
    await (await fake.command('remote accept', { member: bob }, { user: alice })).settled();
    await (await fake.command('remote remove', { member: bob }, { user: alice })).settled();
    await harness!.voice(bob, fake.guild.channels.movieNight);
    await (await fake.command('remote ask', {}, { user: bob })).settled();
    const sent = stub.callsTo('roomCommand').map((c) => [c.params.roomId, c.actingUser, c.body]);
    expect(sent).toEqual([
      [roomId, alice, { op: 'remote.pass', userId: `discord:${bob}` }],
      [roomId, alice, { op: 'control.answer', userId: `discord:${bob}`, accept: true }],
      [roomId, alice, { op: 'member.remove', userId: `discord:${bob}` }],
      [roomId, bob, { op: 'control.request' }],
    ]);
  });

  test('a refusal from the room’s rules is shown privately', async () => {
    const { fake, stub, alice } = await inVoice();
    const { bob } = fake.guild.users;
    await (await fake.command('play', { query: 'item:demo-1' }, { user: alice })).settled();
    await harness!.voice(bob, fake.guild.channels.movieNight);
    stub.on('roomCommand', () => ({
      status: 403,
      body: { error: { code: 'not_allowed', message: 'Only hosts may do that in this room.' } },
    }));
    const reply = await fake.command('remote remove', { member: alice }, { user: bob });
    const note = await reply.followup();
    expect(isEphemeral(note)).toBe(true);
    expect(messageText(note)).toContain('Only hosts');
  });
});

describe('/history and the speed', () => {
  test('/history lists what the guild watched recently, newest first, with the channel', async () => {
    harness = await startBotHarness();
    const { fake, stub } = harness;
    stub.history.push(
      {
        itemId: 'demo-3',
        title: 'Tears of Steel',
        channelId: fake.guild.channels.lounge,
        startedAt: new Date().toISOString(),
      },
      {
        itemId: 'demo-1',
        title: 'Big Buck Bunny',
        channelId: fake.guild.channels.movieNight,
        startedAt: '2026-12-01T20:00:00.000Z',
      },
    );
    const message = await (await fake.command('history', {}, { user: fake.guild.users.bob })).settled();
    const text = messageText(message);
    expect(text).toContain('Recently watched');
    expect(text.indexOf('Tears of Steel')).toBeLessThan(text.indexOf('Big Buck Bunny'));
    expect(text).toContain(`<#${fake.guild.channels.lounge}>`);
    expect(stub.callsTo('history')[0]?.params.guildId).toBe(fake.guild.id);
  });

  test('/history with nothing watched says how to start', async () => {
    harness = await startBotHarness();
    const message = await (await harness.fake.command('history', {}, { user: harness.fake.guild.users.bob })).settled();
    expect(messageText(message)).toContain('Nothing yet');
  });

  test('the now-playing message shows the room’s speed', async () => {
    const { fake, stub, alice, roomId } = await inVoice();
    await (await fake.command('play', { query: 'item:demo-1' }, { user: alice })).settled();
    stub.rooms.get(roomId)!.playback.rate = 1.5;
    const message = await (await fake.command('nowplaying', {}, { user: alice })).settled();
    expect(messageText(message)).toContain('▶️ Playing · 1.5× speed');
  });
});
