import { Common, DiscordSDK, Events, Permissions, PermissionUtils, patchUrlMappings } from '@discord/embedded-app-sdk';
import { discordAuthResponseSchema, roomIdFor, type SessionResponse } from '@dpp/shared';
import { api } from '../lib/api.ts';
import type { DiscordLayoutMode, Participant } from '../room/app-state.ts';
import type { Platform } from './platform.ts';
import { keepProxyTicketFresh } from './proxy-ticket.ts';

const SCOPES = ['identify', 'guilds', 'guilds.members.read', 'rpc.voice.read'] as const;

declare const __DISCORD_CLIENT_ID__: string;

/**
 * The application id: given at build time (DISCORD_CLIENT_ID), or read from the host Discord serves
 * the activity from (`<application id>.discordsays.com`).
 */
export function discordClientId(hostname: string): string | null {
  const built = typeof __DISCORD_CLIENT_ID__ === 'string' ? __DISCORD_CLIENT_ID__ : '';
  if (built) return built;
  const match = /^(\d{5,25})\.discordsays\.com$/.exec(hostname);
  return match?.[1] ?? null;
}

class DiscordBootError extends Error {
  override name = 'DiscordBootError';
}

function participantFrom(p: {
  id: string;
  username: string;
  global_name?: string | null;
  nickname?: string;
  avatar?: string | null;
}): Participant {
  return {
    id: p.id,
    name: p.nickname ?? p.global_name ?? p.username,
    // Absolute CDN URL: patchUrlMappings sends it through the /discord-cdn URL mapping.
    avatarUrl: p.avatar ? `https://cdn.discordapp.com/avatars/${p.id}/${p.avatar}.png?size=64` : null,
  };
}

function layoutModeFrom(mode: number): DiscordLayoutMode {
  if (mode === Common.LayoutModeTypeObject.PIP) return 'pip';
  if (mode === Common.LayoutModeTypeObject.GRID) return 'grid';
  return 'focused';
}

/**
 * A video player: the phone may turn freely (portrait shows the panels below the picture, landscape
 * the picture), and the small picture-in-picture and grid tiles stay landscape like the video. Where
 * the SDK offers it, picture-in-picture is interactive so the compact overlay's buttons work there.
 * Both are best effort: older clients do not know the commands (and may never answer).
 */
async function configureLayout(sdk: DiscordSDK): Promise<void> {
  const { LANDSCAPE, UNLOCKED } = Common.OrientationLockStateTypeObject;
  await sdk.commands
    .setOrientationLockState({
      lock_state: UNLOCKED,
      picture_in_picture_lock_state: LANDSCAPE,
      grid_lock_state: LANDSCAPE,
    })
    .catch((error: unknown) => console.warn('Could not set the orientation lock', error));
  await sdk.commands
    .setConfig({ use_interactive_pip: true })
    .catch((error: unknown) => console.warn('Interactive picture-in-picture is not available', error));
}

/**
 * Discord mode: ready → authorize → our server exchanges the code (the client secret stays there)
 * → authenticate. Every request stays on the activity's own origin: `/api` and `/ws` are relative,
 * and the avatar CDN goes through a URL mapping.
 */
export async function bootDiscord(location: Location): Promise<Platform> {
  const clientId = discordClientId(location.hostname);
  if (!clientId) {
    throw new DiscordBootError(
      'This build does not know its Discord application id. Build with DISCORD_CLIENT_ID set, or open it from Discord.',
    );
  }
  patchUrlMappings([{ prefix: '/discord-cdn', target: 'cdn.discordapp.com' }], {
    patchFetch: true,
    patchWebSocket: true,
    patchXhr: true,
    patchSrcAttributes: true,
  });
  const sdk = new DiscordSDK(clientId);
  await sdk.ready();
  // From here on every request rides the proxy ticket: keep it fresh for as long as the activity runs.
  keepProxyTicketFresh(() => sdk.commands.requestProxyTicketRefresh());

  const exchange = async (): Promise<{ session: SessionResponse; accessToken: string }> => {
    const { code } = await sdk.commands.authorize({
      client_id: clientId,
      response_type: 'code',
      state: '',
      prompt: 'none',
      scope: [...SCOPES],
    });
    // The server exchanges the code (the client secret stays there) and returns our session plus
    // Discord's access token for `authenticate`.
    const response = await api('/api/auth/discord', {
      body: { code },
      schema: discordAuthResponseSchema,
      anonymous: true,
    });
    const { accessToken, ...session } = response;
    return { session, accessToken };
  };

  const { session, accessToken } = await exchange();
  await sdk.commands.authenticate({ access_token: accessToken });

  if (!sdk.guildId || !sdk.channelId) {
    throw new DiscordBootError('Start the watch party from a voice channel in a server.');
  }

  let canManage = false;
  try {
    const { permissions } = await sdk.commands.getChannelPermissions();
    canManage = PermissionUtils.can(Permissions.MANAGE_GUILD, permissions);
  } catch (error) {
    console.warn('Could not read channel permissions', error);
  }

  // Not awaited: a client that does not answer these must not hold up the party.
  void configureLayout(sdk);

  let channelName = 'Voice channel';
  try {
    const channel = await sdk.commands.getChannel({ channel_id: sdk.channelId });
    if (channel.name) channelName = channel.name;
  } catch {
    // rpc scopes may be missing: the generic label will do
  }

  return {
    mode: 'discord',
    roomId: roomIdFor(sdk.guildId, sdk.channelId),
    roomLabel: channelName,
    instanceId: sdk.instanceId,
    session,
    canManage,
    renewSession: async () => (await exchange()).session,
    openExternal: async (url) => {
      await sdk.commands.openExternalLink({ url });
    },
    watchLayout: (listener) => {
      let active = true;
      const onUpdate = (event: { layout_mode: number }) => {
        if (active) listener(layoutModeFrom(event.layout_mode));
      };
      sdk.subscribe(Events.ACTIVITY_LAYOUT_MODE_UPDATE, onUpdate).catch((error: unknown) => {
        console.warn('Could not subscribe to layout mode updates', error);
      });
      return () => {
        active = false;
        sdk.unsubscribe(Events.ACTIVITY_LAYOUT_MODE_UPDATE, onUpdate).catch(() => undefined);
      };
    },
    watchParticipants: (listener) => {
      let active = true;
      const onUpdate = (event: { participants: Parameters<typeof participantFrom>[0][] }) => {
        if (active) listener(event.participants.map(participantFrom));
      };
      sdk.commands
        .getInstanceConnectedParticipants()
        .then((r) => onUpdate(r))
        .catch((error: unknown) => console.warn('Could not read the participants', error));
      sdk.subscribe(Events.ACTIVITY_INSTANCE_PARTICIPANTS_UPDATE, onUpdate).catch((error: unknown) => {
        console.warn('Could not subscribe to participant updates', error);
      });
      return () => {
        active = false;
        sdk.unsubscribe(Events.ACTIVITY_INSTANCE_PARTICIPANTS_UPDATE, onUpdate).catch(() => undefined);
      };
    },
  };
}
