/**
 * What the fake Discord knows: users, one guild with roles, channels, members and voice states,
 * registered commands, interactions with their responses, invites, OAuth codes and activity
 * instances. REST and the gateway both read and write it; tests read it.
 */
import { EventEmitter } from 'node:events';
import {
  ActivityLocationKind,
  type APIActivityInstance,
  type APIApplicationCommand,
  type APIChannel,
  type APIExtendedInvite,
  type APIGuildMember,
  type APIInteraction,
  type APIInteractionGuildMember,
  type APIMessage,
  type APIRole,
  type APIUser,
  type APIVoiceState,
  ChannelType,
  type GuildMemberFlags,
  PermissionFlagsBits,
  type RoleFlags,
} from 'discord-api-types/v10';
import { snowflake } from './snowflake.ts';

export type GuildChannel = APIChannel & {
  guild_id: string;
  name: string;
  type: ChannelType.GuildText | ChannelType.GuildVoice;
};

export interface FakeMember {
  userId: string;
  roles: string[];
  nick: string | null;
  joinedAt: string;
}

export interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  roles: APIRole[];
  channels: GuildChannel[];
  members: Map<string, FakeMember>;
  voiceStates: Map<string, APIVoiceState>;
}

/** One response the bot gave through `POST /interactions/{id}/{token}/callback`. */
export interface RecordedCallback {
  interactionId: string;
  token: string;
  /** InteractionResponseType: 4 reply, 5 deferred reply, 6 deferred update, 7 update, 8 autocomplete, 12 launch activity. */
  type: number;
  data: Record<string, unknown> | undefined;
  /** ms between the interaction's dispatch and this callback (Discord allows 3000). */
  latencyMs: number;
  at: number;
}

/** An edit of the original response or a followup, through `/webhooks/{app}/{token}`. */
/**
 * A message sent or changed after an interaction's first answer: through the interaction's webhook,
 * or (`edit-channel-message`) by the bot editing the message in its channel (`interactionId` and
 * `token` then name the interaction whose message it is).
 */
export interface RecordedWebhookMessage {
  interactionId: string;
  token: string;
  kind: 'edit-original' | 'followup' | 'edit-followup' | 'delete-original' | 'edit-channel-message';
  messageId: string;
  body: Record<string, unknown>;
  at: number;
}

export interface InteractionRecord {
  id: string;
  token: string;
  payload: APIInteraction;
  dispatchedAt: number;
  callback: RecordedCallback | undefined;
  /** The message the interaction's response created (or, for a component, the message it updates). */
  original: APIMessage | undefined;
  followups: APIMessage[];
}

export interface RecordedRequest {
  method: string;
  /** Path under /api/v10, e.g. `/applications/1/commands`. */
  path: string;
  /** Route name, e.g. `PUT /applications/:app/commands`. */
  route: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  status: number;
  at: number;
}

export interface Counters {
  restRequests: number;
  byRoute: Record<string, number>;
  gatewayConnections: number;
  identifies: number;
  resumes: number;
  heartbeats: number;
  dispatches: number;
  presenceUpdates: number;
}

/** What everyone gets in the fixture guild: see, talk, join voice, use commands and activities. */
export const EVERYONE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.Connect |
  PermissionFlagsBits.Speak |
  PermissionFlagsBits.Stream |
  PermissionFlagsBits.UseApplicationCommands |
  PermissionFlagsBits.UseEmbeddedActivities |
  PermissionFlagsBits.CreateInstantInvite;

const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((all, bit) => all | bit, 0n);

export function makeUser(username: string, extra: Partial<APIUser> = {}): APIUser {
  return {
    id: snowflake(),
    username,
    discriminator: '0',
    global_name: username[0]!.toUpperCase() + username.slice(1),
    avatar: null,
    ...extra,
  };
}

export function makeRole(name: string, permissions: bigint, position: number, id = snowflake()): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    position,
    permissions: String(permissions),
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

