import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type Cause,
  type CommandIntent,
  ERROR_REASONS,
  type ErrorCode,
  every,
  type Hello,
  PROTOCOL_VERSION,
  type Report,
  type RoomSettings,
  type RoomSnapshot,
  type StateMessage,
  type Welcome,
} from '@dpp/shared';
import type { EventBus } from '../infra/event-bus.ts';
import { RoomConflictError, type RoomStore, updateRoom } from '../infra/room-store.ts';
import { AwayTimers } from './away-timers.ts';
import {
  type Envelope,
  EVENTS_CHANNEL,
  envelopeSchema,
  type RoomEventMessage,
  roomChannel,
  roomEventSchema,
} from './bus-messages.ts';
import { type ConnectionHost, type ConnectionLimits, DEFAULT_LIMITS, RoomConnection } from './connection.ts';
import { InstanceLease, type LeaseTiming } from './instance-lease.ts';
import {
  type Clock,
  type HelloVouch,
  type InstanceLeases,
  type ItemLookup,
  type NextEpisodeLookup,
  noAudit,
  noLibrary,
  noNextEpisode,
  noObserver,
  noPrivileges,
  noWatchLog,
  type PrivilegeCheck,
  type ProgressObserver,
  type RoomArchive,
  type RoomAudit,
  type RoomLogger,
  type RoomObserver,
  type RoomSocket,
  type RoomUser,
  systemClock,
  type WatchLog,
} from './ports.ts';
import { type HubHost, type HubMember, RoomHub, type TimerKind } from './room-hub.ts';
import {
  type Actor,
  addConnection,
  applyCommandOnce,
  applyReport,
  type Context,
  canControl,
  DEFAULT_TUNING,
  dropConnection,
  type ItemInfo,
  itemEnded,
  type Outcome,
  type RoomTuning,
  setRtt,
  settle,
  sweepAway,
  VOICE_CONNECTION,
  voiceJoined,
  voiceLeft,
  waitTimedOut,
} from './room-logic.ts';
import { diffSnapshots, newRoom, type RoomRecord, restoreRoom, toSnapshot } from './room-record.ts';
import { isRemoteIntent, removedUsers } from './room-remote.ts';
import { TokenBucket } from './token-bucket.ts';
import { creditsReached, type NextEpisode, upNextDue } from './up-next.ts';

export type RoomEvents = {
  /** The current item changed (a new item, or nothing: itemId null). Emitted once on every instance. */
  item: [roomId: string, itemId: string | null];
  /** The last member left and the room was closed. Emitted once on every instance. */
  empty: [roomId: string];
  /** A new room (by a join, a command or the bot). Emitted once on every instance. */
  created: [roomId: string];
};

/** How a command runs, beyond who sends what (see `RoomEngine.command`). */
export interface CommandOptions {
  /** When its input was accepted (performance clock, ms), for the broadcast latency histogram. */
  acceptedAt?: number;
  /** The client's id for it: a command sent again under its id is acknowledged, never applied twice. */
  commandId?: string;
  /**
   * Host powers the caller vouches for, in place of the engine's privilege check (the bot API knows
   * the acting user's roles and permissions from its request). Asked only when the rules need it.
   */
  privileged?: () => Promise<boolean>;
  /**
   * Whether the command may open the room when it does not exist (default: yes), and how:
   * `voice` also counts the actor present in its voice channel (the bot acts for someone in it).
   * A room that does not exist and may not be opened answers `not_joined`.
   */
  opens?: boolean | 'voice';
}

/** Ending a room: whether there was one to end, or why the actor may not. */
export type EndResult = { ok: true; ended: boolean } | { ok: false; code: 'not_allowed'; message: string };

/** What a room starts with when it is first opened (the guild's default control mode). */
export type RoomDefaults = (roomId: string) => Promise<{ control?: RoomSettings['control'] }>;

/** On success, `snapshot` is the room exactly as this command left it (later writes not included). */
export type CommandResult =
  | { ok: true; snapshot: RoomSnapshot | undefined }
  | { ok: false; code: ErrorCode; message: string };

/** What `play` did: started the item (from where the guild left it, when it did) or queued it. */
export type PlayResult =
  | {
      ok: true;
      snapshot: RoomSnapshot;
      outcome: 'started' | 'queued';
      entryId: string;
      resumedFromMs: number | undefined;
    }
  | { ok: false; code: ErrorCode; message: string };

/** A follower of one room from outside it (the bot's event feed): see `RoomEngine.follow`. */
export interface RoomFollower {
  /** A broadcast of the room: the state frame every member got, in publish order. */
  state(frame: StateMessage, epoch: string): void;
  /** The bus may have dropped broadcasts (it reconnected): re-read the snapshot. */
  resync(): void;
}

