import { DiscordAPIError, HTTPError, RateLimitError, REST, type RequestData } from '@discordjs/rest';
import { type RESTGetAPIGuildMemberResult, type RESTGetAPIGuildResult, Routes } from 'discord-api-types/v10';

/** Discord's REST API as this server uses it: the OAuth2 code exchange, `/users/@me`, activity instances. */

export interface DiscordClientOptions {
  /** `DISCORD_API_URL`: the API root without a version, as discord.js's `rest.api` (`https://discord.com/api`). */
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  botToken: string;
  /** Sent with the code exchange only when set (the Embedded App SDK flow has none). */
  redirectUri?: string | undefined;
  /** Per-request time limit. */
  timeoutMs?: number;
}

export interface DiscordTokenGrant {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
  scopes: string[];
}

export interface DiscordUser {
  id: string;
  /** The display name (global name, else the username). */
  name: string;
  /** A CDN URL, or null when the user has no avatar. */
  avatar: string | null;
}

export interface DiscordActivityInstance {
  instanceId: string;
  guildId: string | null;
  channelId: string;
  /** Discord user ids in the instance. */
  users: string[];
}

/** A guild as the permission check needs it: who owns it, and each role's permission bits (decimal). */
export interface DiscordGuild {
  ownerId: string;
  roles: { id: string; permissions: string }[];
}

/** Discord could not be reached (network error, timeout, 5xx). */
export class DiscordUnreachableError extends Error {
  override name = 'DiscordUnreachableError';
}

/** Discord refused the authorization code (invalid, expired, already used, or without `identify`). */
export class DiscordCodeRejectedError extends Error {
  override name = 'DiscordCodeRejectedError';
}

/** Any other refusal: our credentials, rate limits, an unexpected answer. */
export class DiscordApiError extends Error {
  override name = 'DiscordApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const API_VERSION = '10';
const CDN = 'https://cdn.discordapp.com';
/** A rate limit asking for a longer wait than this is answered at once (a person is waiting). */
const MAX_RATE_LIMIT_WAIT_MS = 10_000;

interface RawResponse {
  status: number;
  body: unknown;
}

/**
 * Discord's REST API as this server uses it, through discord.js's REST client: it keeps Discord's
 * rate-limit buckets and waits as a 429's headers say (up to MAX_RATE_LIMIT_WAIT_MS), retries a 5xx
 * or a dropped connection once, and gives each request `timeoutMs`.
 */
export class DiscordClient {
  private readonly rest: REST;

  constructor(private readonly options: DiscordClientOptions) {
    const root = options.apiUrl.replace(/\/+$/, '');
    // Accept a root that already names a version, as discord.js would not: `…/api/v10`.
    const versioned = /^(.*)\/v(\d+)$/.exec(root);
    this.rest = new REST({
      api: versioned ? versioned[1]! : root,
      version: versioned ? versioned[2]! : API_VERSION,
      timeout: options.timeoutMs ?? 8000,
      retries: 1,
      rejectOnRateLimit: (limit) => limit.retryAfter > MAX_RATE_LIMIT_WAIT_MS,
    }).setToken(options.botToken);
  }

  /** `POST /oauth2/token` (grant_type authorization_code); the client secret goes to Discord only. */
  async exchangeCode(code: string): Promise<DiscordTokenGrant> {
    const form = new URLSearchParams({
      client_id: this.options.clientId,
      client_secret: this.options.clientSecret,
      grant_type: 'authorization_code',
      code,
    });
    if (this.options.redirectUri) form.set('redirect_uri', this.options.redirectUri);
    const response = await this.request('oauth2 token', 'post', Routes.oauth2TokenExchange(), {
      auth: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      passThroughBody: true,
    });
    const body = (response.body ?? {}) as Record<string, unknown>;
    if (response.status === 400 && body.error === 'invalid_grant') {
      throw new DiscordCodeRejectedError('Discord rejected the authorization code.');
    }
    if (response.status !== 200) {
      throw new DiscordApiError(
        response.status,
        `Discord refused the code exchange (${String(body.error ?? 'error')}).`,
      );
    }
    if (typeof body.access_token !== 'string') throw new DiscordApiError(200, 'Discord sent no access token.');
    return {
      accessToken: body.access_token,
      expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 0,
      scopes: typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [],
    };
  }

