import type { AddressInfo } from 'node:net';
import type { Bot } from '@dpp/bot/embedded';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * BOT_MODE=embedded: the bot of this process, settled once the server listens and the bot has
     * tried to sign in (`client.isReady()` says whether it did). Undefined in separate mode.
     */
    embeddedBot: Promise<Bot> | undefined;
  }
}

/** Where the bot reaches this server: its own listening address, by loopback when it listens on all. */
function loopbackUrl(address: AddressInfo): string {
  const host =
    address.address === '0.0.0.0' || address.address === '::'
      ? '127.0.0.1'
      : address.family === 'IPv6'
        ? `[${address.address}]`
        : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * BOT_MODE=embedded: the bot runs in the server's process (one container, one thing to configure).
 * It starts once the server listens, through the same HTTP API and service token it uses from its own
 * process, and leaves Discord before the server closes. The bot's code is loaded only in this mode.
 * A bot that cannot sign in to Discord is logged, and the server carries on serving the activity.
 */
export default fp(
  async (app) => {
    app.decorate('embeddedBot', undefined);
    const { config } = app;
    if (config.botMode !== 'embedded' || !config.discord) return;
    const discord = config.discord;
    let listening: () => void = () => {};
    const listened = new Promise<void>((resolve) => {
      listening = resolve;
    });
    let bot: Bot | undefined;

    const start = async (): Promise<Bot> => {
      await listened;
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('the server listens on a pipe, not TCP');
      const { createEmbeddedBot } = await import('@dpp/bot/embedded');
      bot = await createEmbeddedBot(
        {
          botToken: discord.botToken,
          applicationId: discord.clientId,
          discordApiUrl: discord.apiUrl,
          serverUrl: loopbackUrl(address),
          botApiToken: config.botApiToken,
          publicUrl: config.publicUrl,
          logLevel: config.logLevel,
        },
        app.errorReporting,
      );
      try {
        await bot.start();
        app.log.info('the embedded bot is signed in to Discord');
      } catch (error) {
        app.log.error({ err: error }, 'the embedded bot could not sign in to Discord');
      }
      return bot;
    };
    const started = start();
    // Awaited by whoever needs it; a bot that could not even be built is logged here, never unhandled.
    started.catch((error: unknown) => app.log.error({ err: error }, 'the embedded bot could not be built'));
    app.embeddedBot = started;

    app.addHook('onListen', async () => listening());
    app.addHook('preClose', async () => {
      // Closed without ever listening: there is no bot to stop, and none must start.
      if (!app.server.listening && !bot) return;
      await started.catch(() => undefined);
      await bot?.stop();
    });
  },
  { name: 'embedded-bot', dependencies: ['config', 'error-reporting'] },
);
