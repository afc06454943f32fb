/**
 * The bot end to end against the REAL server (not the stub): the real discord.js client on the fake
 * Discord, the real server app on the demo library, the real server API client in between.
 */
import { InteractionResponseType } from 'discord.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FakeDiscord, isEphemeral, messageText, startFakeDiscord } from '../fakes/discord/index.ts';
import { type App, type Bot, inVoice, playSuggested, startBot, startServer } from '../support/bot-and-server.ts';
import { waitFor } from '../support/wait.ts';

const buttons = (message: { components?: unknown[] } | undefined) =>
  JSON.parse(JSON.stringify(message?.components ?? [])).flatMap(
    (row: { components: { custom_id?: string; label?: string }[] }) => row.components,
  ) as { custom_id?: string; label?: string }[];

describe('the bot against the real server', () => {
  let app: App;
  let fake: FakeDiscord;
  let bot: Bot;
  let token: string;

  beforeAll(async () => {
    const server = await startServer();
    ({ app, token } = server);
    fake = await startFakeDiscord();
    bot = await startBot(fake, server, { tuning: { emptyGraceMs: 30 } });
  });
  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    await app?.close();
  });

  test('/play with autocomplete starts the room on the server; a non-host is refused in hosts mode; an empty channel ends the room', async () => {
    const { alice, bob } = fake.guild.users;
    const channelId = fake.guild.channels.movieNight;
    const roomId = `${fake.guild.id}:${channelId}`;

    // The guild lets hosts only control playback (as /settings control hosts would).
    const settings = await app.inject({
      method: 'PATCH',
      url: `/api/bot/guilds/${fake.guild.id}/settings`,
      headers: {
        authorization: `Bearer ${token}`,
        'x-acting-user': fake.guild.users.owner,
        'x-acting-user-permissions': String(1 << 5),
      },
      payload: { control: 'hosts' },
    });
    expect(settings.statusCode).toBe(200);

    await inVoice(bot, fake, alice, channelId);
    const message = await playSuggested(fake, alice, 'sunrise');
    expect(messageText(message)).toContain('Now playing: Sunrise Sync Check');

    const snapshot = await app.rooms.snapshot(roomId);
    expect(snapshot?.playback.status).toBe('playing');
    expect(snapshot?.queue[0]?.title).toBe('Sunrise Sync Check');
    expect(snapshot?.settings.control).toBe('hosts');

    // Bob is in the channel but neither the host, a DJ nor an admin: his button press is refused.
    await fake.dispatchVoiceState({ userId: bob, channelId });
    await waitFor(async () => ((await app.rooms.snapshot(roomId))?.members.length ?? 0) >= 2, {
      what: 'both present in the room',
    });
    const nowPlaying = await (await fake.command('nowplaying', {}, { user: alice })).settled();
    const toggle = buttons(nowPlaying).find((b) => b.label === 'Pause');
    expect(toggle?.custom_id).toBeDefined();
    const refused = await fake.press(toggle!.custom_id!, { user: bob, message: nowPlaying });
    expect(refused.callback.type).toBe(InteractionResponseType.DeferredMessageUpdate);
    const why = await refused.followup();
    expect(isEphemeral(why)).toBe(true);
    expect(why.content).toMatch(/hosts/i);
    expect((await app.rooms.snapshot(roomId))?.playback.status).toBe('playing');

    // Everyone leaves: after the bot's grace period the room ends on the server.
    const ended: string[] = [];
    app.rooms.events.on('empty', (id) => ended.push(id));
    await fake.dispatchVoiceState({ userId: bob, channelId: null });
    await fake.dispatchVoiceState({ userId: alice, channelId: null });
    await waitFor(() => ended.includes(roomId), { what: 'the room to end' });
    expect(await app.rooms.snapshot(roomId)).toBeUndefined();
  });
});
