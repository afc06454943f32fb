import type { LibraryItemDto } from '@dpp/shared';
import { ManualClock } from '@dpp/shared/testing';
import { GatewayIntentBits, InteractionResponseType } from 'discord.js';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { isEphemeral, messageText } from '../../../tests/fakes/discord/index.ts';
import { type FakePlex, startFakePlex } from '../../../tests/fakes/plex/index.ts';
import { inVoice, roomCommand, roomOf } from '../../../tests/support/bot-and-server.ts';
import { waitFor } from '../../../tests/support/wait.ts';
import { USER_MESSAGES } from '../src/errors.ts';
import { type BotHarness, type HarnessOptions, serverForThisFile, startBotHarness } from './support/harness.ts';

/** The real server on the demo library; its plex.tv is a fake, for /plex link. */
let plex: FakePlex | undefined;
const server = serverForThisFile(async () => {
  plex = await startFakePlex({ friendlyName: 'Living Room Plex' });
  return { PLEX_TV_URL: plex.plexTvUrl };
});
afterAll(() => plex?.close());

let harness: BotHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function start(options?: HarnessOptions) {
  harness = await startBotHarness(server(), options);
  return harness;
}

const movie = (id: string, title: string): LibraryItemDto => ({
  id,
  type: 'movie',
  title,
  year: 2008,
  summary: null,
  durationMs: 600_000,
  thumb: null,
  art: null,
  parentId: null,
  parentTitle: null,
  grandparentTitle: null,
  index: null,
  parentIndex: null,
  childCount: null,
  playable: true,
});

const linkButtons = (message: { components?: unknown[] } | undefined) =>
  JSON.parse(JSON.stringify(message?.components ?? [])).flatMap(
    (row: { components: { style: number; url?: string; custom_id?: string; label?: string }[] }) => row.components,
  );

describe('connecting', () => {
  test('the real discord.js client logs in to Discord, asking for Guilds and GuildVoiceStates only', async () => {
    const { bot, fake, tap } = await start();
    expect(bot.client.isReady()).toBe(true);
    const session = await fake.identified();
    expect(session.intents).toBe(GatewayIntentBits.Guilds | GatewayIntentBits.GuildVoiceStates);
    const guild = bot.client.guilds.cache.get(fake.guild.id);
    expect(guild?.channels.cache.get(fake.guild.channels.movieNight)?.name).toBe('Movie Night');
    // On READY the bot tells the server who is in voice, whatever it missed while away (again once
    // its feed of the guild's new rooms is listening, for rooms created in between).
    await waitFor(() => tap.callsTo('voiceSync').length >= 1, { what: 'voice sync on ready' });
    expect(tap.callsTo('voiceSync')[0]?.params.guildId).toBe(fake.guild.id);
  });
});