export interface RoomEngineOptions {
  store: RoomStore<unknown>;
  bus: EventBus;
  /** Verifies a session token from `hello`. */
  authenticate: (token: string) => RoomUser | undefined;
  /** Whether the user may join this room (Discord mode checks the activity instance here). */
  authorizeJoin?: (user: RoomUser, roomId: string, instanceId: string | undefined) => Promise<boolean>;
  lookup?: ItemLookup;
  /** The episode after an item (across seasons), for "Up next"; without it nothing is offered. */
  nextEpisode?: NextEpisodeLookup;
  /** Where each item was left, per guild and per user (see PlayProgressRecorder). */
  progress?: ProgressObserver;
  privileges?: PrivilegeCheck;
  /**
   * What a new room starts with, whoever opens it (a member's join, a command, the bot): the guild's
   * default control mode. A lookup that fails starts the room with the defaults (everyone controls).
   */
  roomDefaults?: RoomDefaults;
  /**
   * Instance leases (several instances on one Redis room store): connections of an instance that
   * died without a clean shutdown are taken out of its rooms by the others. Without it, nothing is
   * swept (one instance: its connections die with it, and so does the in-process store).
   */
  leases?: InstanceLeases;
  leasing?: Partial<LeaseTiming>;
  watchLog?: WatchLog;
  /**
   * Where the room's guild left an item (play_progress), for `play`: an item started afresh goes on
   * from there. Without it, or when it cannot answer, items start from the top.
   */
  resumePoint?: (roomId: string, itemId: string) => Promise<{ positionMs: number } | undefined>;
  /** Remote and settings changes, with who made them (the database's audit_log). */
  audit?: RoomAudit;
  /**
   * The durable copy of every room (the database): written behind the store, and read when the store
   * has no record of a room it is asked to create (a restart, a Redis that lost its data).
   */
  archive?: RoomArchive;
  /** How often the rooms held here are vouched for in the archive (a playing room's restart instant). */
  vouchMs?: number;
  observer?: RoomObserver;
  log?: RoomLogger;
  clock?: Clock;
  tuning?: Partial<RoomTuning>;
  limits?: Partial<ConnectionLimits>;
}

const perfNow = () => performance.timeOrigin + performance.now();
const quietLog: RoomLogger = { warn() {}, error() {} };

function asRecord(value: unknown): RoomRecord {
  if ((value as RoomRecord | undefined)?.schema !== 1) throw new Error('room store holds a room of an unknown schema');
  return value as RoomRecord;
}

interface Transaction {
  outcome: Outcome;
  /** The room after the write, or as it was when nothing was written (undefined: no room). */
  record: RoomRecord | undefined;
  wrote: boolean;
}

/** What a room the store does not have is opened from: its durable copy if any, and the guild's defaults. */
interface Opening {
  archived: { record: RoomRecord; savedAt: number } | null;
  control: RoomSettings['control'] | undefined;
}

interface TransactOptions {
  /** Create the room when it does not exist. */
  create?: { creatorId: string | null; instanceId: string | null };
  /** Who caused it, for the broadcast's cause when the step itself names none. */
  actorId?: string;
  acceptedAt?: number;
}

/**
 * The server-authoritative room, free of any transport: connections come in as `RoomSocket`s, state
 * lives in the `RoomStore` (compare-and-set), and every visible change is published atomically with
 * its write, so all instances see one ordered stream with one seq per room.
 */
export class RoomEngine implements ConnectionHost {
  readonly events = new EventEmitter<RoomEvents>();
  readonly tuning: RoomTuning;
  readonly limits: ConnectionLimits;
  readonly clock: Clock;
  private readonly store: RoomStore<unknown>;
  private readonly bus: EventBus;
  private lookup: ItemLookup;
  private nextEpisode: NextEpisodeLookup;
  private readonly privileges: PrivilegeCheck;
  private readonly watchLog: WatchLog;
  private readonly audit: RoomAudit;
  /** Per member of a room (`roomId\nuserId`): how fast they may react. Dropped with the room. */
  private readonly reactionBuckets = new Map<string, TokenBucket>();
  readonly observer: RoomObserver;
  private readonly log: RoomLogger;
  private readonly hubs = new Map<string, { hub: RoomHub; ready: Promise<void> }>();
  private readonly connections = new Set<RoomConnection>();
  private readonly pending = new Set<Promise<unknown>>();
  /** Round trips waiting to be written, per room (see `observeRtt`). */
  private readonly rttBatches = new Map<string, { rtts: Map<string, number>; done: Promise<void> }>();
  private readonly away: AwayTimers;
  private readonly cleanups: (() => unknown)[] = [];
  private readonly hubHost: HubHost;
  private lease: InstanceLease | undefined;
  /** Names this instance in its connection ids (`<instance>/<uuid>`) and its lease. */
  readonly instanceId = randomUUID();

  constructor(private readonly options: RoomEngineOptions) {
    this.store = options.store;
    this.bus = options.bus;
    this.clock = options.clock ?? systemClock;
    this.lookup = options.lookup ?? noLibrary;
    this.privileges = options.privileges ?? noPrivileges;
    this.nextEpisode = options.nextEpisode ?? noNextEpisode;
    options.progress?.bind?.(
      (roomId) => this.readRecord(roomId),
      (promise) => this.track(promise),
    );
    this.watchLog = options.watchLog ?? noWatchLog;
    this.audit = options.audit ?? noAudit;
    this.observer = options.observer ?? noObserver;
    this.log = options.log ?? quietLog;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.away = new AwayTimers(
      this.clock,
      this.tuning.awayGraceMs,
      (roomId) =>
        // The sweep inside every write removes members whose grace is over.
        void this.track(
          this.transact(roomId, () => ({ kind: 'unchanged' })).catch((error: unknown) =>
            this.log.warn({ err: error, roomId }, 'away sweep failed'),
          ),
        ),
    );
    this.hubHost = {
      clock: this.clock,
      bus: this.bus,
      observer: this.observer,
      log: this.log,
      readRoom: (roomId) => this.readRecord(roomId),
      fired: (roomId, kind, rev) => void this.track(this.onTimer(roomId, kind, rev)),
      rejoin: (roomId, members) => void this.track(this.rejoin(roomId, members)),
    };
  }

