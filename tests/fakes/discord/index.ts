/**
 * A fake Discord for tests, written to the real API (v10, JSON): REST under `/api/v10` and a gateway
 * the real discord.js client connects to. Point discord.js at it with `rest: { api: fake.apiUrl }`;
 * the gateway URL comes from `GET /gateway/bot`, as on Discord.
 *
 *   const fake = await startFakeDiscord();
 *   const client = new Client({ intents, rest: { api: fake.apiUrl } });
 *   await client.login(fake.botToken);
 *   await fake.dispatchVoiceState({ userId: fake.guild.users.alice, channelId: fake.guild.channels.movieNight });
 *   const reply = await fake.command('play', { query: 'big buck' }, { user: fake.guild.users.alice });
 *   (await reply.settled()).content;
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type APIActivityInstance,
  type APIApplicationCommand,
  type APIApplicationCommandOptionChoice,
  type APIInteraction,
  type APIMessage,
  type APIVoiceState,
  ApplicationCommandType,
  ApplicationIntegrationType,
  EntryPointCommandHandlerType,
  GatewayDispatchEvents,
  GatewayIntentBits,
  InteractionContextType,
  InteractionResponseType,
  MessageFlags,
  PermissionFlagsBits,
} from 'discord-api-types/v10';
import { FakeGateway } from './gateway.ts';
import {
  buttonInteraction,
  commandInteraction,
  guildOf,
  type InvokeOptions,
  type OptionValue,
} from './interactions.ts';
import { createRest } from './rest.ts';
import { snowflake } from './snowflake.ts';
import {
  FakeDiscordState,
  type InteractionRecord,
  makeUser,
  type RecordedCallback,
  type RecordedWebhookMessage,
  seedGuild,
} from './state.ts';

export { InvocationError, type OptionValue } from './interactions.ts';
export type { GuildFixture, RecordedCallback, RecordedRequest, RecordedWebhookMessage } from './state.ts';
export { LIMITS, validateCommands } from './validate.ts';

/** What the bot is allowed in the fixture guild unless a test says otherwise. */
export const DEFAULT_BOT_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.CreateInstantInvite |
  PermissionFlagsBits.Connect |
  PermissionFlagsBits.UseEmbeddedActivities;

export interface FakeDiscordOptions {
  applicationId?: string;
  botToken?: string;
  clientSecret?: string;
  guildName?: string;
  /** HELLO's heartbeat_interval (Discord: 41250). */
  heartbeatIntervalMs?: number;
  /** Privileged intents the application may ask for (GuildMembers, GuildPresences, MessageContent bits). */
  privilegedIntents?: number;
  botPermissions?: bigint;
  /**
   * Interaction callbacks later than this are refused with 10062 Unknown interaction (Discord: 3000).
   * Unset: no deadline, so a slow test machine never fails a test; `latencyMs` is recorded either way.
   */
  interactionDeadlineMs?: number;
  /** How long `command()`, `autocomplete()` and `press()` wait for the bot's callback. */
  responseTimeoutMs?: number;
  /**
   * Activities enabled in the Developer Portal (default true): Discord then creates the app's
   * Entry Point command ("launch"), which a global bulk overwrite must keep.
   */
  activitiesEnabled?: boolean;
}

export interface InvokeAs {
  /** The invoking user's id (default: alice). */
  user?: string;
  /** Where the command is typed (default: #general). */
  channelId?: string;
  guildId?: string;
  bypassPermissions?: boolean;
}

/** An interaction the fake dispatched, and what the bot answered. */
export class InteractionResult {
  constructor(
    private readonly fake: FakeDiscord,
    readonly record: InteractionRecord,
  ) {}