describe('/play', () => {
  test('autocomplete answers from the library with at most 25 choices of at most 100 characters, then from the cache', async () => {
    const { fake, tap } = await start();
    const long = 'A Very Long Title That Goes On And On About Things That Happened Once Upon A Time In A Galaxy';
    // A library with 40 long titles that match, answered up to the limit the bot asks for.
    const library = Array.from({ length: 40 }, (_, i) => movie(`movie-${i}`, `${long} Part ${i + 1}`));
    tap.on('search', (call) => ({
      status: 200,
      body: { source: { kind: 'demo', name: 'Demo library' }, items: library.slice(0, Number(call.query.limit)) },
    }));

    const first = await fake.autocomplete('play', { query: 'galaxy' }, 'query');
    expect(first.callback.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    expect(first.choices).toHaveLength(25);
    for (const choice of first.choices) {
      expect([...choice.name].length).toBeLessThanOrEqual(100);
      expect(String(choice.value)).toMatch(/^item:movie-\d+$/);
    }
    expect(tap.callsTo('search')).toHaveLength(1);
    expect(tap.callsTo('search')[0]?.query).toMatchObject({ guildId: fake.guild.id, q: 'galaxy', limit: '25' });

    const again = await fake.autocomplete('play', { query: 'Galaxy ' }, 'query');
    expect(again.choices).toEqual(first.choices);
    expect(tap.callsTo('search')).toHaveLength(1);
  });

  test('autocomplete still answers when the server is too slow, from titles seen before', async () => {
    const { fake, tap } = await start({ tuning: { autocompleteBudgetMs: 200 } });
    await fake.autocomplete('play', { query: 'harbour' }, 'query');
    tap.on('search', () => new Promise(() => {})); // never answers
    const slow = await fake.autocomplete('play', { query: 'long take' }, 'query');
    expect(slow.choices.map((c) => c.name)).toEqual(['Harbour Long Take (2024) · 2 min']);
  });

  test('without a voice channel, the caller gets a clear private message and nothing starts', async () => {
    const { fake, tap } = await start();
    const reply = await fake.command('play', { query: 'item:demo-sunrise-sync' });
    const message = await reply.settled();
    expect(isEphemeral(message)).toBe(true);
    expect(messageText(message)).toContain('Join a voice channel first');
    expect(tap.callsTo('roomCommand')).toHaveLength(0);
    expect(tap.callsTo('play')).toHaveLength(0);
  });

  test("in a voice channel, the chosen item plays in that channel's room, with a one-click way into the activity", async () => {
    const { fake, tap, voice, bot } = await start();
    const { alice, bob } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    await inVoice(bot, fake, alice, channelId);

    const suggestions = await fake.autocomplete('play', { query: 'deep blue' }, 'query', { user: alice });
    const choice = suggestions.choices[0]!;
    const reply = await fake.command('play', { query: String(choice.value) }, { user: alice });
    const message = await reply.settled();

    const roomId = `${fake.guild.id}:${channelId}`;
    // One call: the server starts the item, or queues it, in one room update.
    const plays = tap.callsTo('play');
    expect(plays.map((c) => [c.params.roomId, c.body])).toEqual([[roomId, { itemId: 'demo-deep-blue-timecode' }]]);
    expect(plays.every((c) => c.actingUser === alice && c.actingUserName === 'Alice')).toBe(true);
    expect(tap.callsTo('roomCommand')).toHaveLength(0);
    expect((await roomOf(server(), roomId))?.playback).toMatchObject({
      itemId: 'demo-deep-blue-timecode',
      status: 'playing',
    });

    expect(isEphemeral(message)).toBe(false);
    expect(messageText(message)).toContain('Now playing: Deep Blue Timecode');
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
    const queued = await (await fake.command('play', { query: 'green room' }, { user: bob })).settled();
    expect(messageText(queued)).toContain('Added to the queue: Green Room Countdown');
    expect(tap.callsTo('play').at(-1)?.body).toEqual({ itemId: 'demo-green-room-countdown' });
    expect(fake.invites).toHaveLength(1); // the channel's invite is reused
  });

  test('Plex unreachable: a friendly private message, and nothing public is left behind', async () => {
    const { fake, tap, voice } = await start();
    await voice(fake.guild.users.alice, fake.guild.channels.movieNight);
    tap.on('search', () => ({
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
    expect(tap.callsTo('search')).toHaveLength(1); // not retried: the server already tried Plex
  });
});

describe('room commands', () => {
  async function playing() {
    const h = await start();
    const { alice } = h.fake.guild.users;
    await h.voice(alice, h.fake.guild.channels.movieNight);
    await (await h.fake.command('play', { query: 'item:demo-sunrise-sync' }, { user: alice })).settled();
    return { ...h, roomId: `${h.fake.guild.id}:${h.fake.guild.channels.movieNight}`, alice };
  }

  test('/seek reads 1:23:45, 83:00, 90s and 5m, and refuses what is not a time', async () => {
    const { fake, tap, alice } = await playing();
    // As if the item were three hours long (the demo clips are short): the bot refuses seeks past the end.
    tap.on('room', async (call) => {
      const room = await roomOf(server(), call.params.roomId!);
      const queue = room?.queue.map((e) => ({ ...e, durationMs: 3 * 3600_000 }));
      return room && { status: 200, body: { serverTime: Date.now(), snapshot: { ...room, queue } } };
    });
    for (const [time, positionMs] of [
      ['1:23', 83_000],
      ['83:00', 4_980_000],
      ['90s', 90_000],
      ['5m', 300_000],
    ] as const) {
      const reply = await (await fake.command('seek', { time }, { user: alice })).settled();
      expect(tap.callsTo('roomCommand').at(-1)?.body).toEqual({ op: 'seek', positionMs });
      expect(messageText(reply)).toContain('jumped to');
    }
    const before = tap.calls.length;
    const bad = await (await fake.command('seek', { time: '12 parsecs' }, { user: alice })).settled();
    expect(isEphemeral(bad)).toBe(true);
    expect(messageText(bad)).toContain('couldn');
    expect(tap.calls.length).toBe(before);
  });

  test("/pause, /resume, /skip, /queue and /stop act on the caller's room", async () => {
    const { fake, tap, alice, roomId } = await playing();
    await (await fake.command('play', { query: 'item:demo-green-room-countdown' }, { user: alice })).settled();

    const queue = await (await fake.command('queue', {}, { user: alice })).settled();
    expect(messageText(queue)).toMatch(/Now playing\nSunrise Sync Check[\s\S]*Up next \(1\)\n1\. Green Room Countdown/);

    await (await fake.command('pause', {}, { user: alice })).settled();
    expect((await roomOf(server(), roomId))?.playback.status).toBe('paused');
    await (await fake.command('resume', {}, { user: alice })).settled();
    expect((await roomOf(server(), roomId))?.playback.status).toBe('playing');
    const skipped = await (await fake.command('skip', {}, { user: alice })).settled();
    expect(messageText(skipped)).toContain('Now playing: **Green Room Countdown**');

    const stopped = await (await fake.command('stop', {}, { user: alice })).settled();
    expect(messageText(stopped)).toContain('ended the watch party');
    expect(tap.callsTo('endRoom').at(-1)?.body).toEqual({ reason: 'stop' });
    const nothing = await (await fake.command('pause', {}, { user: alice })).followup();
    expect(messageText(nothing)).toContain('Nothing is playing in 🔊 Movie Night');
  });

  test('a now-playing button pressed by someone without control rights is refused privately; allowed presses update the message', async () => {
    const { fake, tap, bot, alice, roomId } = await playing();
    const { bob } = fake.guild.users;
    // Hosts only, and Bob (in the channel) is not one.
    await roomCommand(server(), roomId, alice, { op: 'settings', control: 'hosts' });
    await inVoice(bot, fake, bob, fake.guild.channels.movieNight);
    const nowPlaying = await (await fake.command('nowplaying', {}, { user: alice })).settled();
    const [toggle] = linkButtons(nowPlaying) as { custom_id: string; label: string }[];
    expect(toggle?.label).toBe('Pause');

    const refused = await fake.press(toggle!.custom_id, { user: bob, message: nowPlaying });
    expect(refused.callback.type).toBe(InteractionResponseType.DeferredMessageUpdate);
    const why = await refused.followup();
    expect(isEphemeral(why)).toBe(true);
    expect(why.content).toContain('Only hosts');
    expect(tap.callsTo('roomCommand').at(-1)).toMatchObject({ actingUser: bob, status: 403, body: { op: 'pause' } });

    const allowed = await fake.press(toggle!.custom_id, { user: alice, message: nowPlaying });
    await waitFor(() => allowed.edits.length > 0, { what: 'the now-playing message to update' });
    expect(linkButtons(allowed.message)[0]).toMatchObject({ label: 'Resume' });
  });

  test('server unreachable: the user is told, and the bot keeps working when it is back', async () => {
    const { fake, tap, alice } = await playing();
    tap.on('roomCommand', () => ({ status: 503, body: { error: { code: 'unavailable', message: 'Starting up.' } } }));
    const reply = await fake.command('pause', {}, { user: alice });
    const followup = await reply.followup();
    expect(followup.content).toBe(USER_MESSAGES.serverUnreachable);
    expect(tap.callsTo('roomCommand').filter((c) => c.status === 503)).toHaveLength(3); // tried, then retried twice

    tap.off('roomCommand');
    const ok = await (await fake.command('pause', {}, { user: alice })).settled();
    expect(messageText(ok)).toContain('paused');
  });
});

describe('the voice channel is the room', () => {
  test('joins, moves and leaves are reported; a channel left empty ends its room after the grace period', async () => {
    const { fake, tap, voice } = await start();
    const { alice } = fake.guild.users;
    const { movieNight, lounge } = fake.guild.channels;
    await voice(alice, movieNight);
    await waitFor(() => tap.callsTo('voiceEvent').length === 1, { what: 'the join' });
    expect(tap.callsTo('voiceEvent')[0]?.body).toMatchObject({
      kind: 'join',
      guildId: fake.guild.id,
      channelId: movieNight,
      userId: alice,
      name: 'Alice',
    });

    await (await fake.command('play', { query: 'item:demo-sunrise-sync' }, { user: alice })).settled();
    const roomId = `${fake.guild.id}:${movieNight}`;

    await voice(alice, lounge);
    await waitFor(() => tap.callsTo('voiceEvent').length === 3, { what: 'the move' });
    expect(
      tap
        .callsTo('voiceEvent')
        .slice(1)
        .map((c) => c.body),
    ).toEqual([
      expect.objectContaining({ kind: 'leave', channelId: movieNight, userId: alice }),
      expect.objectContaining({ kind: 'join', channelId: lounge, userId: alice }),
    ]);
    await waitFor(() => tap.callsTo('endRoom')[0]?.status === 200, { what: 'the empty room to end' });
    expect(tap.callsTo('endRoom')).toEqual([
      expect.objectContaining({ params: { roomId }, body: { reason: 'empty' }, actingUser: fake.applicationId }),
    ]);
    expect(await roomOf(server(), roomId)).toBeUndefined();
  });

  test('someone coming back within the grace period keeps the room', async () => {
    const { fake, tap, voice, bot } = await start({ tuning: { emptyGraceMs: 60_000 } });
    const { alice } = fake.guild.users;
    const { movieNight } = fake.guild.channels;
    const roomId = `${fake.guild.id}:${movieNight}`;
    await voice(alice, movieNight);
    await voice(alice, null);
    await waitFor(() => bot.ctx.voice.pendingEnds.includes(roomId), { what: 'the grace period to start' });
    await voice(alice, movieNight);
    await waitFor(() => tap.callsTo('voiceEvent').length === 3, { what: 'join, leave, join' });
    expect(tap.callsTo('voiceEvent').map((c) => (c.body as { kind: string }).kind)).toEqual(['join', 'leave', 'join']);
    expect(bot.ctx.voice.pendingEnds).toEqual([]);
    expect(tap.callsTo('endRoom')).toHaveLength(0);
  });

  test('an empty channel ends its room when the grace period runs out on the bot’s clock, not before', async () => {
    const clock = new ManualClock();
    const { fake, tap, voice, bot } = await start({ tuning: { emptyGraceMs: 60_000 }, clock });
    const { alice } = fake.guild.users;
    const { movieNight } = fake.guild.channels;
    const roomId = `${fake.guild.id}:${movieNight}`;
    await voice(alice, movieNight);
    await voice(alice, null);
    await waitFor(() => bot.ctx.voice.pendingEnds.includes(roomId), { what: 'the grace period to start' });
    await clock.advance(59_999);
    expect(bot.ctx.voice.pendingEnds).toEqual([roomId]);
    expect(tap.callsTo('endRoom')).toHaveLength(0);
    await clock.advance(1);
    await waitFor(() => tap.callsTo('endRoom').length === 1, { what: 'the empty room to end' });
    expect(tap.callsTo('endRoom')[0]).toMatchObject({ params: { roomId }, body: { reason: 'empty' } });
    expect(bot.ctx.voice.pendingEnds).toEqual([]);
  });
});

describe('people already in voice', () => {
  test('a room created behind the bot (the activity) learns at once who is already in its channel', async () => {
    const { fake, tap, voice, bot } = await start();
    const { alice, bob } = fake.guild.users;
    const { lounge } = fake.guild.channels;
    await voice(alice, lounge);
    await voice(bob, lounge);
    await waitFor(() => tap.callsTo('voiceEvent').length === 2, { what: 'both joins' });
    await waitFor(() => bot.ctx.voice.watching(fake.guild.id), { what: "the guild's feed of new rooms" });
    const before = tap.callsTo('voiceSync').length;

    // Alice opens the activity there (a room the bot did not create).
    await roomCommand(server(), `${fake.guild.id}:${lounge}`, alice, { op: 'load', itemId: 'demo-sunrise-sync' });
    await waitFor(() => tap.callsTo('voiceSync').length > before, { what: 'a voice sync for the new room' });
    expect(tap.callsTo('voiceSync').at(-1)?.body).toEqual({
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
    const { fake, tap } = await start();
    const { owner, alice, dj } = { ...fake.guild.users, dj: fake.guild.roles.dj };
    await expect(fake.command('plex link', {}, { user: alice })).rejects.toThrow(/default_member_permissions/);

    const link = await fake.command('plex link', {}, { user: owner });
    const first = await link.settled();
    const pin = plex!.pins.all().at(-1)!;
    expect(isEphemeral(first)).toBe(true);
    expect(messageText(first)).toContain(pin.code);
    const linkUrl = new URL(linkButtons(first)[0]?.url ?? '');
    expect(`${linkUrl.origin}${linkUrl.pathname}`).toBe(`${plex!.plexTvUrl}/auth`);
    expect(new URLSearchParams(linkUrl.hash.slice(2)).get('code')).toBe(pin.code);
    // The admin approves the code on plex.tv.
    plex!.approvePin(pin.id);
    await waitFor(() => link.message?.content.includes('Linked **Living Room Plex**'), {
      what: 'the link to complete',
    });

    await (await fake.command('settings control', { mode: 'hosts' }, { user: owner })).settled();
    await (await fake.command('settings dj-role', { role: dj }, { user: owner })).settled();
    expect(tap.callsTo('updateGuildSettings').map((c) => c.body)).toEqual([{ control: 'hosts' }, { djRoleId: dj }]);
    expect(tap.callsTo('updateGuildSettings')[0]?.headers['x-acting-user-permissions']).toMatch(/^\d+$/);
  });

  test("/settings upnext turns Up next off and on in the caller's room, and says when there is none", async () => {
    const { fake, voice } = await start();
    const { owner } = fake.guild.users;
    const roomId = `${fake.guild.id}:${fake.guild.channels.movieNight}`;
    await voice(owner, fake.guild.channels.movieNight);
    const none = await (await fake.command('settings upnext', { on: false }, { user: owner })).settled();
    expect(messageText(none)).toContain('There is no watch party in 🔊 Movie Night');

    await (await fake.command('play', { query: 'item:demo-sunrise-sync' }, { user: owner })).settled();
    const off = await (await fake.command('settings upnext', { on: false }, { user: owner })).settled();
    expect(isEphemeral(off)).toBe(true);
    expect(messageText(off)).toContain('Up next is off in 🔊 Movie Night');
    expect((await roomOf(server(), roomId))?.settings.autoplayNext).toBe(false);
    await (await fake.command('settings upnext', { on: true }, { user: owner })).settled();
    expect((await roomOf(server(), roomId))?.settings.autoplayNext).toBe(true);
  });
});
