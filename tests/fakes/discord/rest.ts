/**
 * The REST API under `/api/v10`: gateway discovery, application commands, interaction callbacks,
 * webhook edits and followups, channel invites, activity instances, OAuth2 code exchange and
 * `users/@me`. Auth, status codes and error bodies follow Discord's.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type APIApplicationCommand,
  type APIExtendedInvite,
  type APIMessage,
  ApplicationCommandType,
  ChannelType,
  InteractionResponseType,
  InteractionType,
  InviteTargetType,
  InviteType,
  MessageFlags,
  MessageType,
  PermissionFlagsBits,
  type RESTGetAPIGatewayBotResult,
  type RESTPostAPIInteractionCallbackWithResponseResult,
  type RESTPostOAuth2AccessTokenResult,
} from 'discord-api-types/v10';
import {
  alreadyAcknowledged,
  DiscordHttpError,
  FormErrors,
  missingPermissions,
  notFound,
  unauthorized,
  unknown,
} from './errors.ts';
import { apiGuildOf } from './gateway.ts';
import { snowflake } from './snowflake.ts';
import type { FakeDiscordState, InteractionRecord, RecordedRequest, RecordedWebhookMessage } from './state.ts';
import { validateAutocompleteChoices, validateCommands, validateMessage } from './validate.ts';

interface Context {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Handler = (ctx: Context) => Reply | Promise<Reply>;

interface Route {
  method: string;
  name: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const noContent: Reply = { status: 204 };

export interface RestOptions {
  /** Where `GET /gateway/bot` sends clients. */
  gatewayUrl: () => string;
  /** Reject interaction callbacks that come later than this (Discord: 3000 ms). */
  interactionDeadlineMs: number;
}