  /** Subscribes to the room events of every instance. */
  async start(): Promise<void> {
    this.cleanups.push(
      await this.bus.subscribe(EVENTS_CHANNEL, (message) => {
        const parsed = roomEventSchema.safeParse(message);
        if (!parsed.success) {
          this.log.warn({ err: parsed.error }, 'dropped a malformed room event');
          return;
        }
        const event = parsed.data;
        switch (event.kind) {
          case 'item':
            this.events.emit('item', event.roomId, event.itemId);
            break;
          case 'empty':
            for (const key of this.reactionBuckets.keys()) {
              if (key.startsWith(`${event.roomId}\n`)) this.reactionBuckets.delete(key);
            }
            this.events.emit('empty', event.roomId);
            break;
          case 'removed':
            // Whichever instance holds the removed member's sockets closes them.
            for (const connection of [...this.connections]) {
              const membership = connection.membership;
              if (membership?.roomId === event.roomId && membership.user.userId === event.userId) {
                connection.send({ type: 'error', code: 'removed', message: ERROR_REASONS.removed });
                connection.closeFor('forbidden', ERROR_REASONS.removed);
              }
            }
            break;
          case 'created':
            this.events.emit('created', event.roomId);
            break;
          default: {
            const never: never = event;
            throw new Error(`unknown room event ${JSON.stringify(never)}`);
          }
        }
      }),
    );
    // Pub/sub may have dropped messages while the bus was away: every local room re-reads its state.
    this.cleanups.push(
      this.bus.onReconnect(() => {
        for (const { hub } of this.hubs.values()) hub.refresh();
      }),
    );
    const archive = this.options.archive;
    if (archive) {
      // A playing room's copy must know the instant it was last alive (where a restart resumes it);
      // one that is not playing only needs to stay clear of the retention.
      let ticks = 0;
      const vouchMs = this.options.vouchMs ?? 300;
      const everyone = Math.max(1, Math.round((10 * 60_000) / vouchMs));
      this.cleanups.push(
        every(this.clock, vouchMs, () => {
          const all = ticks++ % everyone === 0;
          const held = [...this.hubs].filter(([, { hub }]) => all || hub.mirror?.playback.status === 'playing');
          archive.vouch(held.map(([roomId]) => roomId));
        }),
      );
    }
    const leases = this.options.leases;
    if (leases) {
      this.lease = new InstanceLease({
        leases,
        instanceId: this.instanceId,
        clock: this.clock,
        ...(this.options.leasing ? { timing: this.options.leasing } : {}),
        store: this.store,
        read: asRecord,
        lapsed: () => {
          for (const { hub } of this.hubs.values()) hub.refresh();
        },
        drop: async (roomId, userId, connectionId) => {
          await this.transact(roomId, (room, ctx) => dropConnection(room, userId, connectionId, false, ctx), {
            actorId: userId,
          });
        },
        track: (promise) => this.track(promise),
        log: this.log,
      });
      await this.lease.start();
    }
  }

  /** Swaps the library the engine asks about items (the library plugin, or a fake in tests). */
  setItemLookup(lookup: ItemLookup) {
    this.lookup = lookup;
  }

  /**
   * A new transport connection; the engine drives it from its first frame to its close. `vouch`, when
   * the transport knows more about its client (Discord's proxy signature at the upgrade), is asked
   * about the session token of its hello after the token itself was verified.
   */
  connect(socket: RoomSocket, vouch?: HelloVouch): RoomConnection {
    const connection = new RoomConnection(this, socket, `${this.instanceId}/${randomUUID()}`, vouch);
    this.connections.add(connection);
    return connection;
  }

  get connectionCount() {
    return this.connections.size;
  }

  async snapshot(roomId: string): Promise<RoomSnapshot | undefined> {
    const found = await this.store.get(roomId);
    return found && toSnapshot(asRecord(found.value));
  }

  async isMember(roomId: string, userId: string): Promise<boolean> {
    const found = await this.store.get(roomId);
    return found !== undefined && asRecord(found.value).members.some((m) => m.userId === userId);
  }

  // ---------------------------------------------------------------------------------------------
  // What connections (and the bot API) ask of the engine
  // ---------------------------------------------------------------------------------------------

  /** Verifies a hello's token; undefined when it is not a valid session. */
  authenticate(token: string): RoomUser | undefined {
    return this.options.authenticate(token);
  }

  /** Whether the user may join: not removed from the room, and whatever the host checks (Discord mode). */
  async authorizeJoin(user: RoomUser, roomId: string, instanceId: string | undefined): Promise<boolean> {
    const found = await this.store.get(roomId);
    if (found && removedUsers(asRecord(found.value)).includes(user.userId)) return false;
    return (await this.options.authorizeJoin?.(user, roomId, instanceId)) ?? true;
  }