export function makeChannel(guildId: string, name: string, type: GuildChannel['type'], position: number): GuildChannel {
  const base = {
    id: snowflake(),
    guild_id: guildId,
    name,
    position,
    permission_overwrites: [],
    parent_id: null,
    nsfw: false,
  };
  if (type === ChannelType.GuildVoice) {
    return {
      ...base,
      type,
      bitrate: 64_000,
      user_limit: 0,
      rtc_region: null,
      last_message_id: null,
      rate_limit_per_user: 0,
    } as GuildChannel;
  }
  return { ...base, type, topic: null, last_message_id: null, rate_limit_per_user: 0 } as GuildChannel;
}

export class FakeDiscordState {
  readonly events = new EventEmitter();
  readonly users = new Map<string, APIUser>();
  readonly guilds = new Map<string, FakeGuild>();
  readonly globalCommands: APIApplicationCommand[] = [];
  readonly guildCommands = new Map<string, APIApplicationCommand[]>();
  readonly interactions = new Map<string, InteractionRecord>();
  readonly interactionsByToken = new Map<string, InteractionRecord>();
  readonly callbacks: RecordedCallback[] = [];
  readonly webhookMessages: RecordedWebhookMessage[] = [];
  /** Interaction tokens past their 15 minutes (see `expireInteractionToken`). */
  readonly expiredTokens = new Set<string>();
  readonly invites: APIExtendedInvite[] = [];
  readonly requests: RecordedRequest[] = [];
  /** Routes told to answer 429 (`fake.rateLimit`): how many more times, and the wait they ask for. */
  readonly rateLimits = new Map<string, { times: number; retryAfterS: number }>();
  readonly activityInstances = new Map<string, APIActivityInstance>();
  /**
   * Whether the application has Activities enabled (ApplicationFlags.Embedded): without it, Discord
   * refuses the LAUNCH_ACTIVITY interaction callback.
   */
  activitiesEnabled = true;
  /** OAuth2: authorization code → user and scopes; access token → user. */
  readonly oauthCodes = new Map<string, { userId: string; scopes: string[]; redirectUri: string | undefined }>();
  readonly accessTokens = new Map<string, { userId: string; scopes: string[] }>();
  readonly counters: Counters = {
    restRequests: 0,
    byRoute: {},
    gatewayConnections: 0,
    identifies: 0,
    resumes: 0,
    heartbeats: 0,
    dispatches: 0,
    presenceUpdates: 0,
  };
  /** Permissions the bot's own role has in the guild (tests can take some away). */
  botPermissions: bigint;

  constructor(
    readonly applicationId: string,
    readonly botToken: string,
    readonly clientSecret: string,
    readonly bot: APIUser,
    botPermissions: bigint,
  ) {
    this.botPermissions = botPermissions;
    this.users.set(bot.id, bot);
  }

  guild(id: string): FakeGuild | undefined {
    return this.guilds.get(id);
  }

  channel(id: string): GuildChannel | undefined {
    for (const guild of this.guilds.values()) {
      const found = guild.channels.find((c) => c.id === id);
      if (found) return found;
    }
    return undefined;
  }

  /** Computed guild-level permissions of a member (owner and Administrator get everything). */
  memberPermissions(guild: FakeGuild, userId: string): bigint {
    if (userId === guild.ownerId) return ALL_PERMISSIONS;
    if (userId === this.bot.id) return this.botPermissions;
    const member = guild.members.get(userId);
    let bits = BigInt(guild.roles.find((r) => r.id === guild.id)?.permissions ?? '0');
    for (const roleId of member?.roles ?? []) {
      bits |= BigInt(guild.roles.find((r) => r.id === roleId)?.permissions ?? '0');
    }
    return (bits & PermissionFlagsBits.Administrator) !== 0n ? ALL_PERMISSIONS : bits;
  }