export function createRest(state: FakeDiscordState, options: RestOptions) {
  const routes: Route[] = [];
  const route = (method: string, path: string, handler: Handler) => {
    const keys: string[] = [];
    const source = path
      .replace(/[.@]/g, (c) => `\\${c}`)
      .replace(/:(\w+)/g, (_, key: string) => {
        keys.push(key);
        return '([^/]+)';
      });
    routes.push({ method, name: `${method} ${path}`, pattern: new RegExp(`^${source}$`), keys, handler });
  };

  const requireBot = (ctx: Context) => {
    if (ctx.headers.authorization !== `Bot ${state.botToken}`) throw unauthorized();
  };
  const requireApp = (ctx: Context) => {
    requireBot(ctx);
    if (ctx.params.app !== state.applicationId) {
      throw new DiscordHttpError(403, { message: 'Missing Access', code: 50001 });
    }
  };
  const requireGuild = (id: string | undefined) => {
    const guild = id ? state.guild(id) : undefined;
    if (!guild) throw unknown('Guild');
    return guild;
  };

  // -- gateway discovery --------------------------------------------------------------------------
  route('GET', '/gateway', () => ok({ url: options.gatewayUrl() }));
  route('GET', '/gateway/bot', (ctx) => {
    requireBot(ctx);
    const body: RESTGetAPIGatewayBotResult = {
      url: options.gatewayUrl(),
      shards: 1,
      session_start_limit: {
        total: 1000,
        remaining: 1000 - state.counters.identifies,
        reset_after: 86_400_000,
        max_concurrency: 1,
      },
    };
    return ok(body);
  });

  // -- application commands -------------------------------------------------------------------------
  const commandsOf = (guildId: string | undefined) => {
    if (guildId === undefined) return state.globalCommands;
    requireGuild(guildId);
    let list = state.guildCommands.get(guildId);
    if (!list) {
      list = [];
      state.guildCommands.set(guildId, list);
    }
    return list;
  };
  const toCommand = (
    raw: Record<string, unknown>,
    guildId: string | undefined,
    previous: APIApplicationCommand | undefined,
  ) =>
    ({
      ...raw,
      id: previous?.id ?? snowflake(),
      application_id: state.applicationId,
      ...(guildId ? { guild_id: guildId } : {}),
      type: (raw.type as ApplicationCommandType | undefined) ?? ApplicationCommandType.ChatInput,
      description: (raw.description as string | undefined) ?? '',
      default_member_permissions: (raw.default_member_permissions as string | null | undefined) ?? null,
      version: snowflake(),
    }) as APIApplicationCommand;
  const overwrite = (ctx: Context) => {
    requireApp(ctx);
    const list = commandsOf(ctx.params.guild);
    const valid = validateCommands(ctx.body);
    const entryPoint = ApplicationCommandType.PrimaryEntryPoint;
    if (list.some((c) => c.type === entryPoint) && !valid.some((c) => c.type === entryPoint)) {
      throw new DiscordHttpError(400, {
        message:
          "You cannot remove this app's Entry Point command in a bulk update operation. Please include the Entry Point command in your update request or delete it separately.",
        code: 50240,
      });
    }
    const next = valid.map((raw) =>
      toCommand(
        raw,
        ctx.params.guild,
        list.find((c) => c.name === raw.name && c.type === (raw.type ?? 1)),
      ),
    );
    list.splice(0, list.length, ...next);
    return ok(next);
  };
  const createOne = (ctx: Context) => {
    requireApp(ctx);
    const list = commandsOf(ctx.params.guild);
    const [raw] = validateCommands([ctx.body]);
    const index = list.findIndex((c) => c.name === raw!.name && c.type === (raw!.type ?? 1));
    const command = toCommand(raw!, ctx.params.guild, list[index]);
    if (index >= 0) list[index] = command;
    else {
      const all = [...list.map(({ id: _id, application_id: _a, version: _v, guild_id: _g, ...rest }) => rest), raw!];
      validateCommands(all);
      list.push(command);
    }
    return { status: index >= 0 ? 200 : 201, body: command };
  };
  const deleteOne = (ctx: Context) => {
    requireApp(ctx);
    const list = commandsOf(ctx.params.guild);
    const index = list.findIndex((c) => c.id === ctx.params.command);
    if (index < 0) throw new DiscordHttpError(404, { message: 'Unknown application command', code: 10063 });
    list.splice(index, 1);
    return noContent;
  };
  const list = (ctx: Context) => {
    requireApp(ctx);
    return ok(commandsOf(ctx.params.guild));
  };
  route('GET', '/applications/:app/commands', list);
  route('PUT', '/applications/:app/commands', overwrite);
  route('POST', '/applications/:app/commands', createOne);
  route('DELETE', '/applications/:app/commands/:command', deleteOne);
  route('GET', '/applications/:app/guilds/:guild/commands', list);
  route('PUT', '/applications/:app/guilds/:guild/commands', overwrite);
  route('POST', '/applications/:app/guilds/:guild/commands', createOne);
  route('DELETE', '/applications/:app/guilds/:guild/commands/:command', deleteOne);

  // -- interactions ---------------------------------------------------------------------------------
  const message = (
    record: InteractionRecord,
    body: Record<string, unknown>,
    flags: number,
    id = snowflake(),
  ): APIMessage => ({
    id,
    channel_id: record.payload.channel?.id ?? record.payload.channel_id ?? '0',
    author: state.bot,
    content: typeof body.content === 'string' ? body.content : '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: Array.isArray(body.embeds) ? (body.embeds as APIMessage['embeds']) : [],
    components: Array.isArray(body.components) ? (body.components as APIMessage['components']) : [],
    pinned: false,
    type:
      record.payload.type === InteractionType.ApplicationCommand ? MessageType.ChatInputCommand : MessageType.Default,
    flags,
    webhook_id: state.applicationId,
    application_id: state.applicationId,
  });
  const merge = (original: APIMessage, body: Record<string, unknown>): APIMessage => ({
    ...original,
    ...(typeof body.content === 'string' ? { content: body.content } : {}),
    ...(Array.isArray(body.embeds) ? { embeds: body.embeds as APIMessage['embeds'] } : {}),
    ...(Array.isArray(body.components) ? { components: body.components as APIMessage['components'] } : {}),
    flags: (original.flags ?? 0) & ~MessageFlags.Loading,
    edited_timestamp: new Date().toISOString(),
  });

  route('POST', '/interactions/:id/:token/callback', (ctx) => {
    const record = state.interactions.get(ctx.params.id ?? '');
    if (!record || record.token !== ctx.params.token) throw unknown('Interaction');
    const latencyMs = Date.now() - record.dispatchedAt;
    if (latencyMs > options.interactionDeadlineMs) throw unknown('Interaction');
    if (record.callback) throw alreadyAcknowledged();
    const body = (ctx.body ?? {}) as { type?: unknown; data?: Record<string, unknown> };
    const kind = record.payload.type;
    const isComponent = kind === InteractionType.MessageComponent || kind === InteractionType.ModalSubmit;
    const allowed: Record<number, boolean> = {
      [InteractionResponseType.ChannelMessageWithSource]: kind !== InteractionType.ApplicationCommandAutocomplete,
      [InteractionResponseType.DeferredChannelMessageWithSource]:
        kind !== InteractionType.ApplicationCommandAutocomplete,
      [InteractionResponseType.DeferredMessageUpdate]: isComponent,
      [InteractionResponseType.UpdateMessage]: isComponent,
      [InteractionResponseType.ApplicationCommandAutocompleteResult]:
        kind === InteractionType.ApplicationCommandAutocomplete,
      [InteractionResponseType.Modal]:
        kind === InteractionType.ApplicationCommand || kind === InteractionType.MessageComponent,
      [InteractionResponseType.LaunchActivity]:
        kind === InteractionType.ApplicationCommand || kind === InteractionType.MessageComponent,
    };
    if (typeof body.type !== 'number' || !allowed[body.type]) {
      const errors = new FormErrors();
      errors.add(
        ['type'],
        'INTERACTION_RESPONSE_TYPE_INVALID',
        'This response type is not valid for this interaction.',
      );
      errors.throwIfAny();
    }
    if (body.type === InteractionResponseType.LaunchActivity) {
      // Discord launches an Activity only for an app that has one, for a user allowed to start it there.
      const payload = record.payload as { guild_id?: string; member?: { user?: { id: string } } };
      const guild = payload.guild_id ? state.guild(payload.guild_id) : undefined;
      const userId = payload.member?.user?.id;
      const mayStart =
        guild !== undefined &&
        userId !== undefined &&
        (state.memberPermissions(guild, userId) & PermissionFlagsBits.UseEmbeddedActivities) !== 0n;
      if (!state.activitiesEnabled || !mayStart) {
        const errors = new FormErrors();
        errors.add(['type'], 'INTERACTION_RESPONSE_TYPE_INVALID', 'This application cannot launch an activity here.');
        errors.throwIfAny();
      }
    }
    const type = body.type as InteractionResponseType;
    const data = body.data;
    const flags = typeof data?.flags === 'number' ? data.flags : 0;
    switch (type) {
      case InteractionResponseType.ChannelMessageWithSource:
        validateMessage(data, { requireBody: true });
        record.original = message(record, data ?? {}, flags);
        break;
      case InteractionResponseType.DeferredChannelMessageWithSource:
        record.original = message(record, {}, flags | MessageFlags.Loading);
        break;
      case InteractionResponseType.UpdateMessage:
        validateMessage(data, { requireBody: false });
        if (record.original) record.original = merge(record.original, data ?? {});
        break;
      case InteractionResponseType.ApplicationCommandAutocompleteResult:
        validateAutocompleteChoices(data?.choices);
        break;
      default:
        break;
    }
    const callback = { interactionId: record.id, token: record.token, type, data, latencyMs, at: Date.now() };
    record.callback = callback;
    state.callbacks.push(callback);
    state.record('callback', callback);
    if (ctx.query.get('with_response') !== 'true') return noContent;
    const result: RESTPostAPIInteractionCallbackWithResponseResult = {
      interaction: {
        id: record.id,
        type: kind,
        ...(record.original
          ? {
              response_message_id: record.original.id,
              response_message_loading: type === InteractionResponseType.DeferredChannelMessageWithSource,
              response_message_ephemeral: (flags & MessageFlags.Ephemeral) !== 0,
            }
          : {}),
      },
      ...(type === InteractionResponseType.ChannelMessageWithSource || type === InteractionResponseType.UpdateMessage
        ? { resource: { type, ...(record.original ? { message: record.original } : {}) } }
        : { resource: { type } }),
    };
    return ok(result);
  });

  const webhookRecord = (ctx: Context) => {
    const record =
      ctx.params.app === state.applicationId ? state.interactionsByToken.get(ctx.params.token ?? '') : undefined;
    if (!record) throw unknown('Webhook');
    // Discord: an interaction's token works for 15 minutes, then its webhook answers 401 50027.
    if (state.expiredTokens.has(record.token)) {
      throw new DiscordHttpError(401, { message: 'Invalid Webhook Token', code: 50027 });
    }
    return record;
  };
  /**
   * One message can be several interactions' `original` (the reply to a command, then each button
   * press on it): a change to it shows in all of them, as it would on Discord.
   */
  const storeOriginal = (changed: APIMessage) => {
    for (const other of state.interactions.values()) {
      if (other.original?.id === changed.id) other.original = changed;
    }
  };
  const recordWebhook = (
    record: InteractionRecord,
    kind: RecordedWebhookMessage['kind'],
    messageId: string,
    body: Record<string, unknown>,
  ) => {
    const entry = { interactionId: record.id, token: record.token, kind, messageId, body, at: Date.now() };
    state.webhookMessages.push(entry);
    state.record('webhook', entry);
  };
  route('GET', '/webhooks/:app/:token/messages/@original', (ctx) => {
    const record = webhookRecord(ctx);
    if (!record.original) throw unknown('Message');
    return ok(record.original);
  });
  route('PATCH', '/webhooks/:app/:token/messages/@original', (ctx) => {
    const record = webhookRecord(ctx);
    if (!record.original) throw unknown('Message');
    const body = validateMessage(ctx.body, { requireBody: false });
    record.original = merge(record.original, body);
    storeOriginal(record.original);
    recordWebhook(record, 'edit-original', record.original.id, body);
    return ok(record.original);
  });
  route('DELETE', '/webhooks/:app/:token/messages/@original', (ctx) => {
    const record = webhookRecord(ctx);
    if (!record.original) throw unknown('Message');
    recordWebhook(record, 'delete-original', record.original.id, {});
    record.original = undefined;
    return noContent;
  });
  route('POST', '/webhooks/:app/:token', (ctx) => {
    const record = webhookRecord(ctx);
    if (!record.callback) throw unknown('Webhook');
    const body = validateMessage(ctx.body, { requireBody: true });
    const followup = message(record, body, typeof body.flags === 'number' ? body.flags : 0);
    record.followups.push(followup);
    recordWebhook(record, 'followup', followup.id, body);
    return ok(followup);
  });
  route('PATCH', '/webhooks/:app/:token/messages/:message', (ctx) => {
    const record = webhookRecord(ctx);
    const index = record.followups.findIndex((m) => m.id === ctx.params.message);
    if (index < 0) throw unknown('Message');
    const body = validateMessage(ctx.body, { requireBody: false });
    const edited = merge(record.followups[index]!, body);
    record.followups[index] = edited;
    recordWebhook(record, 'edit-followup', edited.id, body);
    return ok(edited);
  });

  // -- channels, invites, members ---------------------------------------------------------------------
  route('GET', '/channels/:channel', (ctx) => {
    requireBot(ctx);
    const channel = state.channel(ctx.params.channel ?? '');
    if (!channel) throw unknown('Channel');
    return ok(channel);
  });
  route('POST', '/channels/:channel/invites', (ctx) => {
    requireBot(ctx);
    const channel = state.channel(ctx.params.channel ?? '');
    if (!channel) throw unknown('Channel');
    const guild = requireGuild(channel.guild_id);
    if ((state.memberPermissions(guild, state.bot.id) & PermissionFlagsBits.CreateInstantInvite) === 0n) {
      throw missingPermissions();
    }
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    const errors = new FormErrors();
    const maxAge = body.max_age ?? 86_400;
    if (typeof maxAge !== 'number' || maxAge < 0 || maxAge > 604_800) {
      errors.add(['max_age'], 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 604800.');
    }
    const maxUses = body.max_uses ?? 0;
    if (typeof maxUses !== 'number' || maxUses < 0 || maxUses > 100) {
      errors.add(['max_uses'], 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 100.');
    }
    const targetType = body.target_type;
    if (
      targetType !== undefined &&
      targetType !== InviteTargetType.Stream &&
      targetType !== InviteTargetType.EmbeddedApplication
    ) {
      errors.add(['target_type'], 'BASE_TYPE_CHOICES', 'Value must be one of (1, 2).');
    }
    if (targetType === InviteTargetType.EmbeddedApplication) {
      if (typeof body.target_application_id !== 'string') {
        errors.add(['target_application_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
      } else if (body.target_application_id !== state.applicationId) {
        errors.add(
          ['target_application_id'],
          'INVALID_APPLICATION',
          'Unknown application or Activities are not enabled for it',
        );
      }
      if (channel.type !== ChannelType.GuildVoice) {
        errors.add(
          ['target_type'],
          'INVITE_TARGET_CHANNEL_INVALID',
          'Activities can only be launched from voice channels',
        );
      }
    }
    errors.throwIfAny();
    const now = Date.now();
    const invite: APIExtendedInvite = {
      type: InviteType.Guild,
      code: randomBytes(6).toString('base64url'),
      guild: {
        id: guild.id,
        name: guild.name,
        icon: null,
        splash: null,
        banner: null,
        description: null,
        features: [],
        verification_level: 1,
        vanity_url_code: null,
        nsfw_level: 0,
        premium_subscription_count: 0,
      },
      channel: { id: channel.id, name: channel.name, type: channel.type },
      inviter: state.bot,
      ...(targetType === InviteTargetType.EmbeddedApplication
        ? {
            target_type: InviteTargetType.EmbeddedApplication,
            target_application: { id: state.applicationId, name: state.bot.username, description: '', icon: null },
          }
        : {}),
      uses: 0,
      max_uses: maxUses as number,
      max_age: maxAge as number,
      temporary: body.temporary === true,
      created_at: new Date(now).toISOString(),
      expires_at: maxAge === 0 ? null : new Date(now + (maxAge as number) * 1000).toISOString(),
    };
    state.invites.push(invite);
    return ok(invite);
  });
  // The bot edits a message it sent (an interaction's response or followup) in its channel, which
  // works after the interaction's token has expired. Ephemeral messages are not in the channel.
  route('PATCH', '/channels/:channel/messages/:message', (ctx) => {
    requireBot(ctx);
    const channel = state.channel(ctx.params.channel ?? '');
    if (!channel) throw unknown('Channel');
    const guild = requireGuild(channel.guild_id);
    if ((state.memberPermissions(guild, state.bot.id) & PermissionFlagsBits.ViewChannel) === 0n) {
      throw new DiscordHttpError(403, { message: 'Missing Access', code: 50001 });
    }
    const id = ctx.params.message ?? '';
    let owner: InteractionRecord | undefined;
    let found: APIMessage | undefined;
    for (const record of state.interactions.values()) {
      const candidate = record.original?.id === id ? record.original : record.followups.find((m) => m.id === id);
      if (candidate) {
        owner = record;
        found = candidate;
        break;
      }
    }
    if (!owner || !found || found.channel_id !== channel.id || ((found.flags ?? 0) & MessageFlags.Ephemeral) !== 0) {
      throw unknown('Message');
    }
    if (found.author.id !== state.bot.id) {
      throw new DiscordHttpError(403, { message: 'Cannot edit a message authored by another user', code: 50005 });
    }
    const body = validateMessage(ctx.body, { requireBody: false });
    const edited = merge(found, body);
    storeOriginal(edited);
    for (const record of state.interactions.values()) {
      const index = record.followups.findIndex((m) => m.id === id);
      if (index >= 0) record.followups[index] = edited;
    }
    recordWebhook(owner, 'edit-channel-message', edited.id, body);
    return ok(edited);
  });
  route('GET', '/guilds/:guild', (ctx) => {
    requireBot(ctx);
    return ok(apiGuildOf(requireGuild(ctx.params.guild)));
  });
  route('GET', '/guilds/:guild/members/:user', (ctx) => {
    requireBot(ctx);
    const guild = requireGuild(ctx.params.guild);
    if (!guild.members.has(ctx.params.user ?? ''))
      throw new DiscordHttpError(404, { message: 'Unknown Member', code: 10007 });
    return ok(state.apiMember(guild, ctx.params.user!));
  });

  // -- activities -------------------------------------------------------------------------------------
  route('GET', '/applications/:app/activity-instances/:instance', (ctx) => {
    requireApp(ctx);
    const instance = state.activityInstances.get(ctx.params.instance ?? '');
    if (!instance) throw notFound();
    return ok(instance);
  });

  // -- OAuth2 -----------------------------------------------------------------------------------------
  route('POST', '/oauth2/token', (ctx) => {
    const form = ctx.body instanceof URLSearchParams ? ctx.body : undefined;
    if (!form) {
      return {
        status: 400,
        body: { error: 'invalid_request', error_description: 'Expected application/x-www-form-urlencoded' },
      };
    }
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic (.+)$/.exec(ctx.headers.authorization ?? '');
    if (basic) [clientId, clientSecret] = Buffer.from(basic[1]!, 'base64').toString().split(':') as [string, string];
    if (clientId !== state.applicationId || clientSecret !== state.clientSecret) {
      return { status: 401, body: { error: 'invalid_client' } };
    }
    const grant = form.get('grant_type');
    if (grant !== 'authorization_code') {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const code = state.oauthCodes.get(form.get('code') ?? '');
    if (!code)
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid "code" in request.' } };
    const redirect = form.get('redirect_uri') ?? undefined;
    if (code.redirectUri !== undefined && redirect !== code.redirectUri) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid "redirect_uri" in request.' } };
    }
    state.oauthCodes.delete(form.get('code')!);
    const accessToken = randomBytes(20).toString('base64url');
    state.accessTokens.set(accessToken, { userId: code.userId, scopes: code.scopes });
    const result: RESTPostOAuth2AccessTokenResult = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 604_800,
      refresh_token: randomBytes(20).toString('base64url'),
      scope: code.scopes.join(' '),
    };
    return ok(result);
  });
  route('GET', '/users/@me', (ctx) => {
    const auth = ctx.headers.authorization ?? '';
    if (auth === `Bot ${state.botToken}`) return ok(state.bot);
    const bearer = /^Bearer (.+)$/.exec(auth);
    const grant = bearer ? state.accessTokens.get(bearer[1]!) : undefined;
    if (!grant) throw unauthorized();
    if (!grant.scopes.includes('identify')) throw unauthorized();
    return ok(state.users.get(grant.userId));
  });

  /** Handles one request under `/api`; returns false when the path is not the API's. */
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (!url.pathname.startsWith('/api/')) return false;
    const method = req.method ?? 'GET';
    const versioned = /^\/api\/v(\d+)(\/.*)$/.exec(url.pathname);
    // Clients percent-encode path segments (discord.js sends `messages/%40original`).
    const path = (versioned?.[2] ?? url.pathname.slice('/api'.length))
      .split('/')
      .map((segment) => {
        try {
          return decodeURIComponent(segment);
        } catch {
          return segment;
        }
      })
      .join('/');
    let reply: Reply;
    let routeName = `${method} (unknown)`;
    let body: unknown;
    try {
      body = await readBody(req);
      if (versioned && versioned[1] !== '10')
        throw new DiscordHttpError(400, { message: 'This fake speaks API v10 only', code: 50041 });
      const match = routes.find((r) => r.method === method && r.pattern.test(path));
      if (!match) throw notFound();
      routeName = match.name;
      const values = match.pattern.exec(path)!.slice(1);
      const params = Object.fromEntries(match.keys.map((key, i) => [key, values[i]!]));
      const limited = state.rateLimits.get(routeName);
      if (limited && limited.times > 0) {
        limited.times -= 1;
        reply = rateLimited(routeName, limited.retryAfterS);
      } else {
        reply = await match.handler({ method, params, query: url.searchParams, headers: req.headers, body });
      }
    } catch (error) {
      if (error instanceof DiscordHttpError) reply = { status: error.status, body: error.body };
      else if (error instanceof SyntaxError)
        reply = { status: 400, body: { message: '400: Bad Request', code: 50109 } };
      else reply = { status: 500, body: { message: `fake Discord bug: ${String(error)}`, code: 0 } };
    }
    const record: RecordedRequest = {
      method,
      path,
      route: routeName,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: body instanceof URLSearchParams ? Object.fromEntries(body) : body,
      status: reply.status,
      at: Date.now(),
    };
    state.requests.push(record);
    state.counters.restRequests += 1;
    state.counters.byRoute[routeName] = (state.counters.byRoute[routeName] ?? 0) + 1;
    state.record('request', record);
    if (reply.body === undefined) {
      res.writeHead(reply.status, reply.headers).end();
    } else {
      const json = JSON.stringify(reply.body);
      res
        .writeHead(reply.status, {
          ...reply.headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(json),
        })
        .end(json);
    }
    return true;
  };
}

/**
 * A per-route (not global) rate limit as Discord answers it: 429 with `Retry-After` (whole seconds)
 * and the bucket headers, and the JSON body whose `retry_after` is in seconds.
 */
function rateLimited(routeName: string, retryAfterS: number): Reply {
  return {
    status: 429,
    headers: {
      'retry-after': String(Math.ceil(retryAfterS)),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Date.now() / 1000 + retryAfterS),
      'x-ratelimit-reset-after': String(retryAfterS),
      'x-ratelimit-bucket': Buffer.from(routeName).toString('hex').slice(0, 32),
      'x-ratelimit-scope': 'user',
    },
    body: { message: 'You are being rate limited.', retry_after: retryAfterS, global: false },
  };
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams(text);
  if (type.startsWith('application/json')) return JSON.parse(text);
  throw new DiscordHttpError(400, {
    message: `The fake accepts JSON and forms, not ${type || 'untyped bodies'}`,
    code: 50109,
  });
}
