import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFakeDiscord } from '../fakes/discord/index.ts';
import { waitFor } from '../support/wait.ts';
import { ARTIFACTS } from './support/browser.ts';
import { type RunningServer, startServer } from './support/server.ts';

type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>;

/**
 * Discord mode, as Discord runs it: the activity in an iframe on `https://<application id>.discordsays.com`
 * (the browser's requests to that host are routed to the real server, as Discord's proxy does), with
 * a stand-in for the Discord client in the parent frame answering the Embedded App SDK's RPC
 * (handshake, AUTHORIZE, AUTHENTICATE, channel and participants). Sign-in goes through the real
 * `POST /api/auth/discord` against the fake Discord, and the room socket's `hello` carries the
 * instance id the server checks with the fake Discord's activity-instances API.
 */
export function discordModeSuite(getBrowser: () => Browser): void {
  describe('Discord mode (Embedded App SDK in an iframe)', () => {
    let discord: FakeDiscord;
    let server: RunningServer;
    let context: BrowserContext;
    let page: Page;
    let instanceId: string;
    const consoleLines: string[] = [];

    const host = () => `${discord.applicationId}.discordsays.com`;

    /** The Discord client's side of the SDK's postMessage RPC, for one user in one voice channel. */
    const clientPage = (options: {
      code: string;
      userId: string;
      guildId: string;
      channelId: string;
    }) => `<!doctype html>
<meta charset="utf-8"><title>Discord (stand-in)</title>
<style>html,body{margin:0;height:100%;background:#111}iframe{border:0;width:100%;height:100%}</style>
<iframe allow="autoplay; fullscreen" src="/?frame_id=frame-1&instance_id=${instanceId}&platform=desktop&guild_id=${options.guildId}&channel_id=${options.channelId}&location_id=loc-1"></iframe>
<script>
const opts = ${JSON.stringify({ ...options, appId: discord.applicationId })};
window.rpcLog = [];
window.addEventListener('message', (event) => {
  const frame = document.querySelector('iframe').contentWindow;
  if (event.source !== frame || !Array.isArray(event.data)) return;
  const [op, payload] = event.data;
  const reply = (data) => frame.postMessage([1, data], '*');
  if (op === 0) {
    window.rpcLog.push('HANDSHAKE');
    reply({ cmd: 'DISPATCH', evt: 'READY', nonce: null, data: { v: 1, config: { api_endpoint: '//discord.com/api', environment: 'production', cdn_host: 'cdn.discordapp.com' } } });
    return;
  }
  if (op !== 1) return;
  const { cmd, nonce, args } = payload;
  if (cmd !== 'CAPTURE_LOG') window.rpcLog.push(cmd);
  if (cmd === 'SET_ORIENTATION_LOCK_STATE' || cmd === 'SET_CONFIG') (window.rpcArgs ??= {})[cmd] = args;
  const user = { id: opts.userId, username: 'alice', discriminator: '0', global_name: 'Alice', avatar: null, public_flags: 0, flags: 0, bot: false };
  const answer = (data) => reply({ cmd, nonce, evt: null, data });
  switch (cmd) {
    case 'AUTHORIZE': return answer({ code: opts.code });
    case 'AUTHENTICATE':
      return answer({ access_token: args.access_token, user, scopes: ['identify', 'guilds', 'guilds.members.read', 'rpc.voice.read'],
        expires: new Date(Date.now() + 3600000).toISOString(), application: { id: opts.appId, name: 'Discord Plex Player', description: '' } });
    case 'GET_CHANNEL_PERMISSIONS': return answer({ permissions: String(1 << 5) });
    case 'GET_CHANNEL': return answer({ id: opts.channelId, guild_id: opts.guildId, type: 2, name: 'movie-night', voice_states: [], messages: [] });
    case 'GET_ACTIVITY_INSTANCE_CONNECTED_PARTICIPANTS': return answer({ participants: [user] });
    case 'SUBSCRIBE': case 'UNSUBSCRIBE': return answer({ evt: payload.evt });
    case 'SET_CONFIG': return answer({ use_interactive_pip: args.use_interactive_pip });
    default: return answer(null);
  }
});
</script>`;

    beforeAll(async () => {
      discord = await startFakeDiscord({ applicationId: '1234567890123456789' });
      server = await startServer({
        DISCORD_CLIENT_ID: discord.applicationId,
        DISCORD_CLIENT_SECRET: discord.clientSecret,
        DISCORD_BOT_TOKEN: discord.botToken,
        DISCORD_API_URL: discord.apiUrl,
      });
      const { guild } = discord;
      // Alice manages this Discord server: the stand-in client says so (channel permissions) and so
      // does the guild the server reads with the bot token.
      discord.grantRole(guild.users.alice, guild.roles.admin);
      instanceId = discord.createActivityInstance({
        channelId: guild.channels.movieNight,
        users: [guild.users.alice],
      }).instance_id;
      const code = discord.authorize(guild.users.alice, {
        scopes: ['identify', 'guilds', 'guilds.members.read', 'rpc.voice.read'],
      });

      context = await getBrowser().newContext({ viewport: { width: 1280, height: 720 } });
      // Discord's proxy: everything on <app id>.discordsays.com goes to the activity's server.
      await context.route(`https://${host()}/**`, async (route) => {
        const url = new URL(route.request().url());
        if (url.pathname === '/__discord__') {
          await route.fulfill({
            contentType: 'text/html',
            body: clientPage({
              code,
              userId: guild.users.alice,
              guildId: guild.id,
              channelId: guild.channels.movieNight,
            }),
          });
          return;
        }
        const response = await route.fetch({ url: `${server.url}${url.pathname}${url.search}` });
        await route.fulfill({ response });
      });
      // …and so does the room socket: bridged here to the server, with the origin Discord would send.
      await context.routeWebSocket(`wss://${host()}/ws`, (route) => {
        const upstream = new WebSocket(`${server.url.replace('http:', 'ws:')}/ws`, {
          headers: { origin: `https://${host()}` },
        });
        const pending: string[] = [];
        upstream.on('open', () => {
          for (const message of pending.splice(0)) upstream.send(message);
        });
        upstream.on('message', (data) => route.send(String(data)));
        upstream.on('close', (code, reason) =>
          route.close({ code: code === 1005 ? 1000 : code, reason: String(reason) }),
        );
        upstream.on('error', () => route.close({ code: 1011, reason: 'upstream error' }));
        route.onMessage((message) => {
          const text = String(message);
          if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
          else pending.push(text);
        });
        route.onClose((code, reason) => {
          if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) {
            upstream.close(code === undefined || code === 1005 ? 1000 : code, reason);
          }
        });
      });
      page = await context.newPage();
      page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
    }, 120_000);

    afterAll(async () => {
      await context?.close().catch(() => undefined);
      await server?.close();
      await discord?.close();
    });

    const activity = (): Frame => {
      const frame = page.frames().find((f) => f.url().includes('frame_id='));
      if (!frame) throw new Error('the activity frame is not there');
      return frame;
    };

    it('signs in through Discord and joins the voice channel’s room', async () => {
      await page.goto(`https://${host()}/__discord__`);
      const frame = await waitFor(() => page.frames().find((f) => f.url().includes('frame_id=')), {
        what: 'the activity frame',
      });
      await frame
        .getByTestId('room')
        .waitFor({ timeout: 30_000 })
        .catch(async (error: unknown) => {
          const text = await frame
            .locator('body')
            .textContent()
            .catch(() => '(no body)');
          throw new Error(`${String(error)}\nframe says: ${text}\nconsole:\n${consoleLines.slice(-20).join('\n')}`);
        });

      const rpc = await page.evaluate(() => (window as unknown as { rpcLog: string[] }).rpcLog);
      expect(rpc.slice(0, 3)).toEqual(['HANDSHAKE', 'AUTHORIZE', 'AUTHENTICATE']);
      expect(await frame.getByTestId('room-label').textContent()).toBe('movie-night');

      const roomId = `${discord.guild.id}:${discord.guild.channels.movieNight}`;
      const snapshot = await waitFor(async () => {
        const snap = await server.app.rooms.snapshot(roomId);
        return snap && snap.members.length === 1 ? snap : false;
      });
      expect(snapshot.members[0]?.name).toBe('Alice');
    }, 90_000);

    it('plays from the library through the proxied origin, and lets an admin reach Plex linking', async () => {
      const frame = activity();
      await frame.getByTestId('tab-library').click();
      await frame.getByTestId('library-item').first().locator('.card-open').click();
      await frame.getByTestId('play-now').click();
      await waitFor(
        async () =>
          frame.evaluate(() => {
            const v = document.querySelector('video');
            return v !== null && !v.paused && v.currentTime > 0.5;
          }),
        { timeoutMs: 30_000, what: 'playback inside Discord' },
      );
      // Manage Server (from the channel permissions) makes this viewer an admin.
      await frame.getByTestId('settings-menu').click();
      await frame.getByRole('menuitem', { name: 'Plex server…' }).click();
      // The server agrees she may: it lists the guild's (no) linked servers instead of refusing.
      await frame.getByTestId('no-servers').waitFor();
      expect(await frame.getByTestId('error-state').count()).toBe(0);
      await frame.locator('body').press('Escape');
      await page.screenshot({ path: `${ARTIFACTS}/discord-mode.png` });
    }, 90_000);

    it('ran framed by discordsays.com with the server’s Content-Security-Policy refusing nothing', async () => {
      const csp = await activity().evaluate(async () => (await fetch('/')).headers.get('content-security-policy'));
      expect(csp).toContain('frame-ancestors https://discord.com https://*.discord.com https://*.discordsays.com');
      expect(consoleLines.filter((line) => /Content Security Policy/i.test(line))).toEqual([]);
    });

    it('locks orientation sensibly, asks for interactive picture-in-picture and follows the layout mode', async () => {
      const frame = activity();
      const rpcArgs = await page.evaluate(() => (window as unknown as { rpcArgs: Record<string, unknown> }).rpcArgs);
      // The phone may turn (portrait shows the panels); picture-in-picture and the grid stay landscape.
      expect(rpcArgs.SET_ORIENTATION_LOCK_STATE).toEqual({
        lock_state: 1,
        picture_in_picture_lock_state: 3,
        grid_lock_state: 3,
      });
      expect(rpcArgs.SET_CONFIG).toEqual({ use_interactive_pip: true });
      expect(await frame.getByTestId('room').getAttribute('data-layout')).toBe('focused');

      // Discord moves the activity to picture-in-picture (the user looks at another channel).
      const dispatch = (layoutMode: number) =>
        page.evaluate((mode) => {
          const target = document.querySelector('iframe')?.contentWindow;
          target?.postMessage(
            [1, { cmd: 'DISPATCH', evt: 'ACTIVITY_LAYOUT_MODE_UPDATE', nonce: null, data: { layout_mode: mode } }],
            '*',
          );
        }, layoutMode);
      await dispatch(1);
      await frame.locator('[data-testid="room"][data-layout="compact"]').waitFor();
      await frame.getByTestId('open-sheet').waitFor({ state: 'attached' });
      await page.screenshot({ path: `${ARTIFACTS}/discord-mode-pip.png` });
      await dispatch(0);
      await frame.locator('[data-testid="room"][data-layout="focused"]').waitFor();
    }, 60_000);
  });
}