  /** Adds the connection to the room (creating the room), sends its welcome, then its broadcasts. */
  async join(connection: RoomConnection, user: RoomUser, hello: Hello): Promise<void> {
    const { roomId } = hello;
    const entry = this.hubFor(roomId);
    entry.hub.attach(connection);
    try {
      await entry.ready;
      let returned = false;
      const result = await this.transact(
        roomId,
        (room, ctx) => {
          const added = addConnection(room, user, connection.id, ctx);
          returned = added.returned;
          if (hello.instanceId && room.instanceId === null) room.instanceId = hello.instanceId;
          return added.outcome;
        },
        {
          create: { creatorId: user.userId, instanceId: hello.instanceId ?? null },
          actorId: user.userId,
          acceptedAt: perfNow(),
        },
      );
      const record = result.record;
      if (!record) throw new Error('join wrote no room');
      const welcome: Welcome = {
        type: 'welcome',
        protocolVersion: PROTOCOL_VERSION,
        you: { userId: user.userId, name: user.name, avatar: user.avatar, connectionId: connection.id },
        serverTime: this.clock.now(),
        snapshot: toSnapshot(record),
        resumed: hello.lastSeq !== undefined && returned,
      };
      connection.send(welcome);
      entry.hub.activate(connection, record, connection.id, user.userId);
      this.away.cancel(roomId, user.userId);
    } catch (error) {
      this.release(roomId, connection);
      throw error;
    }
  }

  /** The connection closed: its member stays while another connection is open, turns away, or leaves. */
  async leave(connection: RoomConnection, roomId: string, userId: string, intentional: boolean): Promise<void> {
    this.release(roomId, connection);
    try {
      await this.transact(roomId, (room, ctx) => dropConnection(room, userId, connection.id, intentional, ctx), {
        actorId: userId,
        acceptedAt: perfNow(),
      });
    } catch (error) {
      this.log.warn({ err: error, roomId }, 'could not record a member leaving');
    }
  }

  /** Runs a command for an actor (a member's connection, or the bot acting for a Discord user). */
  async command(
    roomId: string,
    actor: RoomUser,
    intent: CommandIntent,
    { acceptedAt = perfNow(), commandId, privileged, opens = true }: CommandOptions = {},
  ): Promise<CommandResult> {
    const fail = (code: ErrorCode, message: string = ERROR_REASONS[code]): CommandResult => ({
      ok: false,
      code,
      message,
    });
    let item: ItemInfo | undefined;
    if (intent.op === 'load' || intent.op === 'queue.add') {
      try {
        item = await this.lookup(intent.itemId, roomId);
      } catch (error) {
        this.log.warn({ err: error, roomId, itemId: intent.itemId }, 'item lookup failed');
        return fail('unavailable', 'The library did not answer; try again shortly.');
      }
      if (!item) return fail('unknown_item', `No item "${intent.itemId}" in this room's library.`);
    }
    if (intent.op === 'react' && !this.reactionBucket(roomId, actor.userId).take()) {
      return fail('rate_limited', 'Too many reactions; wait a moment.');
    }
    const who: Actor = { userId: actor.userId, name: actor.name };
    // A command sent again under its id (the client's retry) is acknowledged, never applied twice.
    const once = commandId === undefined ? undefined : `${actor.userId}/${commandId}`;
    const attempt = (privileged: boolean) =>
      this.transact(
        roomId,
        (room, ctx, opened) => {
          if (opened && opens === 'voice') voiceJoined(room, actor, ctx);
          return applyCommandOnce(room, once, who, privileged, intent, item, ctx);
        },
        {
          ...(opens ? { create: { creatorId: actor.userId, instanceId: null } } : {}),
          actorId: actor.userId,
          acceptedAt,
        },
      );
    try {
      let result = await attempt(false);
      if (result.outcome.kind === 'rejected' && result.outcome.code === 'not_allowed') {
        if (await this.isPrivileged(roomId, actor, privileged)) result = await attempt(true);
      }
      const { outcome } = result;
      if (outcome.kind === 'changed') this.afterCommand(roomId, actor.userId, intent);
      switch (outcome.kind) {
        case 'changed':
        case 'unchanged': {
          // Made only when asked (the bot API asks; a member's socket never does): every command
          // would otherwise pay for a snapshot on the broadcast's critical path.
          const record = result.record;
          let snapshot: RoomSnapshot | undefined;
          return {
            ok: true,
            get snapshot() {
              snapshot ??= record && toSnapshot(record);
              return snapshot;
            },
          };
        }
        case 'rejected':
          return fail(outcome.code, outcome.message);
        case 'early':
          return fail('internal');
        default: {
          const never: never = outcome;
          throw new Error(`unknown outcome ${JSON.stringify(never)}`);
        }
      }
    } catch (error) {
      if (error instanceof RoomConflictError) return fail('conflict');
      this.log.warn({ err: error, roomId, op: intent.op }, 'command failed');
      return fail('unavailable');
    }
  }

  /** Host powers from outside the room: what the caller vouches for, or else the guild's word. */
  private isPrivileged(roomId: string, actor: RoomUser, vouched?: () => Promise<boolean>): Promise<boolean> {
    return vouched ? vouched() : this.privileges(roomId, actor.userId);
  }

