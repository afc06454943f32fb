import { randomUUID } from 'node:crypto';
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
 *
 * The stand-in proxy also does what Discord's does with its proxy ticket: a request passes only on a
 * live ticket (here a cookie the stand-in client holds, as the Discord client holds the real one),
 * and is answered 401 once it expired; `REQUEST_PROXY_TICKET_REFRESH` issues a fresh one. It takes
 * paths with and without the `/.proxy/` prefix, as Discord's proxy does.
 */
export function discordModeSuite(getBrowser: () => Browser): void {
  describe('Discord mode (Embedded App SDK in an iframe)', () => {
    let discord: FakeDiscord;
    let server: RunningServer;
    let context: BrowserContext;
    let page: Page;
    let instanceId: string;
    const consoleLines: string[] = [];

    /** The stand-in proxy's tickets (ticket → expiry, epoch ms) and what it let through or refused. */
    const tickets = new Map<string, number>();
    const proxied: { path: string; prefixed: boolean; status: number }[] = [];
    /** Set by a test: the next media request finds its ticket just expired. */
    let expireAtNextMedia = false;
    const issueTicket = () => {
      const ticket = randomUUID();
      tickets.set(ticket, Date.now() + 30 * 60 * 1000);
      return ticket;
    };
    const ticketOf = (cookie: string | null | undefined) => /(?:^|;\s*)proxy_ticket=([^;]+)/.exec(cookie ?? '')?.[1];

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
    case 'REQUEST_PROXY_TICKET_REFRESH':
      // The client gets a fresh ticket from the proxy and holds it (the cookie its requests carry).
      return fetch('/__discord__/ticket', { method: 'POST' }).then((r) => r.json()).then(({ ticket }) => {
        document.cookie = 'proxy_ticket=' + ticket + '; path=/; secure; samesite=none';
        answer({ ticket });
      });
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
            headers: { 'set-cookie': `proxy_ticket=${issueTicket()}; Path=/; Secure; SameSite=None` },
            body: clientPage({
              code,
              userId: guild.users.alice,
              guildId: guild.id,
              channelId: guild.channels.movieNight,
            }),
          });
          return;
        }
        if (url.pathname === '/__discord__/ticket') {
          await route.fulfill({ contentType: 'application/json', body: JSON.stringify({ ticket: issueTicket() }) });
          return;
        }
        const prefixed = url.pathname.startsWith('/.proxy/');
        const path = prefixed ? url.pathname.slice('/.proxy'.length) : url.pathname;
        const ticket = ticketOf(await route.request().headerValue('cookie'));
        if (ticket && expireAtNextMedia && path.startsWith('/api/stream/')) {
          expireAtNextMedia = false;
          tickets.set(ticket, Date.now() - 1);
        }
        const expiresAt = ticket ? tickets.get(ticket) : undefined;
        if (expiresAt === undefined || expiresAt <= Date.now()) {
          proxied.push({ path, prefixed, status: 401 });
          await route.fulfill({ status: 401, contentType: 'text/plain', body: 'proxy ticket expired' });
          return;
        }
        const response = await route.fetch({ url: `${server.url}${path}${url.search}` });
        proxied.push({ path, prefixed, status: response.status() });
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

    it('keeps playing when the proxy ticket expires under a media request: one fresh ticket, one retry', async () => {
      const frame = activity();
      // Any error notice, however briefly shown, is caught.
      await frame.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { errorNotices: string[] }).errorNotices = seen;
        new MutationObserver(() => {
          for (const n of Array.from(document.querySelectorAll('.notice.error'))) seen.push(n.textContent ?? '');
        }).observe(document.body, { subtree: true, childList: true });
      });
      const rpcBefore = (await page.evaluate(() => (window as unknown as { rpcLog: string[] }).rpcLog)).filter(
        (cmd) => cmd === 'REQUEST_PROXY_TICKET_REFRESH',
      ).length;
      const from = proxied.length;
      // The viewer picks another quality: a new media request, and the ticket expires just as it leaves.
      expireAtNextMedia = true;
      await frame.locator('.stage').hover({ position: { x: 40, y: 40 } });
      await frame.getByTestId('quality-menu').click();
      await frame.locator('[role="menuitemradio"][aria-checked="false"]').first().click();

      // The stream's files (the video, its subtitles), by name: the stream id changes on reload.
      const media = () =>
        proxied
          .slice(from)
          .filter((r) => r.path.startsWith('/api/stream/'))
          .map((r) => ({ file: r.path.split('/').pop() ?? '', status: r.status }));
      const isVideo = (file: string) => !file.endsWith('.vtt');
      await waitFor(() => media().some((r) => isVideo(r.file) && r.status < 300), {
        timeoutMs: 30_000,
        what: 'the video to load after the refused request',
      });
      // The video was refused once (the expired ticket), then came through on the fresh ticket: one
      // retry was enough. Whatever else was in flight on that ticket (the subtitles) was refused at
      // most once too.
      const video = media().filter((r) => isVideo(r.file));
      expect(video[0]?.status).toBe(401);
      expect(video.filter((r) => r.status === 401)).toHaveLength(1);
      for (const file of new Set(media().map((r) => r.file))) {
        expect(media().filter((r) => r.file === file && r.status === 401).length).toBeLessThanOrEqual(1);
      }
      const rpcAfter = (await page.evaluate(() => (window as unknown as { rpcLog: string[] }).rpcLog)).filter(
        (cmd) => cmd === 'REQUEST_PROXY_TICKET_REFRESH',
      ).length;
      expect(rpcAfter).toBe(rpcBefore + 1);

      // …and the film goes on: the picture moves on after the recovery.
      const at = await frame.evaluate(() => document.querySelector('video')?.currentTime ?? 0);
      await waitFor(
        () =>
          frame.evaluate((t) => {
            const v = document.querySelector('video');
            return v !== null && !v.paused && v.currentTime > t + 1;
          }, at),
        { timeoutMs: 20_000, what: 'playback to go on after the ticket refresh' },
      );
      expect(await frame.evaluate(() => (window as unknown as { errorNotices: string[] }).errorNotices)).toEqual([]);
    }, 90_000);

    it('reaches the server with and without the /.proxy/ prefix', async () => {
      const frame = activity();
      const from = proxied.length;
      const statuses = await frame.evaluate(async () =>
        Promise.all(['/.proxy/healthz', '/healthz'].map(async (path) => (await fetch(path)).status)),
      );
      expect(statuses).toEqual([200, 200]);
      const seen = proxied.slice(from).filter((r) => r.path === '/healthz');
      expect(seen.map((r) => r.prefixed).sort()).toEqual([false, true]);
      expect(seen.every((r) => r.status === 200)).toBe(true);
    });

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
