/**
 * Series night through the bot and the REAL server (demo library, its series): `/play` resumes an
 * episode where the guild left it and says so, and the now-playing message follows "Up next". Real
 * discord.js on the fake Discord, the real server app, the real server API client in between.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FakeDiscord, messageText, startFakeDiscord } from '../fakes/discord/index.ts';
import {
  type App,
  type Bot,
  inVoice as botSees,
  roomCommand as serverCommand,
  startBot,
  startServer,
  type TestServer,
} from '../support/bot-and-server.ts';
import { devSignIn, PartyClient } from '../support/party-client.ts';
import { waitFor } from '../support/wait.ts';

describe('the bot on a series night', () => {
  let app: App;
  let serverUrl: string;
  let token: string;
  let bot: Bot;
  let fake: FakeDiscord;
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
    ({ app, serverUrl, token } = server);
    fake = await startFakeDiscord();
    bot = await startBot(fake, { serverUrl, token }, { tuning: { emptyGraceMs: 60_000 } });
  });
  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    await app?.close();
  });

  const inVoice = (userId: string, channelId: string) => botSees(bot, fake, userId, channelId);
  const roomCommand = (roomId: string, userId: string, body: object) => serverCommand(server, roomId, userId, body);

  async function episodes() {
    const source = await app.library.sourceFor(fake.guild.id);
    const [show] = (await source.items('demo-series', undefined, 10)).items;
    const list = [];
    for (const season of await source.children(show!.id)) list.push(...(await source.children(season.id)));
    return list;
  }

  test('/play resumes an episode where the guild left it, and says so; a fresh one starts at 0', async () => {
    const { alice } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    const roomId = `${fake.guild.id}:${channelId}`;
    const [first, second] = await episodes();
    // Where this guild's rooms left the first episode (as a room of the guild writes it).
    app.progress.write({
      scope: fake.guild.id,
      userIds: [],
      itemId: first!.id,
      title: first!.title,
      positionMs: 6_000,
      durationMs: first!.durationMs,
      watched: false,
    });
    await app.progress.flush();
    await inVoice(alice, channelId);

    const reply = messageText(
      await (await fake.command('play', { query: `item:${first!.id}` }, { user: alice })).settled(),
    );
    expect(reply).toContain('Now playing');
    expect(reply).toContain('Resuming from 0:06');
    const snapshot = await app.rooms.snapshot(roomId);
    expect(snapshot?.playback).toMatchObject({ itemId: first!.id, positionMs: 6_000 });

    await (await fake.command('stop', {}, { user: alice })).settled();
    const fresh = messageText(
      await (await fake.command('play', { query: `item:${second!.id}` }, { user: alice })).settled(),
    );
    expect(fresh).toContain('Now playing');
    expect(fresh).not.toContain('Resuming');
    await (await fake.command('stop', {}, { user: alice })).settled();
  });

  test('the now-playing message shows the next episode counting down at the credits, then the new episode', async () => {
    const { bob } = fake.guild.users;
    const channelId = fake.guild.channels.lounge;
    const roomId = `${fake.guild.id}:${channelId}`;
    const [, second, third] = await episodes();
    await inVoice(bob, channelId);
    await (await fake.command('play', { query: `item:${second!.id}` }, { user: bob })).settled();
    // Someone has the activity open: the room's timers run where its viewers are.
    const viewer = new PartyClient(
      `${serverUrl.replace(/^http/, 'ws')}/ws`,
      roomId,
      (await devSignIn(serverUrl, 'Cy')).token,
    );
    await waitFor(() => viewer.open, { what: 'the viewer in the room' });
    const message = await (await fake.command('nowplaying', {}, { user: bob })).settled();
    await waitFor(() => bot.ctx.nowPlaying.isLive(roomId), { what: 'the room feed to be live' });

    // Into the credits: the room announces the next episode (season 2).
    await roomCommand(roomId, bob, { op: 'seek', positionMs: 9_500 });
    await waitFor(async () => (await app.rooms.snapshot(roomId))?.upNext?.itemId === third!.id, {
      what: 'Up next announced',
      timeoutMs: 20_000,
    });
    const announced = (await app.rooms.snapshot(roomId))!.seq;
    await waitFor(() => (bot.ctx.nowPlaying.heardSeq(roomId) ?? 0) >= announced, { what: 'the bot to hear it' });
    bot.ctx.nowPlaying.flush();
    await fake.until(
      () => (messageText(fake.message(message.id)).includes('Up next') ? true : undefined),
      'the Up next field',
    );
    expect(messageText(fake.message(message.id))).toContain(third!.title);

    const started = (await roomCommand(roomId, bob, { op: 'upnext.play' })).snapshot.seq;
    await waitFor(() => (bot.ctx.nowPlaying.heardSeq(roomId) ?? 0) >= started, { what: 'the bot to hear the start' });
    bot.ctx.nowPlaying.flush();
    await fake.until(
      () => (fake.message(message.id)?.embeds[0]?.title?.includes(third!.title) ? true : undefined),
      'the next episode shown',
    );
    expect(messageText(fake.message(message.id))).not.toContain('⏭️ Up next');
    viewer.stop();
  });
});
