/**
 * The gateway, JSON encoding, version 10: HELLO, heartbeats and their ACKs, IDENTIFY → READY (every
 * guild unavailable) followed by one GUILD_CREATE per guild, RESUME with replay of what was missed,
 * RECONNECT, and dispatches gated by intents the way Discord gates them.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type APIGuild,
  type ApplicationFlags,
  GatewayCloseCodes,
  GatewayDispatchEvents,
  type GatewayDispatchPayload,
  type GatewayGuildCreateDispatchData,
  GatewayIntentBits,
  GatewayOpcodes,
  type GatewayReadyDispatchData,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  Locale,
} from 'discord-api-types/v10';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FakeDiscordState, FakeGuild } from './state.ts';

const PRIVILEGED = GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;

export interface GatewaySession {
  id: string;
  intents: number;
  seq: number;
  /** Dispatches kept for RESUME. */
  backlog: { s: number; t: string; d: unknown }[];
  socket: WebSocket | undefined;
  /** The last presence the bot set (op 3). */
  presence: unknown;
}

export interface GatewayOptions {
  heartbeatIntervalMs: number;
  /** Privileged intents the application is allowed (Developer Portal toggles). */
  privilegedIntents: number;
}

export class FakeGateway {
  readonly sessions = new Map<string, GatewaySession>();
  readonly sockets = new Set<WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 * 1024 });
  url = '';

  constructor(
    private readonly state: FakeDiscordState,
    private readonly options: GatewayOptions,
  ) {}

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (url.pathname !== '/gateway') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws, url.searchParams));
  }

  private accept(ws: WebSocket, query: URLSearchParams): void {
    this.state.counters.gatewayConnections += 1;
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      for (const session of this.sessions.values()) if (session.socket === ws) session.socket = undefined;
    });
    if (query.get('v') !== '10') {
      ws.close(GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version');
      return;
    }
    if (query.get('encoding') !== 'json' || query.has('compress')) {
      ws.close(GatewayCloseCodes.DecodeError, 'The fake gateway speaks JSON without transport compression');
      return;
    }
    let session: GatewaySession | undefined;
    this.send(ws, {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: this.options.heartbeatIntervalMs },
      s: null,
      t: null,
    });

    ws.on('message', (raw, isBinary) => {
      let payload: { op?: unknown; d?: unknown };
      try {
        payload = JSON.parse(isBinary ? Buffer.from(raw as Buffer).toString() : String(raw));
      } catch {
        ws.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          this.state.counters.heartbeats += 1;
          this.send(ws, { op: GatewayOpcodes.HeartbeatAck });
          return;
        case GatewayOpcodes.Identify: {
          if (session) {
            ws.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
            return;
          }
          session = this.identify(ws, payload.d);
          return;
        }
        case GatewayOpcodes.Resume: {
          if (session) {
            ws.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
            return;
          }
          session = this.resume(ws, payload.d);
          return;
        }
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.VoiceStateUpdate:
        case GatewayOpcodes.RequestGuildMembers:
          if (!session) {
            ws.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
            return;
          }
          if (payload.op === GatewayOpcodes.PresenceUpdate) {
            this.state.counters.presenceUpdates += 1;
            session.presence = payload.d;
          }
          return;
        default:
          ws.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
      }
    });
  }

  private identify(ws: WebSocket, data: unknown): GatewaySession | undefined {
    const d = (data ?? {}) as { token?: unknown; intents?: unknown; shard?: unknown; properties?: unknown };
    this.state.counters.identifies += 1;
    if (d.token !== this.state.botToken) {
      ws.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return undefined;
    }
    if (typeof d.intents !== 'number') {
      ws.close(GatewayCloseCodes.DecodeError, 'intents is required');
      return undefined;
    }
    if ((d.intents & PRIVILEGED & ~this.options.privilegedIntents) !== 0) {
      ws.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
      return undefined;
    }
    if (d.shard !== undefined && (!Array.isArray(d.shard) || d.shard[0] !== 0 || d.shard[1] !== 1)) {
      ws.close(GatewayCloseCodes.InvalidShard, 'Invalid shard.');
      return undefined;
    }
    this.state.record('identify', { intents: d.intents });
    const session: GatewaySession = {
      id: randomBytes(16).toString('hex'),
      intents: d.intents,
      seq: 0,
      backlog: [],
      socket: ws,
      presence: undefined,
    };
    this.sessions.set(session.id, session);
    const ready: GatewayReadyDispatchData = {
      v: 10,
      user: this.state.bot,
      guilds: [...this.state.guilds.keys()].map((id) => ({ id, unavailable: true })),
      session_id: session.id,
      resume_gateway_url: this.url,
      shard: [0, 1],
      application: { id: this.state.applicationId, flags: 0 as ApplicationFlags, flags_new: '0' },
    };
    this.emit(session, GatewayDispatchEvents.Ready, ready);
    if (session.intents & GatewayIntentBits.Guilds) {
      for (const guild of this.state.guilds.values()) {
        this.emit(session, GatewayDispatchEvents.GuildCreate, this.guildCreate(guild, session.intents));
      }
    }
    return session;
  }

  private resume(ws: WebSocket, data: unknown): GatewaySession | undefined {
    const d = (data ?? {}) as { token?: unknown; session_id?: unknown; seq?: unknown };
    this.state.counters.resumes += 1;
    if (d.token !== this.state.botToken) {
      ws.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return undefined;
    }
    const session = typeof d.session_id === 'string' ? this.sessions.get(d.session_id) : undefined;
    if (!session) {
      this.send(ws, { op: GatewayOpcodes.InvalidSession, d: false });
      return undefined;
    }
    session.socket = ws;
    const seq = typeof d.seq === 'number' ? d.seq : 0;
    for (const missed of session.backlog) {
      if (missed.s > seq) this.send(ws, { op: GatewayOpcodes.Dispatch, ...missed });
    }
    this.emit(session, GatewayDispatchEvents.Resumed, {});
    return session;
  }

  private guildCreate(guild: FakeGuild, intents: number): GatewayGuildCreateDispatchData {
    const withVoice = (intents & GatewayIntentBits.GuildVoiceStates) !== 0;
    const voiceStates = withVoice ? [...guild.voiceStates.values()].map(({ member: _member, ...state }) => state) : [];
    const memberIds = new Set([this.state.bot.id, ...voiceStates.map((v) => v.user_id)]);
    const apiGuild = apiGuildOf(guild);
    return {
      ...apiGuild,
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: guild.members.size,
      voice_states: voiceStates,
      members: [...memberIds].map((id) => this.state.apiMember(guild, id)),
      channels: guild.channels.map(
        ({ guild_id: _guildId, ...channel }) => channel,
      ) as GatewayGuildCreateDispatchData['channels'],
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  /**
   * Sends a dispatch to every identified session (kept for RESUME while a session is disconnected).
   * `intent`: only sessions that asked for it get the event, as on Discord.
   * Resolves once the frames are written.
   */
  async dispatch(t: GatewayDispatchPayload['t'], d: unknown, intent?: GatewayIntentBits): Promise<number> {
    const sent: Promise<void>[] = [];
    for (const session of this.sessions.values()) {
      if (intent !== undefined && (session.intents & intent) === 0) continue;
      sent.push(this.emit(session, t, d));
    }
    await Promise.all(sent);
    return sent.length;
  }

  private emit(session: GatewaySession, t: string, d: unknown): Promise<void> {
    session.seq += 1;
    const frame = { s: session.seq, t, d };
    session.backlog.push(frame);
    if (session.backlog.length > 1000) session.backlog.shift();
    this.state.counters.dispatches += 1;
    return session.socket ? this.send(session.socket, { op: GatewayOpcodes.Dispatch, ...frame }) : Promise.resolve();
  }

  private send(ws: WebSocket, payload: unknown): Promise<void> {
    return new Promise((resolve) => {
      if (ws.readyState !== ws.OPEN) {
        resolve();
        return;
      }
      ws.send(JSON.stringify(payload), () => resolve());
    });
  }

  /** Asks every connected client to reconnect (op 7); discord.js then resumes at resume_gateway_url. */
  async requestReconnect(): Promise<void> {
    await Promise.all([...this.sockets].map((ws) => this.send(ws, { op: GatewayOpcodes.Reconnect, d: null })));
  }

  get identifiedSessions(): GatewaySession[] {
    return [...this.sessions.values()].filter((s) => s.socket !== undefined);
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** A guild as Discord's REST and gateway describe it (`GET /guilds/{id}`, GUILD_CREATE). */
export function apiGuildOf(guild: FakeGuild): APIGuild {
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: GuildVerificationLevel.Low,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
    explicit_content_filter: GuildExplicitContentFilter.Disabled,
    roles: guild.roles,
    emojis: [],
    features: [],
    mfa_level: GuildMFALevel.None,
    application_id: null,
    system_channel_id: guild.channels[0]?.id ?? null,
    system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotifications,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: GuildPremiumTier.None,
    preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null,
    nsfw_level: GuildNSFWLevel.Default,
    stickers: [],
    premium_progress_bar_enabled: false,
    hub_type: null,
    safety_alerts_channel_id: null,
    incidents_data: null,
  };
}
