import { ManualClock } from '@dpp/shared/testing';
import { GatewayIntentBits, InteractionResponseType } from 'discord.js';
import { afterEach, describe, expect, test } from 'vitest';
import { isEphemeral, messageText } from '../../../tests/fakes/discord/index.ts';
import { waitFor } from '../../../tests/support/wait.ts';
import { USER_MESSAGES } from '../src/errors.ts';
import { type BotHarness, startBotHarness } from './support/harness.ts';
import { libraryItem } from './support/stub-server.ts';

let harness: BotHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options?: Parameters<typeof startBotHarness>[0]) {
  harness = await startBotHarness(options);
  return harness;
}

const linkButtons = (message: { components?: unknown[] } | undefined) =>
  JSON.parse(JSON.stringify(message?.components ?? [])).flatMap(
    (row: { components: { style: number; url?: string; custom_id?: string; label?: string }[] }) => row.components,
  );

describe('connecting', () => {
  test('the real discord.js client logs in to Discord, asking for Guilds and GuildVoiceStates only', async () => {
    const { bot, fake, stub } = await start();
    expect(bot.client.isReady()).toBe(true);
    const session = await fake.identified();
    expect(session.intents).toBe(GatewayIntentBits.Guilds | GatewayIntentBits.GuildVoiceStates);
    const guild = bot.client.guilds.cache.get(fake.guild.id);
    expect(guild?.channels.cache.get(fake.guild.channels.movieNight)?.name).toBe('Movie Night');
    // On READY the bot tells the server who is in voice, whatever it missed while away (again once
    // its feed of the guild's new rooms is listening, for rooms created in between).
    await waitFor(() => stub.callsTo('voiceSync').length >= 1, { what: 'voice sync on ready' });
    expect(stub.callsTo('voiceSync')[0]?.params.guildId).toBe(fake.guild.id);
  });
});