  get id(): string {
    return this.record.id;
  }
  get payload(): APIInteraction {
    return this.record.payload;
  }
  /** The bot's first answer (always present: the fake waited for it). */
  get callback(): RecordedCallback {
    if (!this.record.callback) throw new Error(`interaction ${this.id} has no callback yet`);
    return this.record.callback;
  }
  /** An autocomplete answer's choices. */
  get choices(): APIApplicationCommandOptionChoice[] {
    const choices = this.callback.data?.choices;
    if (!Array.isArray(choices)) throw new Error(`callback type ${this.callback.type} has no choices`);
    return choices as APIApplicationCommandOptionChoice[];
  }
  /** The response message as users see it now (undefined for autocomplete). */
  get message(): APIMessage | undefined {
    return this.record.original;
  }
  get followups(): APIMessage[] {
    return this.record.followups;
  }
  get edits(): RecordedWebhookMessage[] {
    return this.fake.webhookMessages.filter((w) => w.interactionId === this.id);
  }

  /**
   * The response once it is final: a deferred reply settles with its first edit. After
   * LAUNCH_ACTIVITY (no message of its own) the bot's first followup is its visible answer.
   */
  async settled(): Promise<APIMessage> {
    return this.fake.until(() => {
      if (this.record.callback?.type === InteractionResponseType.LaunchActivity) return this.record.followups[0];
      const original = this.record.original;
      return original && ((original.flags ?? 0) & MessageFlags.Loading) === 0 ? original : undefined;
    }, `a final response to interaction ${this.id}`);
  }

  /** Waits for the n-th (1-based) followup. */
  async followup(n = 1): Promise<APIMessage> {
    return this.fake.until(() => this.record.followups[n - 1], `followup #${n} to interaction ${this.id}`);
  }
}

/** Everything a message shows, as one string: content, embed titles, descriptions, fields, footers, button labels. */
export function messageText(message: Pick<APIMessage, 'content' | 'embeds' | 'components'> | undefined): string {
  if (!message) return '';
  const parts: string[] = [message.content];
  for (const embed of message.embeds ?? []) {
    parts.push(embed.author?.name ?? '', embed.title ?? '', embed.description ?? '', embed.footer?.text ?? '');
    for (const field of embed.fields ?? []) parts.push(field.name, field.value);
  }
  for (const row of message.components ?? []) {
    if ('components' in row) for (const c of row.components) if ('label' in c && c.label) parts.push(c.label);
  }
  return parts.filter(Boolean).join('\n');
}

export const isEphemeral = (message: APIMessage | undefined) => ((message?.flags ?? 0) & MessageFlags.Ephemeral) !== 0;

export type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>;

