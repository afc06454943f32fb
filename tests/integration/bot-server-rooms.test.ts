/**
 * The bot and the REAL server keeping Discord in step with rooms: now-playing messages edited from
 * the server's room event feed (rate-limited), /play as one atomic room update, and people already
 * in a voice channel counted as present. Real discord.js on the fake Discord, the real server app on
 * the demo library, the real server API client in between.
 */
import type { APIMessage } from 'discord.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BotTuning } from '../../apps/bot/src/context.ts';
import { type FakeDiscord, messageText, startFakeDiscord } from '../fakes/discord/index.ts';
import {
  type App,
  type Bot,
  inVoice,
  libraryItemId,
  roomCommand as serverCommand,
  startBot,
  startServer,
  type TestServer,
} from '../support/bot-and-server.ts';
import { waitFor } from '../support/wait.ts';

const buttonLabels = (message: APIMessage | undefined) =>
  (JSON.parse(JSON.stringify(message?.components ?? [])) as { components: { label?: string }[] }[]).flatMap((row) =>
    row.components.map((c) => c.label),
  );

describe('the bot and the real server, room by room', () => {
  let app: App;
  let token: string;
  let server: TestServer;
  const started: { bot: Bot; fake: FakeDiscord }[] = [];

  beforeAll(async () => {
    server = await startServer();
    ({ app, token } = server);
  });
  afterAll(async () => {
    for (const { bot, fake } of started) {
      await bot.stop();
      await fake.close();
    }
    await app?.close();
  });

  /** A fake Discord and the bot on it; `seed` runs before the bot connects (voice states for GUILD_CREATE). */
  async function startBotOn(
    tuning: Partial<BotTuning> = {},
    seed: (fake: FakeDiscord) => Promise<void> = async () => {},
  ) {
    const fake = await startFakeDiscord();
    await seed(fake);
    const bot = await startBot(fake, server, { tuning: { emptyGraceMs: 60_000, ...tuning } });
    started.push({ bot, fake });
    return { bot, fake };
  }

  /** Someone else acting on the room through the server's API (as the activity or another bot call would). */
  const roomCommand = (roomId: string, userId: string, body: object) => serverCommand(server, roomId, userId, body);
  const demoItem = (guildId: string, q: string) => libraryItemId(server, guildId, q);

  const memberNames = async (roomId: string) =>
    ((await app.rooms.snapshot(roomId))?.members ?? []).filter((m) => m.state !== 'away').map((m) => m.name);

  test('a now-playing message follows its room: edited on changes made elsewhere, rate-limited, through the channel once the token expired, and a last time when the room ends', async () => {
    // An hour between edits: after the first, every later edit waits for the trailing one, which the
    // test brings forward with flush() instead of waiting: the count does not depend on the machine.
    const { bot, fake } = await startBotOn({ nowPlayingEditIntervalMs: 3_600_000 });
    const { alice, bob } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    const roomId = `${fake.guild.id}:${channelId}`;
    await inVoice(bot, fake, alice, channelId);
    await inVoice(bot, fake, bob, channelId);

    await (await fake.command('play', { query: 'sunrise' }, { user: alice })).settled();
    await (await fake.command('play', { query: 'deep blue' }, { user: bob })).settled();
    const reply = await fake.command('nowplaying', {}, { user: alice });
    const message = await reply.settled();
    expect(buttonLabels(message)).toEqual(['Pause', 'Skip']);
    await waitFor(() => bot.ctx.nowPlaying.isLive(roomId), { what: 'the room feed to be live' });
    // The reply itself was the deferred response's first edit: count the edits after it.
    const answered = fake.messageEdits(message.id).length;
    const edits = () => fake.messageEdits(message.id).slice(answered);

    // Bob pauses from elsewhere (the server's API, as the activity would): the message says so at once.
    await roomCommand(roomId, bob, { op: 'pause' });
    await fake.until(() => (edits().length >= 1 ? true : undefined), 'the first edit');
    expect(messageText(fake.message(message.id))).toContain('Paused');
    expect(buttonLabels(fake.message(message.id))).toEqual(['Resume', 'Skip']);

    // A burst of changes: no edit until the interval is over, then one showing the final state.
    let last = 0;
    for (const body of [
      { op: 'play' },
      ...[5, 6, 7, 8, 9, 10, 11].map((s) => ({ op: 'seek', positionMs: s * 1000 })),
      { op: 'pause' },
      { op: 'seek', positionMs: 12_000 },
    ]) {
      last = (await roomCommand(roomId, bob, body)).snapshot.seq;
    }
    await waitFor(() => bot.ctx.nowPlaying.heardSeq(roomId) === last, { what: 'the bot to hear the last change' });
    expect(edits()).toHaveLength(1);
    bot.ctx.nowPlaying.flush();
    await fake.until(() => (edits().length >= 2 ? true : undefined), 'the trailing edit');
    expect(edits()).toHaveLength(2);
    expect(messageText(fake.message(message.id))).toMatch(/Paused[\s\S]*0:12/);
    expect(edits().every((e) => e.kind === 'edit-original')).toBe(true);

    // Fifteen minutes later the interaction's token no longer works: the bot edits the message itself.
    fake.expireInteractionToken(reply.id);
    last = (await roomCommand(roomId, bob, { op: 'play' })).snapshot.seq;
    await waitFor(() => bot.ctx.nowPlaying.heardSeq(roomId) === last, { what: 'the bot to hear play' });
    bot.ctx.nowPlaying.flush();
    await fake.until(() => (edits().length >= 3 ? true : undefined), 'an edit through the channel');
    expect(edits().at(-1)?.kind).toBe('edit-channel-message');
    expect(buttonLabels(fake.message(message.id))).toEqual(['Pause', 'Skip']);

    // Someone joins the voice channel: they are among those watching.
    const { dana } = fake.guild.users;
    let heard = bot.ctx.nowPlaying.heardSeq(roomId) ?? 0;
    await inVoice(bot, fake, dana, channelId);
    await waitFor(() => (bot.ctx.nowPlaying.heardSeq(roomId) ?? 0) > heard, { what: 'the bot to hear Dana join' });
    bot.ctx.nowPlaying.flush();
    await fake.until(() => (messageText(fake.message(message.id)).includes('Dana') ? true : undefined), 'Dana shown');
    expect(messageText(fake.message(message.id))).toMatch(/Watching \(3\)/);

    // The item changes: the next one in the queue is shown.
    heard = (await roomCommand(roomId, bob, { op: 'next' })).snapshot.seq;
    await waitFor(() => bot.ctx.nowPlaying.heardSeq(roomId) === heard, { what: 'the bot to hear the skip' });
    bot.ctx.nowPlaying.flush();
    await fake.until(
      () => (fake.message(message.id)?.embeds[0]?.title === 'Deep Blue Timecode' ? true : undefined),
      'the next item shown',
    );

    // /stop: the message says the party is over, loses its buttons, and the bot stops following the room.
    await (await fake.command('stop', {}, { user: alice })).settled();
    await fake.until(
      () => (messageText(fake.message(message.id)).includes('has ended') ? true : undefined),
      'the "ended" edit',
    );
    expect(buttonLabels(fake.message(message.id))).toEqual([]);
    await waitFor(() => !bot.ctx.nowPlaying.followed.includes(roomId), { what: 'the feed to stop' });
  });

  test('two /play at the same moment: one starts, the other queues behind it, and neither is lost', async () => {
    const { bot, fake } = await startBotOn();
    const { alice, bob } = fake.guild.users;
    const channelId = fake.guild.channels.lounge;
    const roomId = `${fake.guild.id}:${channelId}`;
    await inVoice(bot, fake, alice, channelId);
    await inVoice(bot, fake, bob, channelId);
    const [sunrise, blue] = [await demoItem(fake.guild.id, 'sunrise'), await demoItem(fake.guild.id, 'blue')];

    const [a, b] = await Promise.all([
      fake.command('play', { query: `item:${sunrise}` }, { user: alice }),
      fake.command('play', { query: `item:${blue}` }, { user: bob }),
    ]);
    const texts = [messageText(await a.settled()), messageText(await b.settled())];

    const snapshot = await app.rooms.snapshot(roomId);
    expect(snapshot?.queue.map((e) => e.itemId).sort()).toEqual([sunrise, blue].sort());
    expect(snapshot?.playback.itemId).toBe(snapshot?.queue[0]?.itemId);
    expect(snapshot?.playback.status).toBe('playing');
    const current = snapshot?.queue[0]?.title;
    const next = snapshot?.queue[1]?.title;
    expect(texts.filter((t) => t.includes(`Now playing: ${current}`))).toHaveLength(1);
    expect(texts.filter((t) => t.includes(`Added to the queue: ${next}`))).toHaveLength(1);
  });

  test('people already in the voice channel are present: when /play creates the room, and when the bot starts', async () => {
    // Bob is in the channel before there is a room: the server had nobody to tell then.
    const first = await startBotOn();
    const { alice, bob } = first.fake.guild.users;
    const channelId = first.fake.guild.channels.movieNight;
    const roomId = `${first.fake.guild.id}:${channelId}`;
    await inVoice(first.bot, first.fake, bob, channelId);
    await inVoice(first.bot, first.fake, alice, channelId);
    await (await first.fake.command('play', { query: 'green room' }, { user: alice })).settled();
    expect((await memberNames(roomId)).sort()).toEqual(['Alice', 'Bob']);

    // A room someone else creates (the activity; here the server's API without the bot): the bot hears
    // of it and says who is already in that channel.
    const lounge = first.fake.guild.channels.lounge;
    const loungeRoom = `${first.fake.guild.id}:${lounge}`;
    await inVoice(first.bot, first.fake, first.fake.guild.users.dana, lounge);
    await inVoice(first.bot, first.fake, first.fake.guild.users.owner, lounge);
    await waitFor(() => first.bot.ctx.voice.watching(first.fake.guild.id), { what: "the guild's feed of new rooms" });
    await roomCommand(loungeRoom, first.fake.guild.users.owner, {
      op: 'load',
      itemId: await demoItem(first.fake.guild.id, 'sunrise'),
    });
    await waitFor(async () => (await memberNames(loungeRoom)).includes('Dana the DJ'), { what: 'Dana to be present' });

    // A bot that starts while people sit in a channel whose room exists: GUILD_CREATE's voice states count.
    let otherRoom = '';
    const second = await startBotOn({}, async (fake) => {
      const lounge = fake.guild.channels.lounge;
      otherRoom = `${fake.guild.id}:${lounge}`;
      await fake.dispatchVoiceState({ userId: fake.guild.users.alice, channelId: lounge });
      await fake.dispatchVoiceState({ userId: fake.guild.users.bob, channelId: lounge });
      // Alice started the room while the bot was away (only she is in it).
      const created = await app.inject({
        method: 'POST',
        url: `/api/bot/rooms/${otherRoom}/play`,
        headers: { authorization: `Bearer ${token}`, 'x-acting-user': fake.guild.users.alice },
        payload: { itemId: await demoItem(fake.guild.id, 'sunrise') },
      });
      expect(created.json()).toMatchObject({ outcome: 'started' });
      expect(await memberNames(otherRoom)).toHaveLength(1);
    });
    await waitFor(async () => (await memberNames(otherRoom)).includes('Bob'), { what: 'Bob to be present' });
    expect(await memberNames(otherRoom)).toHaveLength(2);
    expect(
      second.bot.ctx.voice.humansIn(
        second.bot.client.guilds.cache.get(second.fake.guild.id)!,
        second.fake.guild.channels.lounge,
      ),
    ).toBe(2);
  });
});
