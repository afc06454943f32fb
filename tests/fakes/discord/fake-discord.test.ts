import { Client, DiscordAPIError, Events, GatewayIntentBits, MessageFlags } from 'discord.js';
import { afterEach, describe, expect, test } from 'vitest';
import { waitFor } from '../../support/wait.ts';
import { DiscordHttpError } from './errors.ts';
import { type FakeDiscord, type FakeDiscordOptions, isEphemeral, startFakeDiscord } from './index.ts';
import { validateCommands } from './validate.ts';

const opened: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

async function fakeDiscord(options?: FakeDiscordOptions): Promise<FakeDiscord> {
  const fake = await startFakeDiscord(options);
  opened.push(fake);
  return fake;
}

async function connect(
  fake: FakeDiscord,
  intents: number[] = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates],
) {
  const client = new Client({ intents, rest: { api: fake.apiUrl } });
  opened.push({ close: () => client.destroy() });
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(fake.botToken);
  await ready;
  return client;
}

const api = (fake: FakeDiscord, path: string, init: RequestInit & { bot?: boolean } = {}) =>
  fetch(`${fake.apiUrl}/v10${path}`, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(init.bot === false ? {} : { authorization: `Bot ${fake.botToken}` }),
      ...(init.headers as Record<string, string> | undefined),
    },
  });

const command = (extra: Record<string, unknown> = {}) => ({ name: 'play', description: 'Play something', ...extra });
const option = (extra: Record<string, unknown> = {}) => ({ type: 3, name: 'query', description: 'What', ...extra });