describe('/play', () => {
  test('autocomplete answers from the library with at most 25 choices of at most 100 characters, then from the cache', async () => {
    const { fake, stub } = await start();
    const long = 'A Very Long Title That Goes On And On About Things That Happened Once Upon A Time In A Galaxy';
    stub.setLibrary(Array.from({ length: 40 }, (_, i) => libraryItem(`movie-${i}`, `${long} Part ${i + 1}`)));

    const first = await fake.autocomplete('play', { query: 'galaxy' }, 'query');
    expect(first.callback.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    expect(first.choices).toHaveLength(25);
    for (const choice of first.choices) {
      expect([...choice.name].length).toBeLessThanOrEqual(100);
      expect(String(choice.value)).toMatch(/^item:movie-\d+$/);
    }
    expect(stub.callsTo('search')).toHaveLength(1);
    expect(stub.callsTo('search')[0]?.query).toMatchObject({ guildId: fake.guild.id, q: 'galaxy', limit: '25' });

    const again = await fake.autocomplete('play', { query: 'Galaxy ' }, 'query');
    expect(again.choices).toEqual(first.choices);
    expect(stub.callsTo('search')).toHaveLength(1);
  });

  test('autocomplete still answers when the server is too slow, from titles seen before', async () => {
    const { fake, stub } = await start({ tuning: { autocompleteBudgetMs: 200 } });
    await fake.autocomplete('play', { query: 'big' }, 'query');
    stub.on('search', () => new Promise(() => {})); // never answers
    const slow = await fake.autocomplete('play', { query: 'bunny' }, 'query');
    expect(slow.choices.map((c) => c.name)).toEqual(['Big Buck Bunny (2008) · 10 min']);
  });

  test('without a voice channel, the caller gets a clear private message and nothing starts', async () => {
    const { fake, stub } = await start();
    const reply = await fake.command('play', { query: 'item:demo-1' });
    const message = await reply.settled();
    expect(isEphemeral(message)).toBe(true);
    expect(messageText(message)).toContain('Join a voice channel first');
    expect(stub.callsTo('roomCommand')).toHaveLength(0);
    expect(stub.callsTo('play')).toHaveLength(0);
  });

  test("in a voice channel, the chosen item plays in that channel's room, with a one-click way into the activity", async () => {
    const { fake, stub, voice } = await start();
    const { alice, bob } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    await voice(alice, channelId);
    await waitFor(
      () => harness?.bot.client.guilds.cache.get(fake.guild.id)?.voiceStates.cache.get(alice)?.channelId === channelId,
    );

    const suggestions = await fake.autocomplete('play', { query: 'sintel' }, 'query', { user: alice });
    const choice = suggestions.choices[0]!;
    const reply = await fake.command('play', { query: String(choice.value) }, { user: alice });
    const message = await reply.settled();

    const roomId = `${fake.guild.id}:${channelId}`;
    // One call: the server starts the item, or queues it, in one room update.
    const plays = stub.callsTo('play');
    expect(plays.map((c) => [c.params.roomId, c.body])).toEqual([[roomId, { itemId: 'demo-2' }]]);
    expect(plays.every((c) => c.actingUser === alice && c.actingUserName === 'Alice')).toBe(true);
    expect(stub.callsTo('roomCommand')).toHaveLength(0);
    expect(stub.rooms.get(roomId)?.playback).toMatchObject({ itemId: 'demo-2', status: 'playing' });

    expect(isEphemeral(message)).toBe(false);
    expect(messageText(message)).toContain('Now playing: Sintel');
    const invite = fake.invites.at(-1)!;
    expect(invite).toMatchObject({
      target_type: 2,
      target_application: { id: fake.applicationId },
      channel: { id: channelId },
    });
    expect(linkButtons(message)).toEqual([
      expect.objectContaining({ style: 5, url: `https://discord.gg/${invite.code}` }),
    ]);

    // Someone else's /play in the same channel queues behind it.
    await voice(bob, channelId);
    const queued = await (await fake.command('play', { query: 'tears' }, { user: bob })).settled();
    expect(messageText(queued)).toContain('Added to the queue: Tears of Steel');
    expect(stub.callsTo('play').at(-1)?.body).toEqual({ itemId: 'demo-3' });
    expect(fake.invites).toHaveLength(1); // the channel's invite is reused
  });

  test('Plex unreachable: a friendly private message, and nothing public is left behind', async () => {
    const { fake, stub, voice } = await start();
    await voice(fake.guild.users.alice, fake.guild.channels.movieNight);
    stub.on('search', () => ({
      status: 503,
      body: { error: { code: 'plex_unavailable', message: 'Plex did not answer.' } },
    }));
    const reply = await fake.command('play', { query: 'anything' });
    const followup = await reply.followup();
    expect(isEphemeral(followup)).toBe(true);
    expect(followup.content).toBe(USER_MESSAGES.plexUnavailable);
    // The activity was launched for the caller (no public message of its own): only the private followup.
    expect(reply.callback.type).toBe(InteractionResponseType.LaunchActivity);
    expect(reply.edits.map((e) => e.kind)).toEqual(['followup']);
    expect(stub.callsTo('search')).toHaveLength(1); // not retried: the server already tried Plex
  });
});

describe('room commands', () => {
  async function playing() {
    const h = await start();
    const { alice } = h.fake.guild.users;
    await h.voice(alice, h.fake.guild.channels.movieNight);
    await (await h.fake.command('play', { query: 'item:demo-1' }, { user: alice })).settled();
    return { ...h, roomId: `${h.fake.guild.id}:${h.fake.guild.channels.movieNight}`, alice };
  }

  test('/seek reads 1:23:45, 83:00, 90s and 5m, and refuses what is not a time', async () => {
    const { fake, stub, alice } = await playing();
    for (const [time, positionMs] of [
      ['1:23', 83_000],
      ['83:00', 4_980_000],
      ['90s', 90_000],
      ['5m', 300_000],
    ] as const) {
      stub.setLibrary([libraryItem('demo-1', 'Big Buck Bunny', { durationMs: 3 * 3600_000 })]);
      stub.rooms.get(`${fake.guild.id}:${fake.guild.channels.movieNight}`)!.queue[0]!.durationMs = 3 * 3600_000;
      const reply = await (await fake.command('seek', { time }, { user: alice })).settled();
      expect(stub.callsTo('roomCommand').at(-1)?.body).toEqual({ op: 'seek', positionMs });
      expect(messageText(reply)).toContain('jumped to');
    }
    const before = stub.calls.length;
    const bad = await (await fake.command('seek', { time: '12 parsecs' }, { user: alice })).settled();
    expect(isEphemeral(bad)).toBe(true);
    expect(messageText(bad)).toContain('couldn');
    expect(stub.calls.length).toBe(before);
  });

  test("/pause, /resume, /skip, /queue and /stop act on the caller's room", async () => {
    const { fake, stub, alice, roomId } = await playing();
    await (await fake.command('play', { query: 'item:demo-3' }, { user: alice })).settled();

    const queue = await (await fake.command('queue', {}, { user: alice })).settled();
    expect(messageText(queue)).toMatch(/Now playing\nBig Buck Bunny[\s\S]*Up next \(1\)\n1\. Tears of Steel/);

    await (await fake.command('pause', {}, { user: alice })).settled();
    expect(stub.rooms.get(roomId)?.playback.status).toBe('paused');
    await (await fake.command('resume', {}, { user: alice })).settled();
    expect(stub.rooms.get(roomId)?.playback.status).toBe('playing');
    const skipped = await (await fake.command('skip', {}, { user: alice })).settled();
    expect(messageText(skipped)).toContain('Now playing: **Tears of Steel**');

    const stopped = await (await fake.command('stop', {}, { user: alice })).settled();
    expect(messageText(stopped)).toContain('ended the watch party');
    expect(stub.callsTo('endRoom').at(-1)?.body).toEqual({ reason: 'stop' });
    const nothing = await (await fake.command('pause', {}, { user: alice })).followup();
    expect(messageText(nothing)).toContain('Nothing is playing in 🔊 Movie Night');
  });

  test('a now-playing button pressed by someone without control rights is refused privately; allowed presses update the message', async () => {
    const { fake, stub, alice } = await playing();
    const { bob } = fake.guild.users;
    stub.on('roomCommand', (call) =>
      call.actingUser === bob
        ? { status: 403, body: { error: { code: 'not_allowed', message: 'Only hosts may do that in this room.' } } }
        : undefined,
    );
    const nowPlaying = await (await fake.command('nowplaying', {}, { user: alice })).settled();
    const [toggle] = linkButtons(nowPlaying) as { custom_id: string; label: string }[];
    expect(toggle?.label).toBe('Pause');

    const refused = await fake.press(toggle!.custom_id, { user: bob, message: nowPlaying });
    expect(refused.callback.type).toBe(InteractionResponseType.DeferredMessageUpdate);
    const why = await refused.followup();
    expect(isEphemeral(why)).toBe(true);
    expect(why.content).toContain('Only hosts may do that');
    expect(stub.callsTo('roomCommand').at(-1)).toMatchObject({ actingUser: bob, status: 403, body: { op: 'pause' } });

    const allowed = await fake.press(toggle!.custom_id, { user: alice, message: nowPlaying });
    await waitFor(() => allowed.edits.length > 0, { what: 'the now-playing message to update' });
    expect(linkButtons(allowed.message)[0]).toMatchObject({ label: 'Resume' });
  });

  test('server unreachable: the user is told, and the bot keeps working when it is back', async () => {
    const { fake, stub, alice } = await playing();
    stub.on('roomCommand', () => ({ status: 503, body: { error: { code: 'unavailable', message: 'Starting up.' } } }));
    const reply = await fake.command('pause', {}, { user: alice });
    const followup = await reply.followup();
    expect(followup.content).toBe(USER_MESSAGES.serverUnreachable);
    expect(stub.callsTo('roomCommand').filter((c) => c.status === 503)).toHaveLength(3); // tried, then retried twice

    stub.off('roomCommand');
    const ok = await (await fake.command('pause', {}, { user: alice })).settled();
    expect(messageText(ok)).toContain('paused');
  });
});

describe('the voice channel is the room', () => {
  test('joins, moves and leaves are reported; a channel left empty ends its room after the grace period', async () => {
    const { fake, stub, voice } = await start();
    const { alice } = fake.guild.users;
    const { movieNight, lounge } = fake.guild.channels;
    await voice(alice, movieNight);
    await waitFor(() => stub.callsTo('voiceEvent').length === 1, { what: 'the join' });
    expect(stub.callsTo('voiceEvent')[0]?.body).toMatchObject({
      kind: 'join',
      guildId: fake.guild.id,
      channelId: movieNight,
      userId: alice,
      name: 'Alice',
    });

    await (await fake.command('play', { query: 'item:demo-1' }, { user: alice })).settled();
    const roomId = `${fake.guild.id}:${movieNight}`;

    await voice(alice, lounge);
    await waitFor(() => stub.callsTo('voiceEvent').length === 3, { what: 'the move' });
    expect(
      stub
        .callsTo('voiceEvent')
        .slice(1)
        .map((c) => c.body),
    ).toEqual([
      expect.objectContaining({ kind: 'leave', channelId: movieNight, userId: alice }),
      expect.objectContaining({ kind: 'join', channelId: lounge, userId: alice }),
    ]);
    await waitFor(() => stub.callsTo('endRoom').length === 1, { what: 'the empty room to end' });
    expect(stub.callsTo('endRoom')[0]).toMatchObject({
      params: { roomId },
      body: { reason: 'empty' },
      actingUser: fake.applicationId,
    });
    expect(stub.rooms.has(roomId)).toBe(false);
  });

  test('someone coming back within the grace period keeps the room', async () => {
    const { fake, stub, voice, bot } = await start({ tuning: { emptyGraceMs: 60_000 } });
    const { alice } = fake.guild.users;
    const { movieNight } = fake.guild.channels;
    const roomId = `${fake.guild.id}:${movieNight}`;
    await voice(alice, movieNight);
    await voice(alice, null);
    await waitFor(() => bot.ctx.voice.pendingEnds.includes(roomId), { what: 'the grace period to start' });
    await voice(alice, movieNight);
    await waitFor(() => stub.callsTo('voiceEvent').length === 3, { what: 'join, leave, join' });
    expect(stub.callsTo('voiceEvent').map((c) => (c.body as { kind: string }).kind)).toEqual(['join', 'leave', 'join']);
    expect(bot.ctx.voice.pendingEnds).toEqual([]);
    expect(stub.callsTo('endRoom')).toHaveLength(0);
  });

  test('an empty channel ends its room when the grace period runs out on the bot’s clock, not before', async () => {
    const clock = new ManualClock();
    const { fake, stub, voice, bot } = await start({ tuning: { emptyGraceMs: 60_000 }, clock });
    const { alice } = fake.guild.users;
    const { movieNight } = fake.guild.channels;
    const roomId = `${fake.guild.id}:${movieNight}`;
    await voice(alice, movieNight);
    await voice(alice, null);
    await waitFor(() => bot.ctx.voice.pendingEnds.includes(roomId), { what: 'the grace period to start' });
    await clock.advance(59_999);
    expect(bot.ctx.voice.pendingEnds).toEqual([roomId]);
    expect(stub.callsTo('endRoom')).toHaveLength(0);
    await clock.advance(1);
    await waitFor(() => stub.callsTo('endRoom').length === 1, { what: 'the empty room to end' });
    expect(stub.callsTo('endRoom')[0]).toMatchObject({ params: { roomId }, body: { reason: 'empty' } });
    expect(bot.ctx.voice.pendingEnds).toEqual([]);
  });
});

describe('people already in voice', () => {
  test('a room created behind the bot (the activity) learns at once who is already in its channel', async () => {
    const { fake, stub, voice, bot } = await start();
    const { alice, bob } = fake.guild.users;
    const { lounge } = fake.guild.channels;
    await voice(alice, lounge);
    await voice(bob, lounge);
    await waitFor(() => stub.callsTo('voiceEvent').length === 2, { what: 'both joins' });
    await waitFor(() => bot.ctx.voice.watching(fake.guild.id), { what: "the guild's feed of new rooms" });
    const before = stub.callsTo('voiceSync').length;

    stub.roomCreated(`${fake.guild.id}:${lounge}`);
    await waitFor(() => stub.callsTo('voiceSync').length > before, { what: 'a voice sync for the new room' });
    expect(stub.callsTo('voiceSync').at(-1)?.body).toEqual({
      channels: [
        {
          channelId: lounge,
          users: expect.arrayContaining([
            expect.objectContaining({ userId: alice, name: 'Alice' }),
            expect.objectContaining({ userId: bob, name: 'Bob' }),
          ]),
        },
      ],
    });
  });
});

describe('/watch, /plex and /settings', () => {
  test("/watch gives a join button for the caller's voice channel", async () => {
    const { fake, voice } = await start();
    await voice(fake.guild.users.bob, fake.guild.channels.lounge);
    const message = await (await fake.command('watch', {}, { user: fake.guild.users.bob })).settled();
    expect(messageText(message)).toContain('Watch party in 🔊 Lounge');
    expect(linkButtons(message)[0]).toMatchObject({ style: 5, url: expect.stringMatching(/^https:\/\/discord\.gg\//) });
  });

  test('/plex and /settings are for Manage Server only; /plex link shows the PIN and reports the link', async () => {
    const { fake, stub } = await start();
    const { owner, alice, dj } = { ...fake.guild.users, dj: fake.guild.roles.dj };
    await expect(fake.command('plex link', {}, { user: alice })).rejects.toThrow(/default_member_permissions/);

    const link = await fake.command('plex link', {}, { user: owner });
    const first = await link.settled();
    expect(isEphemeral(first)).toBe(true);
    expect(messageText(first)).toContain('ABCD');
    expect(linkButtons(first)[0]).toMatchObject({ url: 'https://app.plex.tv/auth#?code=ABCD' });
    await waitFor(() => link.message?.content.includes('Linked **Living Room Plex**'), {
      what: 'the link to complete',
    });

    await (await fake.command('settings control', { mode: 'hosts' }, { user: owner })).settled();
    await (await fake.command('settings dj-role', { role: dj }, { user: owner })).settled();
    expect(stub.callsTo('updateGuildSettings').map((c) => c.body)).toEqual([{ control: 'hosts' }, { djRoleId: dj }]);
    expect(stub.callsTo('updateGuildSettings')[0]?.headers['x-acting-user-permissions']).toMatch(/^\d+$/);
  });
});