  /** `GET /users/@me` with a user's access token (needs the `identify` scope). */
  async currentUser(accessToken: string): Promise<DiscordUser> {
    const response = await this.request('users @me', 'get', Routes.user(), {
      auth: false,
      headers: { authorization: `Bearer ${accessToken}` },
    });
    if (response.status === 401) {
      throw new DiscordCodeRejectedError('Discord did not let the authorization read who you are (scope identify).');
    }
    if (response.status !== 200) throw new DiscordApiError(response.status, 'Discord refused to say who you are.');
    const user = response.body as { id?: unknown; username?: unknown; global_name?: unknown; avatar?: unknown };
    if (typeof user.id !== 'string' || typeof user.username !== 'string') {
      throw new DiscordApiError(200, 'Discord sent a user without an id.');
    }
    const name = typeof user.global_name === 'string' && user.global_name.trim() ? user.global_name : user.username;
    const avatar =
      typeof user.avatar === 'string' && /^\w+$/.test(user.avatar)
        ? `${CDN}/avatars/${user.id}/${user.avatar}.${user.avatar.startsWith('a_') ? 'gif' : 'png'}?size=128`
        : null;
    return { id: user.id, name: name.slice(0, 100), avatar };
  }

  /** `GET /applications/{app}/activity-instances/{id}` with the bot token; null when there is no such instance. */
  async activityInstance(instanceId: string): Promise<DiscordActivityInstance | null> {
    const path =
      `/applications/${encodeURIComponent(this.options.clientId)}/activity-instances/${encodeURIComponent(instanceId)}` as const;
    const response = await this.request('activity instance', 'get', path);
    if (response.status === 404) return null;
    if (response.status !== 200) {
      throw new DiscordApiError(response.status, `Discord refused the activity instance lookup (${response.status}).`);
    }
    const body = response.body as {
      instance_id?: unknown;
      location?: { channel_id?: unknown; guild_id?: unknown };
      users?: unknown;
    };
    const channelId = body.location?.channel_id;
    if (typeof channelId !== 'string' || !Array.isArray(body.users)) {
      throw new DiscordApiError(200, 'Discord sent an activity instance without a location or users.');
    }
    const guildId = body.location?.guild_id;
    return {
      instanceId: typeof body.instance_id === 'string' ? body.instance_id : instanceId,
      guildId: typeof guildId === 'string' ? guildId : null,
      channelId,
      users: body.users.filter((u): u is string => typeof u === 'string'),
    };
  }

  /** `GET /guilds/{id}` with the bot token: its owner and roles; null when the bot is not in it. */
  async guild(guildId: string): Promise<DiscordGuild | null> {
    const response = await this.request('guild', 'get', Routes.guild(encodeURIComponent(guildId)));
    if (response.status === 404 || response.status === 403) return null;
    if (response.status !== 200)
      throw new DiscordApiError(response.status, `Discord refused the guild lookup (${response.status}).`);
    const body = response.body as Partial<RESTGetAPIGuildResult>;
    if (typeof body.owner_id !== 'string' || !Array.isArray(body.roles)) {
      throw new DiscordApiError(200, 'Discord sent a guild without an owner or roles.');
    }
    const roles = body.roles.flatMap((role: { id?: unknown; permissions?: unknown }) =>
      typeof role.id === 'string' && typeof role.permissions === 'string' && /^\d+$/.test(role.permissions)
        ? [{ id: role.id, permissions: role.permissions }]
        : [],
    );
    return { ownerId: body.owner_id, roles };
  }

  /** `GET /guilds/{id}/members/{user}` with the bot token: the member's role ids; null when not a member. */
  async guildMember(guildId: string, userId: string): Promise<{ roles: string[] } | null> {
    const path = Routes.guildMember(encodeURIComponent(guildId), encodeURIComponent(userId));
    const response = await this.request('guild member', 'get', path);
    if (response.status === 404 || response.status === 403) return null;
    if (response.status !== 200) {
      throw new DiscordApiError(response.status, `Discord refused the guild member lookup (${response.status}).`);
    }
    const body = response.body as Partial<RESTGetAPIGuildMemberResult>;
    if (!Array.isArray(body.roles)) throw new DiscordApiError(200, 'Discord sent a member without roles.');
    return { roles: body.roles.filter((role): role is string => typeof role === 'string') };
  }

  /**
   * One call; a refusal (4xx) comes back as its status and body for the caller to judge, while no
   * answer at all (network, timeout, 5xx after the retry) is DiscordUnreachableError.
   */
  private async request(
    what: string,
    method: 'get' | 'post',
    route: `/${string}`,
    init: RequestData = {},
  ): Promise<RawResponse> {
    try {
      const body = await this.rest[method](route, {
        ...init,
        headers: { accept: 'application/json', ...init.headers },
      });
      return { status: 200, body };
    } catch (error) {
      if (error instanceof DiscordAPIError) return { status: error.status, body: error.rawError };
      if (error instanceof RateLimitError) {
        throw new DiscordApiError(
          429,
          `Discord asked to wait ${Math.ceil(error.retryAfter / 1000)} s before the ${what} request.`,
        );
      }
      if (error instanceof HTTPError) {
        throw new DiscordUnreachableError(`Discord answered the ${what} request with ${error.status}.`);
      }
      const reason = error instanceof Error && error.name === 'AbortError' ? 'timed out' : 'failed';
      throw new DiscordUnreachableError(`Discord ${what} request ${reason}.`);
    }
  }
}