export async function startFakeDiscord(options: FakeDiscordOptions = {}) {
  const applicationId = options.applicationId ?? snowflake();
  const botToken =
    options.botToken ??
    `${Buffer.from(applicationId).toString('base64url')}.fake.${randomBytes(16).toString('base64url')}`;
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex');
  const bot = makeUser('plex-player', { id: applicationId, bot: true, global_name: null });
  const state = new FakeDiscordState(
    applicationId,
    botToken,
    clientSecret,
    bot,
    options.botPermissions ?? DEFAULT_BOT_PERMISSIONS,
  );
  const guild = seedGuild(state, options.guildName ?? 'Movie Club');
  if (options.activitiesEnabled ?? true) {
    state.globalCommands.push({
      id: snowflake(),
      application_id: applicationId,
      version: snowflake(),
      type: ApplicationCommandType.PrimaryEntryPoint,
      name: 'launch',
      description: '',
      default_member_permissions: null,
      handler: EntryPointCommandHandlerType.DiscordLaunchActivity,
      contexts: [InteractionContextType.Guild, InteractionContextType.BotDM, InteractionContextType.PrivateChannel],
      integration_types: [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall],
    });
  }
  const responseTimeoutMs = options.responseTimeoutMs ?? 10_000;

  const gateway = new FakeGateway(state, {
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    privilegedIntents: options.privilegedIntents ?? 0,
  });
  let base = '';
  const handle = createRest(state, {
    gatewayUrl: () => gateway.url,
    interactionDeadlineMs: options.interactionDeadlineMs ?? Number.POSITIVE_INFINITY,
  });
  const server = createServer((req, res) => {
    handle(req, res).then(
      (handled) => {
        if (!handled)
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"message": "404: Not Found", "code": 0}');
      },
      (error: unknown) => {
        res.writeHead(500).end(String(error));
      },
    );
  });
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  gateway.url = `ws://127.0.0.1:${port}/gateway`;

  /** Resolves when `check` returns a value, re-checking whenever the fake records something. */
  const until = <T>(check: () => T | undefined, what: string, timeoutMs = responseTimeoutMs): Promise<T> => {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const events = ['request', 'callback', 'webhook', 'identify'] as const;
      const onEvent = () => {
        const value = check();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`fake Discord: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        for (const event of events) state.events.off(event, onEvent);
      };
      for (const event of events) state.events.on(event, onEvent);
    });
  };

  const invokeOptions = (as: InvokeAs): InvokeOptions => ({
    user: as.user ?? guild.users.alice,
    guildId: as.guildId ?? guild.id,
    channelId: as.channelId ?? guild.channels.general,
    bypassPermissions: as.bypassPermissions ?? false,
  });

  const fake = {
    apiUrl: `${base}/api`,
    /** The HTTP origin (REST lives under /api/v10). */
    url: base,
    gatewayUrl: gateway.url,
    applicationId,
    botToken,
    clientSecret,
    bot,
    /** The fixture guild: ids of its channels, roles and users. */
    guild,
    state,
    gateway,
    counters: state.counters,
    requests: state.requests,
    callbacks: state.callbacks,
    webhookMessages: state.webhookMessages,
    invites: state.invites,
    users: state.users,

    /** Registered commands: global, or one guild's. */
    commands(guildId?: string): APIApplicationCommand[] {
      return guildId === undefined ? state.globalCommands : (state.guildCommands.get(guildId) ?? []);
    },

    until,

    /**
     * The next `times` requests to a route (named as in `counters.byRoute`, e.g. `GET /users/@me`)
     * answer 429 asking to retry after `retryAfterS` seconds, as Discord's per-route limits do.
     */
    rateLimit(routeName: string, times: number, retryAfterS = 1) {
      state.rateLimits.set(routeName, { times, retryAfterS });
    },

    /** Resolves once a client has identified (READY and GUILD_CREATE are on their way). */
    async identified(): Promise<{ intents: number }> {
      return until(() => gateway.identifiedSessions[0], 'a client to IDENTIFY');
    },

    /**
     * Moves a user into a voice channel (`channelId`) or out of voice (`null`), and dispatches
     * VOICE_STATE_UPDATE to clients that asked for the GuildVoiceStates intent. Before any client
     * connects, this seeds the voice states GUILD_CREATE will carry. Resolves to the number of
     * sessions the event was sent to.
     */
    async dispatchVoiceState(change: {
      userId: string;
      channelId: string | null;
      guildId?: string;
      selfMute?: boolean;
    }): Promise<number> {
      const target = guildOf(state, change.guildId ?? guild.id);
      if (change.channelId !== null && !target.channels.some((c) => c.id === change.channelId)) {
        throw new Error(`channel ${change.channelId} is not in ${target.name}`);
      }
      const previous = target.voiceStates.get(change.userId);
      const voiceState: APIVoiceState = {
        guild_id: target.id,
        channel_id: change.channelId,
        user_id: change.userId,
        member: state.apiMember(target, change.userId),
        session_id: previous?.session_id ?? randomBytes(16).toString('hex'),
        deaf: false,
        mute: false,
        self_deaf: false,
        self_mute: change.selfMute ?? false,
        self_video: false,
        suppress: false,
        request_to_speak_timestamp: null,
      };
      if (change.channelId === null) target.voiceStates.delete(change.userId);
      else target.voiceStates.set(change.userId, voiceState);
      return gateway.dispatch(GatewayDispatchEvents.VoiceStateUpdate, voiceState, GatewayIntentBits.GuildVoiceStates);
    },

    /** Dispatches any interaction payload and waits for the bot's callback. */
    async interact(payload: APIInteraction): Promise<InteractionResult> {
      if (gateway.identifiedSessions.length === 0) throw new Error('fake Discord: no bot is connected to the gateway');
      const record: InteractionRecord = {
        id: payload.id,
        token: payload.token,
        payload,
        dispatchedAt: Date.now(),
        callback: undefined,
        original: payload.message,
        followups: [],
      };
      state.interactions.set(record.id, record);
      state.interactionsByToken.set(record.token, record);
      await gateway.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
      await until(() => record.callback, `the bot to answer interaction ${record.id} (${describe(payload)})`);
      return new InteractionResult(fake as FakeDiscord, record);
    },

    /** Runs a slash command (`"play"`, `"plex link"`) with typed options; resolves once the bot answered. */
    async command(
      path: string,
      values: Record<string, OptionValue> = {},
      as: InvokeAs = {},
    ): Promise<InteractionResult> {
      return fake.interact(commandInteraction(state, path, values, invokeOptions(as)));
    },

    /** Autocomplete while the user types `values[focused]`; resolves with the bot's choices. */
    async autocomplete(
      path: string,
      values: Record<string, OptionValue>,
      focused: string,
      as: InvokeAs = {},
    ): Promise<InteractionResult> {
      return fake.interact(commandInteraction(state, path, values, invokeOptions(as), focused));
    },

    /** Presses the button `customId` on `message` (e.g. `result.message` of an earlier reply). */
    async press(customId: string, as: InvokeAs & { message?: APIMessage } = {}): Promise<InteractionResult> {
      return fake.interact(buttonInteraction(state, customId, invokeOptions(as), as.message));
    },

    /** What the activity's SDK `authorize` would return: a one-time code for `POST /oauth2/token`. */
    authorize(
      userId: string,
      { scopes = ['identify', 'guilds'], redirectUri }: { scopes?: string[]; redirectUri?: string } = {},
    ): string {
      if (!state.users.has(userId)) throw new Error(`unknown user ${userId}`);
      const code = randomBytes(15).toString('base64url');
      state.oauthCodes.set(code, { userId, scopes, redirectUri });
      return code;
    },

    /** An activity instance in a voice channel, with these users in it. */
    createActivityInstance({
      channelId,
      users,
      guildId,
    }: {
      channelId: string;
      users: string[];
      guildId?: string;
    }): APIActivityInstance {
      return state.newActivityInstance(guildId ?? guild.id, channelId, users);
    },

    /** Adds a user to the guild (with optional roles). */
    addMember(username: string, roles: string[] = []): string {
      const user = makeUser(username);
      state.users.set(user.id, user);
      guildOf(state, guild.id).members.set(user.id, {
        userId: user.id,
        roles,
        nick: null,
        joinedAt: new Date().toISOString(),
      });
      return user.id;
    },

    /** Gives a member of the guild a role (as an admin would in the server settings). */
    grantRole(userId: string, roleId: string): void {
      const member = guildOf(state, guild.id).members.get(userId);
      if (!member) throw new Error(`${userId} is not a member of the guild`);
      if (!member.roles.includes(roleId)) member.roles.push(roleId);
    },

    /** Every change to message `messageId` after it was sent: webhook edits and channel edits, in order. */
    messageEdits(messageId: string): RecordedWebhookMessage[] {
      return state.webhookMessages.filter(
        (w) => w.messageId === messageId && (w.kind === 'edit-original' || w.kind === 'edit-channel-message'),
      );
    },

    /** Message `messageId` as users see it now (an interaction's response or followup). */
    message(messageId: string): APIMessage | undefined {
      for (const record of state.interactions.values()) {
        if (record.original?.id === messageId) return record.original;
        const followup = record.followups.find((m) => m.id === messageId);
        if (followup) return followup;
      }
      return undefined;
    },

    /**
     * Ages interaction `interactionId` past Discord's 15 minutes: its webhook (editing `@original`,
     * followups) answers 401 Invalid Webhook Token (50027) from now on.
     */
    expireInteractionToken(interactionId: string): void {
      const record = state.interactions.get(interactionId);
      if (!record) throw new Error(`unknown interaction ${interactionId}`);
      state.expiredTokens.add(record.token);
    },

    /** Tells connected clients to reconnect (op 7); they resume and get what they missed. */
    async requestReconnect(): Promise<void> {
      await gateway.requestReconnect();
    },

    async close(): Promise<void> {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

function describe(payload: APIInteraction): string {
  const data = payload.data as { name?: string; custom_id?: string } | undefined;
  return data?.name ? `/${data.name}` : data?.custom_id ? `button ${data.custom_id}` : `type ${payload.type}`;
}
