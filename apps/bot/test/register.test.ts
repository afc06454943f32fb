import { DiscordAPIError, PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type FakeDiscord, startFakeDiscord, validateCommands } from '../../../tests/fakes/discord/index.ts';
import type { Command } from '../src/command.ts';
import { ConfigError } from '../src/config.ts';
import { loadCommands } from '../src/loader.ts';
import { parseRegisterArgs, registerCommands } from '../src/register.ts';

let fake: FakeDiscord;
let commands: Map<string, Command>;
beforeAll(async () => {
  fake = await startFakeDiscord();
  commands = await loadCommands();
});
afterAll(() => fake.close());

const auth = () => ({ token: fake.botToken, applicationId: fake.applicationId, apiUrl: fake.apiUrl, commands });

describe('registering the commands', () => {
  test('globally: Discord accepts every payload under its limits, and stores each command', async () => {
    const stored = await registerCommands(auth());
    // Ours, plus the Entry Point command Discord made when Activities were enabled, kept as it was.
    expect(stored.map((c) => c.name).sort()).toEqual([...commands.keys(), 'launch'].sort());
    expect(fake.commands().find((c) => c.name === 'launch')?.type).toBe(4);
    const put = fake.requests.find((r) => r.route === 'PUT /applications/:app/commands');
    expect(put?.status).toBe(200);
    // The same checks Discord runs, run again on exactly what was sent.
    expect(() => validateCommands(put?.body)).not.toThrow();
    for (const command of stored) if (command.name !== 'launch') expect(command.contexts).toEqual([0]);
  });

  test('/plex and /settings are for Manage Server only; the others for everyone', () => {
    const permissions = Object.fromEntries(fake.commands().map((c) => [c.name, c.default_member_permissions]));
    expect(permissions.plex).toBe(String(PermissionFlagsBits.ManageGuild));
    expect(permissions.settings).toBe(String(PermissionFlagsBits.ManageGuild));
    for (const name of [
      'play',
      'queue',
      'skip',
      'pause',
      'resume',
      'seek',
      'nowplaying',
      'stop',
      'watch',
      'history',
      'remote',
    ]) {
      expect(permissions[name]).toBeNull();
    }
  });

  test('to one guild, for development', async () => {
    await registerCommands({ ...auth(), guildId: fake.guild.id });
    expect(fake.commands(fake.guild.id)).toHaveLength(commands.size);
    expect(fake.requests.at(-1)?.route).toBe('PUT /applications/:app/guilds/:guild/commands');
  });

  test("a payload Discord refuses fails with Discord's own error", async () => {
    const bad = new Map(commands);
    bad.set('bad', { data: { name: 'Bad Name', description: 'x'.repeat(101) }, execute: async () => {} });
    const failure = await registerCommands({ ...auth(), commands: bad }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DiscordAPIError);
    expect((failure as DiscordAPIError).code).toBe(50035);
    expect((failure as DiscordAPIError).message).toMatch(/APPLICATION_COMMAND_INVALID_NAME[\s\S]*BASE_TYPE_BAD_LENGTH/);
  });
});

describe('bot:register arguments', () => {
  test.each([
    [[], undefined, undefined],
    [['--guild', '123456789012345678'], undefined, '123456789012345678'],
    [['--guild=123456789012345678'], undefined, '123456789012345678'],
    [[], '223456789012345678', '223456789012345678'],
    [['--global'], '223456789012345678', undefined],
  ])('%j with DISCORD_GUILD_ID=%s registers to %s', (argv, env, guildId) => {
    expect(parseRegisterArgs(argv, env)).toEqual({ guildId, help: false });
  });

  test('refuses a guild that is not an id, and unknown arguments', () => {
    expect(() => parseRegisterArgs(['--guild', 'my-server'], undefined)).toThrow(ConfigError);
    expect(() => parseRegisterArgs(['--gild', '1'], undefined)).toThrow(/unknown argument/);
  });
});