  private reactionBucket(roomId: string, userId: string): TokenBucket {
    const key = `${roomId}\n${userId}`;
    let bucket = this.reactionBuckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.tuning.reactionBurst, this.tuning.reactionsPerSecond, () => this.clock.now());
      this.reactionBuckets.set(key, bucket);
    }
    return bucket;
  }

  /** A command that changed the room: the remote's and the settings' changes go to the audit log. */
  private afterCommand(roomId: string, actorId: string, intent: CommandIntent) {
    if (isRemoteIntent(intent) || intent.op === 'settings') {
      // The socket hands the whole frame over: its envelope (type, id) is not the action's.
      const { op, type: _type, id: _id, ...details } = intent as CommandIntent & { type?: unknown; id?: unknown };
      this.audit.record({ roomId, actorId, action: `room.${op}`, details: { roomId, ...details } });
    }
    if (intent.op === 'member.remove') this.publishEvent({ kind: 'removed', roomId, userId: intent.userId });
  }

  /**
   * Voice presence from the bot: a user joined (present) or left (away, removed after the grace
   * period unless they come back) the room's voice channel. Only touches a room that exists.
   */
  async voice(roomId: string, who: RoomUser | (() => Promise<RoomUser>), present: boolean): Promise<void> {
    // Who they are is resolved only for a room that exists (most voice traffic is elsewhere).
    if (typeof who === 'function' && !(await this.store.get(roomId))) return;
    const user = typeof who === 'function' ? await who() : who;
    await this.transact(
      roomId,
      (room, ctx) => (present ? voiceJoined(room, user, ctx) : voiceLeft(room, user.userId, ctx)),
      { actorId: user.userId, acceptedAt: perfNow() },
    );
    if (present) this.away.cancel(roomId, user.userId);
  }

  /**
   * Voice presence for a whole guild (the bot's reconciliation after it reconnects): in each of the
   * guild's rooms, whoever is listed in its channel is present and whoever else the room counts in
   * voice has left. `channels` maps channel ids to the people in them; `resolve` makes room users.
   */
  async reconcileVoice<P>(
    guildId: string,
    channels: ReadonlyMap<string, readonly P[]>,
    resolve: (person: P) => Promise<RoomUser>,
  ): Promise<void> {
    const prefix = `${guildId}:`;
    for (const roomId of (await this.roomIds()).filter((id) => id.startsWith(prefix))) {
      const present = new Set<string>();
      for (const person of channels.get(roomId.slice(prefix.length)) ?? []) {
        const user = await resolve(person);
        present.add(user.userId);
        await this.voice(roomId, user, true);
      }
      for (const userId of await this.voiceMembers(roomId)) {
        if (!present.has(userId)) await this.voice(roomId, { userId, name: '', avatar: null }, false);
      }
    }
  }

  /** Users (ids) the room counts as in its voice channel. */
  async voiceMembers(roomId: string): Promise<string[]> {
    const found = await this.store.get(roomId);
    if (!found) return [];
    return asRecord(found.value)
      .members.filter((m) => m.connections.includes(VOICE_CONNECTION))
      .map((m) => m.userId);
  }

  /**
   * Follows a room's broadcasts from any instance without being a member (the bot's event feed).
   * Resolves once subscribed, so a snapshot read afterwards misses nothing; call the result to stop.
   */
  async follow(roomId: string, follower: RoomFollower): Promise<() => Promise<void>> {
    const unsubscribe = await this.bus.subscribe(roomChannel(roomId), (message) => {
      const parsed = envelopeSchema.safeParse(message);
      if (parsed.success) follower.state(parsed.data.frame, parsed.data.epoch);
    });
    const stopResync = this.bus.onReconnect(() => follower.resync());
    return async () => {
      stopResync();
      await unsubscribe();
    };
  }

  /** The drift each joined connection on this instance last reported (one per member and room: the latest). */
  localDrift(): { roomId: string; userId: string; driftMs: number }[] {
    const byMember = new Map<string, { roomId: string; userId: string; driftMs: number }>();
    for (const connection of this.connections) {
      const { membership, lastDriftMs } = connection;
      if (!membership || lastDriftMs === undefined || connection.phase !== 'joined') continue;
      const { roomId } = membership;
      const userId = membership.user.userId;
      byMember.set(`${roomId}\n${userId}`, { roomId, userId, driftMs: lastDriftMs });
    }
    return [...byMember.values()];
  }

  /** Ids of the rooms that exist now, on any instance. */
  roomIds(): Promise<string[]> {
    return this.store.list();
  }

  /**
   * Ends the room at once (the bot's /stop, or its voice channel stayed empty): deletes it, emits
   * 'empty', records the end of its watch session and closes this instance's connections to it with
   * `roomEnded`. `by`: who asks (/stop), who must be allowed to control the room; `privileged` as
   * for a command. `ended` is false when there was no room.
   */
  /**
   * /play: starts the item when nothing is current, else queues it (one `queue.add`, which opens the
   * room with the actor present in its voice channel); an item started afresh that the guild left
   * part-way goes on from where it was left.
   */
  async play(roomId: string, actor: RoomUser, itemId: string, options: Pick<CommandOptions, 'privileged'> = {}) {
    const added = await this.command(roomId, actor, { op: 'queue.add', itemId }, { ...options, opens: 'voice' });
    if (!added.ok) return added;
    const written = added.snapshot;
    const entry = written?.queue.at(-1);
    if (!written || !entry || entry.itemId !== itemId) {
      return { ok: false, code: 'not_joined', message: ERROR_REASONS.not_joined } satisfies PlayResult;
    }
    const started = written.queue.length === 1 && written.playback.itemId === itemId;
    const resumed = started ? await this.resumePointOf(roomId, itemId) : undefined;
    let snapshot = written;
    if (resumed) {
      const seek = await this.command(roomId, actor, { op: 'seek', positionMs: resumed.positionMs }, options);
      if (!seek.ok) return seek;
      snapshot = seek.snapshot ?? written;
    }
    return {
      ok: true,
      snapshot,
      outcome: started ? 'started' : 'queued',
      entryId: entry.entryId,
      resumedFromMs: resumed?.positionMs,
    } satisfies PlayResult;
  }

  /** Where the room's guild left an item; a store that cannot answer means starting from the top. */
  private async resumePointOf(roomId: string, itemId: string) {
    try {
      return await this.options.resumePoint?.(roomId, itemId);
    } catch (error) {
      this.log.warn({ err: error, roomId }, 'could not read where the guild left an item');
      return undefined;
    }
  }

  async end(roomId: string, by?: { actor: RoomUser; privileged?: () => Promise<boolean> }): Promise<EndResult> {
    let checked = false;
    for (let attempt = 0; attempt < 32; attempt++) {
      const found = await this.store.get(roomId);
      if (!found) return { ok: true, ended: false };
      const record = asRecord(found.value);
      if (by && !checked && !canControl(record, by.actor, false)) {
        if (!(await this.isPrivileged(roomId, by.actor, by.privileged))) {
          return { ok: false, code: 'not_allowed', message: ERROR_REASONS.not_allowed };
        }
        checked = true;
      }
      if (!(await this.store.delete(roomId, found.version))) continue;
      this.options.archive?.remove(roomId, record.epoch);
      this.publishEvent({ kind: 'empty', roomId });
      this.watchLog.ended(record.sessionId, roomId, this.clock.now());
      // Stopped: where the room left its item.
      this.options.progress?.observe(record, undefined, this.clock.now());
      for (const connection of [...this.connections]) {
        if (connection.membership?.roomId === roomId) connection.closeFor('roomEnded', 'The watch party has ended.');
      }
      return { ok: true, ended: true };
    }
    throw new RoomConflictError(`room ${roomId}: too many concurrent updates`);
  }

  async report(connection: RoomConnection, roomId: string, userId: string, report: Report): Promise<void> {
    // Fast path: the mirror (at least as new as this connection's own last write) says nothing would change.
    const mirror = this.hubs.get(roomId)?.hub.mirror;
    const member = mirror?.members.find((m) => m.userId === userId);
    if (mirror && member && mirror.seq >= connection.lastWriteSeq && mirror.playback.rev === report.rev) {
      const same = member.state === report.state || (report.state === 'buffering' && member.state === 'lagging');
      if (same) return;
    }
    try {
      const result = await this.transact(roomId, (room, ctx) => applyReport(room, userId, report, ctx), {
        actorId: userId,
        acceptedAt: perfNow(),
      });
      if (result.wrote && result.record) connection.lastWriteSeq = result.record.seq;
    } catch (error) {
      this.log.warn({ err: error, roomId }, 'could not apply a report');
    }
  }

  /**
   * Heartbeat round trips feed the scheduling lead; written (silently) only when they change notably.
   * One heartbeat tick measures every socket at once, so the round trips of one room are gathered and
   * written in one transaction: ten members writing the same record at the same instant would
   * otherwise retry each other's compare-and-set and hold up the commands behind them.
   */
  observeRtt(roomId: string, userId: string, rttMs: number): Promise<void> {
    let batch = this.rttBatches.get(roomId);
    if (!batch) {
      const rtts = new Map<string, number>();
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.rttBatches.delete(roomId);
        try {
          await this.transact(roomId, (room) => {
            for (const [member, rtt] of rtts) setRtt(room, member, rtt);
            return { kind: 'unchanged' };
          });
        } catch (error) {
          this.log.warn({ err: error, roomId }, 'could not record round-trip times');
        }
      });
      batch = { rtts, done };
      this.rttBatches.set(roomId, batch);
    }
    batch.rtts.set(userId, rttMs);
    return batch.done;
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------------------

  /** Keeps track of work in flight, so shutdown and tests can wait for it. */
  track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.then(
      () => this.pending.delete(promise),
      () => this.pending.delete(promise),
    );
    return promise;
  }

  /** Resolves once no connection has work queued and no write is in flight. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  forget(connection: RoomConnection) {
    this.connections.delete(connection);
  }

  /** Graceful shutdown: every socket closes with 1012 (clients reconnect elsewhere); members turn away. */
  async shutdown(): Promise<void> {
    // Members turn away: no grace runs out here, and no other instance is swept from here.
    this.away.close();
    this.lease?.stop();
    for (const connection of [...this.connections]) connection.closeFor('serviceRestart');
    await this.idle();
  }

  async close(): Promise<void> {
    this.away.close();
    this.lease?.stop();
    // The rooms held here are current up to this instant in their copies (a clean shutdown loses nothing).
    if (this.options.archive) {
      this.options.archive.vouch([...this.hubs.keys()]);
      await this.options.archive.flush();
    }
    const hubs = [...this.hubs.values()];
    this.hubs.clear();
    await Promise.allSettled(hubs.map(({ hub }) => hub.close()));
    for (const cleanup of this.cleanups.splice(0)) await cleanup();
    this.events.removeAllListeners();
  }

  // ---------------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------------

  private hubFor(roomId: string) {
    const existing = this.hubs.get(roomId);
    if (existing) return existing;
    const hub = new RoomHub(roomId, this.hubHost);
    const ready = hub.open();
    const entry = { hub, ready };
    this.hubs.set(roomId, entry);
    this.observer.localRooms(this.hubs.size);
    // A failed open surfaces through the joins awaiting it; the hub is dropped when they release it.
    ready.catch(() => {});
    return entry;
  }

  private release(roomId: string, member: HubMember) {
    const entry = this.hubs.get(roomId);
    if (!entry) return;
    entry.hub.detach(member);
    if (entry.hub.size > 0) return;
    this.hubs.delete(roomId);
    this.observer.localRooms(this.hubs.size);
    void entry.hub.close().catch((error: unknown) => this.log.warn({ err: error, roomId }, 'unsubscribe failed'));
  }

  private async onTimer(roomId: string, kind: TimerKind, rev: number) {
    try {
      // The next episode is looked up before the write (a compare-and-set retry must not call the library again).
      const next = kind === 'item' || kind === 'credits' ? await this.lookUpNext(roomId) : undefined;
      const result = await this.transact(roomId, (room, ctx) => {
        switch (kind) {
          case 'item':
            return itemEnded(room, rev, ctx, next);
          case 'wait':
            return waitTimedOut(room, rev, ctx);
          case 'credits':
            return creditsReached(room, rev, ctx, next);
          case 'upnext':
            return upNextDue(room, ctx);
          default: {
            const never: never = kind;
            throw new Error(`unknown timer ${String(never)}`);
          }
        }
      });
      if (result.outcome.kind === 'early') {
        this.hubs.get(roomId)?.hub.schedule({ kind, inMs: result.outcome.remainingMs + this.tuning.timerToleranceMs });
      } else if (kind === 'credits') {
        this.hubs.get(roomId)?.hub.creditsHandled(rev);
      }
    } catch (error) {
      this.log.warn({ err: error, roomId, kind }, 'room timer failed; will retry');
      this.hubs.get(roomId)?.hub.schedule({ kind, inMs: 1000 });
    }
  }

  /** Local connections the store lost (Redis restarted empty): put them back so the room goes on. */
  private async rejoin(roomId: string, members: HubMember[]) {
    for (const member of members) {
      if (!(member instanceof RoomConnection) || !member.membership) continue;
      const { user } = member.membership;
      await this.transact(roomId, (room, ctx) => addConnection(room, user, member.id, ctx).outcome, {
        create: { creatorId: user.userId, instanceId: null },
        actorId: user.userId,
      }).catch((error: unknown) => this.log.warn({ err: error, roomId }, 'could not rejoin a connection'));
    }
  }

  /**
   * One read-modify-write of a room: sweep expired members, apply `step`, settle, and write with
   * compare-and-set. A visible change bumps seq and goes out on the room channel in the same write.
   */
  private async transact(
    roomId: string,
    step: (room: RoomRecord, ctx: Context, opened: boolean) => Outcome,
    options: TransactOptions = {},
  ): Promise<Transaction> {
    let last: Transaction = { outcome: { kind: 'unchanged' }, record: undefined, wrote: false };
    let effects: { before: RoomRecord | undefined; after: RoomRecord; restoredFrom?: RoomRecord } | undefined;
    // Read once the store turns out to have no record of a room to create (nothing to read without the ports).
    let opening: Opening | undefined =
      this.options.archive || this.options.roomDefaults ? undefined : { archived: null, control: undefined };
    let needsOpening = false;
    const change = (versioned: { value: unknown } | undefined) => {
      const ctx: Context = { now: this.clock.now(), tuning: this.tuning };
      const current = versioned && asRecord(versioned.value);
      effects = undefined;
      if (!current && !options.create) {
        last = { outcome: { kind: 'rejected', code: 'not_joined' }, record: undefined, wrote: false };
        return undefined;
      }
      if (!current && !opening) {
        needsOpening = true;
        return undefined;
      }
      const archived = current ? null : (opening?.archived ?? null);
      const restored = archived
        ? restoreRoom(archived.record, { ...archived, now: ctx.now, epoch: randomUUID() })
        : undefined;
      const draft =
        current !== undefined
          ? structuredClone(current)
          : (restored ??
            newRoom({
              roomId,
              epoch: randomUUID(),
              sessionId: randomUUID(),
              now: ctx.now,
              ...options.create!,
              ...(opening?.control ? { control: opening.control } : {}),
            }));
      const removed = sweepAway(draft, ctx);
      const outcome = step(draft, ctx, !current);
      last = { outcome, record: current, wrote: false };
      if (outcome.kind === 'rejected' || outcome.kind === 'early') return undefined;
      if (!current && !restored && outcome.kind === 'unchanged') return undefined;
      settle(draft, ctx);

      const before = current && toSnapshot(current);
      const changes = diffSnapshots(before, toSnapshot(draft));
      const visible = Object.keys(changes).length > 0;
      if (!visible && JSON.stringify(draft) === JSON.stringify(current)) return undefined;

      let announce: { channel: string; message: Envelope } | undefined;
      if (visible) {
        draft.seq = ((current ?? restored)?.seq ?? 0) + 1;
        const firstRemoved = removed[0];
        const cause: Cause = restored
          ? { type: 'system', event: 'restored' }
          : outcome.kind === 'changed'
            ? outcome.cause
            : firstRemoved !== undefined
              ? { type: 'member', event: 'left', userId: firstRemoved }
              : { type: 'member', event: 'state', userId: options.actorId ?? '' };
        const frame: StateMessage = { type: 'state', seq: draft.seq, changes, cause };
        announce = {
          channel: roomChannel(roomId),
          message: { epoch: draft.epoch, frame, acceptedAt: options.acceptedAt ?? perfNow() },
        };
      }
      last = { outcome, record: draft, wrote: true };
      effects = { before: current, after: draft, ...(archived ? { restoredFrom: archived.record } : {}) };
      return { next: draft, announce, result: undefined };
    };
    let written = await updateRoom(this.store, roomId, change);
    if (needsOpening) {
      opening = await this.opening(roomId);
      written = await updateRoom(this.store, roomId, change);
    }
    if (!written) return last;
    const done = effects as
      | { before: RoomRecord | undefined; after: RoomRecord; restoredFrom?: RoomRecord }
      | undefined;
    if (done) await this.afterWrite(roomId, written.version, done.before, done.after, done.restoredFrom);
    return last;
  }

  /**
   * The durable copy of a room the store does not have. When the database cannot answer, the room
   * starts afresh rather than keeping its members out (an outage never stops a party from starting).
   */
  private async readRecord(roomId: string): Promise<RoomRecord | undefined> {
    const found = await this.store.get(roomId);
    return found && asRecord(found.value);
  }

  /**
   * The episode after the room's current one, when the room may offer it (nothing queued after it,
   * the setting on). A library that cannot answer offers nothing: the room simply ends the item.
   */
  private async lookUpNext(roomId: string): Promise<NextEpisode | undefined> {
    const room = this.hubs.get(roomId)?.hub.mirror;
    const current = room?.playback.itemId == null ? undefined : room.queue[0];
    if (!room || !current || room.queue.length !== 1 || room.settings.autoplayNext === false || room.upNext) {
      return undefined;
    }
    try {
      return await this.nextEpisode(current.itemId, roomId);
    } catch (error) {
      this.log.warn({ err: error, roomId }, 'could not look up the next episode');
      return undefined;
    }
  }

  /** What a room to create starts from. Neither lookup keeps a party from starting when it fails. */
  private async opening(roomId: string): Promise<Opening> {
    const [archived, defaults] = await Promise.all([
      this.options.archive?.load(roomId).then(
        (found) => found ?? null,
        (error: unknown) => {
          this.log.warn({ err: error, roomId }, "could not read the room's durable copy; starting it afresh");
          return null;
        },
      ) ?? null,
      this.options.roomDefaults?.(roomId).catch((error: unknown) => {
        this.log.warn({ err: error, roomId }, "could not read the guild's room defaults; everyone controls");
        return undefined;
      }),
    ]);
    if (archived) this.log.warn({ roomId, seq: archived.record.seq }, 'room restored from its durable copy');
    return { archived, control: defaults?.control };
  }

  /** Side effects of a write that must not hold the room: events, watch history, timers, closing. */
  private async afterWrite(
    roomId: string,
    version: number,
    before: RoomRecord | undefined,
    after: RoomRecord,
    restoredFrom?: RoomRecord,
  ) {
    const now = this.clock.now();
    this.options.progress?.observe(before, after, now);
    if (!before) {
      this.watchLog.started({ sessionId: after.sessionId, roomId, instanceId: after.instanceId, at: now });
      this.publishEvent({ kind: 'created', roomId });
    }
    const entry = after.playback.itemId === null ? undefined : after.queue[0];
    const previous = before ?? restoredFrom;
    const entryBefore = previous?.playback.itemId == null ? undefined : previous.queue[0];
    if (entry?.entryId !== entryBefore?.entryId) {
      this.publishEvent({ kind: 'item', roomId, itemId: entry?.itemId ?? null });
      if (entry)
        this.watchLog.item(after.sessionId, roomId, { itemId: entry.itemId, title: entry.title, startedAt: now });
    }
    for (const member of after.members) {
      const was = before?.members.find((m) => m.userId === member.userId);
      if (member.awaySince !== null && member.connections.length === 0 && was?.awaySince !== member.awaySince) {
        this.away.schedule(roomId, member.userId, member.awaySince);
      }
    }
    if (before && before.members.length > 0 && after.members.length === 0) {
      // The last member left: close the room, unless someone joined meanwhile (then the delete is refused).
      if (await this.store.delete(roomId, version)) {
        this.options.archive?.remove(roomId, after.epoch);
        this.publishEvent({ kind: 'empty', roomId });
        this.watchLog.ended(after.sessionId, roomId, now);
        return;
      }
    }
    this.options.archive?.save(after);
  }

  private publishEvent(event: RoomEventMessage) {
    void this.bus
      .publish(EVENTS_CHANNEL, event)
      .catch((error: unknown) => this.log.warn({ err: error, event }, 'could not publish a room event'));
  }
}
