import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { inVoice } from '../../../tests/support/bot-and-server.ts';
import { logModules } from '../../../tests/support/module-log.ts';
import { type SentryReceiver, startSentryReceiver } from '../../../tests/support/sentry-receiver.ts';
import { waitFor } from '../../../tests/support/wait.ts';
import { loadConfig } from '../src/config.ts';
import { USER_MESSAGES } from '../src/errors.ts';
import { type BotHarness, serverForThisFile, startBotHarness } from './support/harness.ts';

// From here on, every module of Sentry's this process loads.
const sentryModules = logModules(/\/@sentry\//);
const server = serverForThisFile();
let receiver: SentryReceiver;
let harness: BotHarness | undefined;
beforeAll(async () => {
  receiver = await startSentryReceiver();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
  receiver.envelopes.length = 0;
});
afterAll(async () => {
  await receiver?.close();
});

const env = { DISCORD_BOT_TOKEN: 'x', DISCORD_CLIENT_ID: '123456789012345678', BOT_API_TOKEN: 'b'.repeat(24) };

/** Alice in the Movie Night voice channel, asking for /play; the server answers something the bot cannot read. */
async function failingPlay(h: BotHarness) {
  const { alice } = h.fake.guild.users;
  const channelId = h.fake.guild.channels.movieNight;
  await inVoice(h.bot, h.fake, alice, channelId);
  h.tap.on('play', () => ({ status: 200, body: { unexpected: `token ${h.server.token}` } }));
  // The public "thinking…" gives way to a private apology.
  return (await h.fake.command('play', { query: 'item:demo-sunrise-sync' }, { user: alice })).followup();
}

describe("the bot's error reporting (SENTRY_DSN)", () => {
  test('refuses a SENTRY_DSN that is not a DSN, without showing it', () => {
    expect(loadConfig(env).sentry).toBeUndefined();
    expect(() => loadConfig({ ...env, SENTRY_DSN: 'https://sentry.example.com/' })).toThrow(
      /^SENTRY_DSN must be a Sentry DSN: https:\/\/<key>@<host>\/<project id>[^"]*$/,
    );
  });

  test('is off without SENTRY_DSN: a failing command sends nothing, and the SDK is never loaded', async () => {
    harness = await startBotHarness(server());
    expect(harness.bot.ctx.errors).toBeUndefined();
    expect((await failingPlay(harness)).content).toBe(USER_MESSAGES.internal);
    expect((globalThis as { __SENTRY__?: unknown }).__SENTRY__).toBeUndefined();
    expect(sentryModules.loaded).toEqual([]);
    expect(receiver.envelopes).toEqual([]);
  });

  test('a command that fails on a bug is reported, with none of the bot secrets in any envelope', async () => {
    harness = await startBotHarness(server(), { sentry: { dsn: receiver.dsn, environment: 'test-bot' } });
    const h = harness;
    expect((await failingPlay(h)).content).toBe(USER_MESSAGES.internal);
    await h.bot.ctx.errors?.flush(5000);
    await waitFor(() => receiver.events().length > 0, { timeoutMs: 10_000, what: 'the event at the receiver' });

    expect(sentryModules.loaded.some((url) => url.includes('/@sentry/node/'))).toBe(true);
    const [event] = receiver.events();
    expect(event?.tags).toMatchObject({ service: 'bot', command: 'play' });
    expect(event?.environment).toBe('test-bot');
    expect(event?.exception?.values?.[0]).toMatchObject({ type: 'ServerApiError' });
    const everything = receiver.everything();
    for (const secret of [h.fake.botToken, h.bot.ctx.config.botToken, h.bot.ctx.config.botApiToken, h.server.token]) {
      expect(everything).not.toContain(secret);
    }
  });
});
