import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkCommandModule, checkEventModule, loadCommands, loadEvents, ModuleLoadError } from '../src/loader.ts';

const execute = async () => {};

describe('the module loader', () => {
  test('loads one module per command and per event', async () => {
    const commands = await loadCommands();
    expect([...commands.keys()].sort()).toEqual(
      [
        'history',
        'nowplaying',
        'pause',
        'play',
        'plex',
        'queue',
        'remote',
        'resume',
        'seek',
        'settings',
        'skip',
        'stop',
        'watch',
      ].sort(),
    );
    const events = await loadEvents();
    expect(events.map((e) => e.name)).toEqual(
      expect.arrayContaining(['clientReady', 'shardReady', 'interactionCreate', 'voiceStateUpdate', 'guildCreate']),
    );
  });

  test('fails loudly on a malformed module, naming the file and each problem', async () => {
    const dir = fileURLToPath(new URL('./fixtures/malformed-commands/', import.meta.url));
    const failure = await loadCommands(dir).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModuleLoadError);
    const message = (failure as Error).message;
    expect(message).toContain('broken.ts');
    expect(message).toMatch(/data\.name: must be 1-32 letters/);
    expect(message).toMatch(/data\.description: must not be empty/);
    expect(message).toMatch(/execute: /);
  });

  test.each([
    ['no default export', {}, /no default export/],
    ['no execute', { default: { data: { name: 'ping', description: 'Ping' } } }, /execute/],
    ['upper case name', { default: { data: { name: 'Ping', description: 'Ping' }, execute } }, /must be lower case/],
    [
      'description over 100',
      { default: { data: { name: 'ping', description: 'x'.repeat(101) }, execute } },
      /at most 100/,
    ],
    [
      'a name unlike the file',
      { default: { data: { name: 'pong', description: 'Pong' }, execute } },
      /one command per module/,
    ],
    [
      'autocomplete without a handler',
      {
        default: {
          data: {
            name: 'ping',
            description: 'Ping',
            options: [{ type: 3, name: 'q', description: 'Q', autocomplete: true }],
          },
          execute,
        },
      },
      /no autocomplete handler/,
    ],
  ])('rejects a command module with %s', (_, namespace, problem) => {
    expect(() => checkCommandModule('/bot/commands/ping.ts', namespace)).toThrow(problem);
  });

  test('rejects an event module for an event discord.js does not have', () => {
    expect(() => checkEventModule('/bot/events/x.ts', { default: { name: 'voiceStateUpdated', execute } })).toThrow(
      /x\.ts: name: must be a discord\.js client event/,
    );
  });
});