function refusal(body: unknown): DiscordHttpError {
  try {
    validateCommands(body);
  } catch (error) {
    if (error instanceof DiscordHttpError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe("Discord's limits on application commands", () => {
  test.each([
    ['an upper-case name', [command({ name: 'Play' })], ['0', 'name'], 'APPLICATION_COMMAND_INVALID_NAME'],
    ['a name with a space', [command({ name: 'play now' })], ['0', 'name'], 'APPLICATION_COMMAND_INVALID_NAME'],
    ['a 33-character name', [command({ name: 'a'.repeat(33) })], ['0', 'name'], 'APPLICATION_COMMAND_INVALID_NAME'],
    ['an empty description', [command({ description: '' })], ['0', 'description'], 'BASE_TYPE_BAD_LENGTH'],
    [
      'a 101-character description',
      [command({ description: 'd'.repeat(101) })],
      ['0', 'description'],
      'BASE_TYPE_BAD_LENGTH',
    ],
    [
      '26 options',
      [command({ options: Array.from({ length: 26 }, (_, i) => option({ name: `o${i}` })) })],
      ['0', 'options'],
      'BASE_TYPE_MAX_LENGTH',
    ],
    [
      '26 choices',
      [
        command({
          options: [option({ choices: Array.from({ length: 26 }, (_, i) => ({ name: `c${i}`, value: `c${i}` })) })],
        }),
      ],
      ['0', 'options', '0', 'choices'],
      'BASE_TYPE_MAX_LENGTH',
    ],
    [
      'a 101-character choice name',
      [command({ options: [option({ choices: [{ name: 'n'.repeat(101), value: 'v' }] })] })],
      ['0', 'options', '0', 'choices', '0', 'name'],
      'BASE_TYPE_BAD_LENGTH',
    ],
    [
      'a required option after an optional one',
      [command({ options: [option({ name: 'a' }), option({ name: 'b', required: true })] })],
      ['0', 'options'],
      'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
    ],
    [
      'choices and autocomplete together',
      [command({ options: [option({ autocomplete: true, choices: [{ name: 'a', value: 'a' }] })] })],
      ['0', 'options', '0', 'autocomplete'],
      'APPLICATION_COMMAND_AUTOCOMPLETE_INVALID',
    ],
    [
      'more than 4000 characters in all',
      [
        command({
          options: Array.from({ length: 25 }, (_, i) =>
            option({
              name: `o${i}`,
              description: 'd'.repeat(100),
              choices: Array.from({ length: 25 }, (_, j) => ({ name: `${'n'.repeat(90)}${j}`, value: `v${j}` })),
            }),
          ),
        }),
      ],
      ['0'],
      'APPLICATION_COMMAND_TOO_LARGE',
    ],
    ['two commands with one name', [command(), command()], ['1', 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME'],
  ])('refuses %s', (_, body, path, code) => {
    const error = refusal(body);
    expect(error.status).toBe(400);
    expect(error.body).toMatchObject({ code: 50035, message: 'Invalid Form Body' });
    let node: unknown = error.body.errors;
    for (const key of path) node = (node as Record<string, unknown>)[key];
    expect((node as { _errors: { code: string }[] })._errors.map((e) => e.code)).toContain(code);
  });

  test('refuses more than 100 commands', () => {
    const body = Array.from({ length: 101 }, (_, i) => command({ name: `c${i}` }));
    expect(refusal(body).body).toMatchObject({ code: 30032 });
  });

  test('accepts names in any script, subcommands, and exactly the limits', () => {
    expect(() =>
      validateCommands([
        command({
          name: 'リスト',
          options: [
            option({ choices: Array.from({ length: 25 }, (_, i) => ({ name: 'n'.repeat(100), value: `${i}` })) }),
          ],
        }),
        command({
          name: 'plex',
          options: [
            { type: 1, name: 'link', description: 'Link' },
            {
              type: 2,
              name: 'admin',
              description: 'Admin',
              options: [{ type: 1, name: 'reset', description: 'Reset' }],
            },
          ],
        }),
      ]),
    ).not.toThrow();
  });

  test('over HTTP: a bad bulk overwrite is a 400 with the error tree, and nothing is stored', async () => {
    const fake = await fakeDiscord();
    const response = await api(fake, `/applications/${fake.applicationId}/commands`, {
      method: 'PUT',
      body: JSON.stringify([command({ name: 'Bad' })]),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      code: 50035,
      errors: { 0: { name: { _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME' }] } } },
    });
    expect(fake.commands().map((c) => c.name)).toEqual(['launch']);
    const anonymous = await api(fake, `/applications/${fake.applicationId}/commands`, { bot: false });
    expect(anonymous.status).toBe(401);
  });
});

test("a global bulk overwrite must keep the app's Entry Point command (50240)", async () => {
  const fake = await fakeDiscord();
  const path = `/applications/${fake.applicationId}/commands`;
  const dropped = await api(fake, path, { method: 'PUT', body: JSON.stringify([command()]) });
  expect(dropped.status).toBe(400);
  expect(await dropped.json()).toMatchObject({ code: 50240 });
  const launch = fake.commands()[0]!;
  const kept = await api(fake, path, { method: 'PUT', body: JSON.stringify([command(), launch]) });
  expect(kept.status).toBe(200);
  expect(fake.commands().map((c) => [c.name, c.id === launch.id])).toEqual([
    ['play', false],
    ['launch', true],
  ]);
});

describe('the gateway', () => {
  test('the real discord.js client connects (gateway URL from /gateway/bot) and caches guilds, channels and voice states', async () => {
    const fake = await fakeDiscord();
    await fake.dispatchVoiceState({ userId: fake.guild.users.bob, channelId: fake.guild.channels.lounge });
    const client = await connect(fake);
    expect(fake.requests.find((r) => r.route === 'GET /gateway/bot')?.status).toBe(200);
    expect(fake.counters).toMatchObject({ gatewayConnections: 1, identifies: 1 });
    const guild = client.guilds.cache.get(fake.guild.id)!;
    expect(guild.available).toBe(true);
    expect(guild.channels.cache.map((c) => c.name).sort()).toEqual(['Lounge', 'Movie Night', 'general']);
    expect(guild.voiceStates.cache.get(fake.guild.users.bob)?.channelId).toBe(fake.guild.channels.lounge);

    expect(
      await fake.dispatchVoiceState({ userId: fake.guild.users.alice, channelId: fake.guild.channels.movieNight }),
    ).toBe(1);
    await waitFor(
      () => guild.voiceStates.cache.get(fake.guild.users.alice)?.channelId === fake.guild.channels.movieNight,
    );
    expect(guild.members.cache.get(fake.guild.users.alice)?.displayName).toBe('Alice');
  });

  test('voice updates go only to clients that asked for GuildVoiceStates', async () => {
    const fake = await fakeDiscord();
    await connect(fake, [GatewayIntentBits.Guilds]);
    expect(
      await fake.dispatchVoiceState({ userId: fake.guild.users.alice, channelId: fake.guild.channels.movieNight }),
    ).toBe(0);
  });

  test('privileged intents the application was not granted close the connection (4014)', async () => {
    const fake = await fakeDiscord();
    const client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers],
      rest: { api: fake.apiUrl },
    });
    opened.push({ close: () => client.destroy() });
    await expect(client.login(fake.botToken)).rejects.toThrow(/intent/i);
  });

  test('a wrong token is refused', async () => {
    const fake = await fakeDiscord();
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    opened.push({ close: () => client.destroy() });
    await expect(client.login('not-the-token')).rejects.toThrow();
  });

  test('on RECONNECT the client resumes its session and keeps receiving events', async () => {
    const fake = await fakeDiscord();
    const client = await connect(fake);
    await fake.requestReconnect();
    await waitFor(() => fake.counters.resumes === 1 && fake.gateway.identifiedSessions.length === 1, {
      what: 'the resume',
    });
    expect(fake.counters.identifies).toBe(1);
    await fake.dispatchVoiceState({ userId: fake.guild.users.alice, channelId: fake.guild.channels.movieNight });
    await waitFor(() => client.guilds.cache.get(fake.guild.id)?.voiceStates.cache.has(fake.guild.users.alice));
  });
});

describe('interactions', () => {
  async function withHandler(fake: FakeDiscord, handle: Parameters<Client['on']>[1]) {
    await api(fake, `/applications/${fake.applicationId}/guilds/${fake.guild.id}/commands`, {
      method: 'PUT',
      body: JSON.stringify([
        command({ options: [option({ required: true, autocomplete: true })] }),
        command({ name: 'ping' }),
      ]),
    });
    const client = await connect(fake);
    client.on(Events.InteractionCreate, handle);
    return client;
  }

  test('a reply, a second answer refused (40060), a deferral settled by an edit, and a followup', async () => {
    const fake = await fakeDiscord();
    const errors: unknown[] = [];
    await withHandler(fake, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      if (interaction.commandName === 'ping') {
        await interaction.reply({ content: 'pong', flags: MessageFlags.Ephemeral });
        await interaction.client.rest
          .post(`/interactions/${interaction.id}/${interaction.token}/callback`, {
            body: { type: 4, data: { content: 'again' } },
            auth: false,
          })
          .catch((error: unknown) => errors.push(error));
      } else {
        await interaction.deferReply();
        await interaction.editReply(`playing ${interaction.options.getString('query')}`);
        await interaction.followUp({ content: 'enjoy', flags: MessageFlags.Ephemeral });
      }
    });

    const ping = await fake.command('ping');
    expect(ping.callback).toMatchObject({ type: 4, data: { content: 'pong' } });
    expect(isEphemeral(ping.message)).toBe(true);
    await waitFor(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ code: 40060 });

    const play = await fake.command('play', { query: 'sintel' });
    expect(play.callback.type).toBe(5);
    expect((await play.settled()).content).toBe('playing sintel');
    expect((await play.followup()).content).toBe('enjoy');
    expect(play.edits.map((e) => e.kind)).toEqual(['edit-original', 'followup']);
  });

  test('editing a response later: the webhook until the token expires (50027), then the channel message; ephemeral messages are not in the channel', async () => {
    const fake = await fakeDiscord();
    await withHandler(fake, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      if (interaction.commandName === 'ping')
        await interaction.reply({ content: 'secret', flags: MessageFlags.Ephemeral });
      else await interaction.reply('first');
    });
    const play = await fake.command('play', { query: 'sintel' });
    const message = await play.settled();
    const secret = await (await fake.command('ping')).settled();
    const webhookEdit = (content: string) =>
      api(fake, `/webhooks/${fake.applicationId}/${play.payload.token}/messages/@original`, {
        method: 'PATCH',
        bot: false,
        body: JSON.stringify({ content }),
      });
    const channelEdit = (messageId: string, init: { bot?: boolean } = {}) =>
      api(fake, `/channels/${message.channel_id}/messages/${messageId}`, {
        method: 'PATCH',
        body: JSON.stringify({ content: 'third' }),
        ...init,
      });

    expect((await webhookEdit('second')).status).toBe(200);
    fake.expireInteractionToken(play.id);
    const expired = await webhookEdit('too late');
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: 50027 });

    expect((await channelEdit(message.id, { bot: false })).status).toBe(401);
    expect(await (await channelEdit(secret.id)).json()).toMatchObject({ code: 10008 });
    const edited = await channelEdit(message.id);
    expect(edited.status).toBe(200);
    expect(fake.message(message.id)?.content).toBe('third');
    expect(fake.messageEdits(message.id).map((e) => e.kind)).toEqual(['edit-original', 'edit-channel-message']);
  });

  test('editing in a channel the bot cannot see is refused (50001)', async () => {
    const fake = await fakeDiscord({ botPermissions: 0n });
    await withHandler(fake, async (interaction) => {
      if (interaction.isChatInputCommand()) await interaction.reply('hello');
    });
    const message = await (await fake.command('play', { query: 'x' })).settled();
    const refused = await api(fake, `/channels/${message.channel_id}/messages/${message.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ content: 'edited' }),
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 50001 });
  });

  test('autocomplete: the focused option is marked, and more than 25 choices are refused', async () => {
    const fake = await fakeDiscord();
    const errors: unknown[] = [];
    await withHandler(fake, async (interaction) => {
      if (!interaction.isAutocomplete()) return;
      const typed = interaction.options.getFocused();
      const count = typed === 'many' ? 26 : 3;
      await interaction
        .respond(Array.from({ length: count }, (_, i) => ({ name: `${typed} ${i}`, value: `${i}` })))
        .catch(async (error: unknown) => {
          errors.push(error);
          await interaction.respond([]);
        });
    });
    const few = await fake.autocomplete('play', { query: 'sin' }, 'query');
    expect(few.choices.map((c) => c.name)).toEqual(['sin 0', 'sin 1', 'sin 2']);
    expect(JSON.stringify(few.payload.data)).toContain('"focused":true');

    const many = await fake.autocomplete('play', { query: 'many' }, 'query');
    expect(many.choices).toEqual([]);
    expect(errors[0]).toBeInstanceOf(DiscordAPIError);
    expect((errors[0] as DiscordAPIError).code).toBe(50035);
  });

  test('invocations follow the registered command: unknown commands, missing options and hidden commands are refused', async () => {
    const fake = await fakeDiscord();
    await withHandler(fake, async () => {});
    await expect(fake.command('nope')).rejects.toThrow(/not registered/);
    await expect(fake.command('play')).rejects.toThrow(/required option query/);
    await expect(fake.command('play', { query: 'x', extra: 1 })).rejects.toThrow(/no option "extra"/);
  });

  test('a callback after the deadline is refused as Unknown interaction (10062)', async () => {
    // Every callback is late; the fake gives up waiting for an accepted one after a second.
    const fake = await fakeDiscord({ interactionDeadlineMs: -1, responseTimeoutMs: 1000 });
    const errors: unknown[] = [];
    await withHandler(fake, async (interaction) => {
      if (interaction.isChatInputCommand())
        await interaction.reply('late').catch((error: unknown) => errors.push(error));
    });
    await expect(fake.command('ping')).rejects.toThrow(/timed out/);
    expect(errors[0]).toMatchObject({ code: 10062 });
    expect(fake.callbacks).toEqual([]);
  });
});

describe('REST beyond commands', () => {
  test('activity invites: voice channels only, for this application, and only with Create Invite', async () => {
    const fake = await fakeDiscord();
    const create = (channel: string, body: Record<string, unknown>) =>
      api(fake, `/channels/${channel}/invites`, { method: 'POST', body: JSON.stringify(body) });
    const ok = await create(fake.guild.channels.movieNight, {
      max_age: 3600,
      target_type: 2,
      target_application_id: fake.applicationId,
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      target_type: 2,
      target_application: { id: fake.applicationId },
      max_age: 3600,
    });
    expect(
      (await create(fake.guild.channels.general, { target_type: 2, target_application_id: fake.applicationId })).status,
    ).toBe(400);
    expect((await create(fake.guild.channels.movieNight, { target_type: 2 })).status).toBe(400);

    const noInvites = await fakeDiscord({ botPermissions: 0n });
    const refused = await api(noInvites, `/channels/${noInvites.guild.channels.movieNight}/invites`, {
      method: 'POST',
      body: '{}',
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 50013 });
  });

  test('OAuth2: a code is exchanged once for a token that reads /users/@me', async () => {
    const fake = await fakeDiscord();
    const code = fake.authorize(fake.guild.users.alice);
    const exchange = () =>
      fetch(`${fake.apiUrl}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          client_id: fake.applicationId,
          client_secret: fake.clientSecret,
        }),
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    const token = (await first.json()) as { access_token: string; token_type: string; scope: string };
    expect(token).toMatchObject({ token_type: 'Bearer', scope: 'identify guilds' });
    expect((await exchange()).status).toBe(400);
    const me = await fetch(`${fake.apiUrl}/v10/users/@me`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(await me.json()).toMatchObject({ id: fake.guild.users.alice, username: 'alice' });

    const wrongSecret = await fetch(`${fake.apiUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: fake.authorize(fake.guild.users.bob),
        client_id: fake.applicationId,
        client_secret: 'nope',
      }),
    });
    expect(wrongSecret.status).toBe(401);
  });

  test('activity instances are read with the bot token', async () => {
    const fake = await fakeDiscord();
    const instance = fake.createActivityInstance({
      channelId: fake.guild.channels.movieNight,
      users: [fake.guild.users.alice],
    });
    const found = await api(fake, `/applications/${fake.applicationId}/activity-instances/${instance.instance_id}`);
    expect(await found.json()).toMatchObject({
      location: { channel_id: fake.guild.channels.movieNight, guild_id: fake.guild.id },
      users: [fake.guild.users.alice],
    });
    expect((await api(fake, `/applications/${fake.applicationId}/activity-instances/i-unknown`)).status).toBe(404);
    expect(
      (
        await api(fake, `/applications/${fake.applicationId}/activity-instances/${instance.instance_id}`, {
          bot: false,
        })
      ).status,
    ).toBe(401);
  });
});