  apiMember(guild: FakeGuild, userId: string): APIGuildMember {
    const member = guild.members.get(userId);
    const user = this.users.get(userId);
    if (!member || !user) throw new Error(`fake Discord: ${userId} is not a member of ${guild.name}`);
    return {
      user,
      nick: member.nick,
      avatar: null,
      roles: member.roles,
      joined_at: member.joinedAt,
      deaf: false,
      mute: false,
      flags: 0 as GuildMemberFlags,
      pending: false,
      premium_since: null,
      communication_disabled_until: null,
    };
  }

  interactionMember(guild: FakeGuild, userId: string): APIInteractionGuildMember {
    const member = this.apiMember(guild, userId);
    return { ...member, user: member.user, permissions: String(this.memberPermissions(guild, userId)) };
  }

  record<K extends keyof FakeDiscordEvents>(event: K, value: FakeDiscordEvents[K]): void {
    this.events.emit(event, value);
  }

  newActivityInstance(guildId: string, channelId: string, users: string[]): APIActivityInstance {
    const instance: APIActivityInstance = {
      application_id: this.applicationId,
      instance_id: `i-${snowflake()}-gc-${guildId}-${channelId}`,
      launch_id: snowflake(),
      location: {
        id: `gc-${guildId}-${channelId}`,
        kind: ActivityLocationKind.GuildChannel,
        channel_id: channelId,
        guild_id: guildId,
      },
      users,
    };
    this.activityInstances.set(instance.instance_id, instance);
    return instance;
  }
}

export interface FakeDiscordEvents {
  request: RecordedRequest;
  callback: RecordedCallback;
  webhook: RecordedWebhookMessage;
  identify: { intents: number };
}

/** The fixture guild: a text channel, two voice channels, an owner, a DJ, and two members. */
export function seedGuild(state: FakeDiscordState, name: string) {
  const guildId = snowflake();
  const owner = makeUser('olivia');
  const alice = makeUser('alice');
  const bob = makeUser('bob');
  const dana = makeUser('dana');
  for (const user of [owner, alice, bob, dana]) state.users.set(user.id, user);

  const everyone = makeRole('@everyone', EVERYONE_PERMISSIONS, 0, guildId);
  const dj = makeRole('DJ', 0n, 1);
  const admin = makeRole('Admin', PermissionFlagsBits.ManageGuild, 2);
  const botRole = {
    ...makeRole('Plex Player', state.botPermissions, 3),
    managed: true,
    tags: { bot_id: state.bot.id },
  };

  const general = makeChannel(guildId, 'general', ChannelType.GuildText, 0);
  const movieNight = makeChannel(guildId, 'Movie Night', ChannelType.GuildVoice, 1);
  const lounge = makeChannel(guildId, 'Lounge', ChannelType.GuildVoice, 2);

  const joinedAt = new Date().toISOString();
  const members = new Map<string, FakeMember>([
    [owner.id, { userId: owner.id, roles: [], nick: null, joinedAt }],
    [alice.id, { userId: alice.id, roles: [], nick: null, joinedAt }],
    [bob.id, { userId: bob.id, roles: [], nick: null, joinedAt }],
    [dana.id, { userId: dana.id, roles: [dj.id], nick: 'Dana the DJ', joinedAt }],
    [state.bot.id, { userId: state.bot.id, roles: [botRole.id], nick: null, joinedAt }],
  ]);
  const guild: FakeGuild = {
    id: guildId,
    name,
    ownerId: owner.id,
    roles: [everyone, dj, admin, botRole],
    channels: [general, movieNight, lounge],
    members,
    voiceStates: new Map(),
  };
  state.guilds.set(guildId, guild);
  return {
    id: guildId,
    name,
    channels: { general: general.id, movieNight: movieNight.id, lounge: lounge.id },
    roles: { everyone: everyone.id, dj: dj.id, admin: admin.id },
    users: { owner: owner.id, alice: alice.id, bob: bob.id, dana: dana.id },
  };
}
export type GuildFixture = ReturnType<typeof seedGuild>;
