import type { Cache } from '../infra/cache.ts';
import type { Sealer } from '../lib/sealing.ts';
import type { PlexCredentials } from './credentials.ts';
import type { PlexDeviceKey } from './device-key.ts';
import { PlexNotFoundError, PlexUnreachableError } from './errors.ts';
import { PLEX_PRODUCT } from './headers.ts';
import type { PlexClient } from './plex-client.ts';
import type { PlexTvAuth } from './plex-tv-auth.ts';
import type { PlexTvClient } from './plex-tv-client.ts';
import { type ConnectionKind, discoverServers } from './server-discovery.ts';
import type { PlexServerStore, StoredServer } from './server-store.ts';
import { asSource } from './source-errors.ts';
import type { TokenCipher } from './token-crypto.ts';

/** How long an approved PIN's account token stays on the server for choosing a server. */
export const LINKED_PIN_TTL_MS = 10 * 60_000;
const DEFAULT_PIN_TTL_MS = 15 * 60_000;

/** Server-side state of a PIN (cache namespace `plexpin`), sealed whole; tokens in it are sealed too. */
interface PinEntry {
  userId: string;
  code: string;
  expiresAt: number;
  accountToken?: string;
  servers?: Array<{
    machineIdentifier: string;
    name: string;
    owned: boolean;
    token: string;
    connection: { uri: string; kind: ConnectionKind; secure: boolean } | null;
  }>;
}

export interface PinView {
  id: string;
  code: string;
  linkUrl: string;
  expiresAt: string;
}

export interface PinStatus {
  id: string;
  status: 'pending' | 'linked' | 'expired';
  expiresAt: string;
}

export interface ServerChoice {
  machineIdentifier: string;
  name: string;
  owned: boolean;
  connection: ConnectionKind | null;
  secure: boolean;
}

/** A PIN that is not this user's, or unknown, or forgotten. */
export class UnknownPinError extends Error {
  override name = 'UnknownPinError';
  constructor() {
    super('There is no such Plex sign-in (it may have expired): start again.');
  }
}

/** The PIN is not approved yet (or expired), so there is no account to act for. */
export class PinNotLinkedError extends Error {
  override name = 'PinNotLinkedError';
  constructor() {
    super('Approve the code on plex.tv first, then try again.');
  }
}

/** The account has no such server, or none of its connections answered. */
export class ServerNotAvailableError extends Error {
  override name = 'ServerNotAvailableError';
}

export interface PlexLinkingDeps {
  cache: Cache;
  tv: PlexTvClient;
  /** plex.tv's JWT sign-in: PINs made with the device key, collected with signed device JWTs. */
  auth: PlexTvAuth;
  deviceKey: PlexDeviceKey;
  credentials: PlexCredentials;
  cipher: TokenCipher;
  sealer: Sealer;
  servers: PlexServerStore;
  /** A client for a reachability probe (fresh: probes must not trip a shared circuit breaker). */
  probeClient: (baseUrl: string, token: string) => PlexClient;
  probeTimeoutMs: number;
}

/**
 * Plex sign-in for admins: a plex.tv PIN, then the account's servers, then one stored for a guild.
 * The account token never leaves the server: it is kept encrypted next to the PIN for a few
 * minutes, only for the user who created the PIN. Usable from any route (activity or bot). Plex's
 * errors stay inside: callers see the source-neutral ones (media/errors.ts) and the errors below.
 */
export class PlexLinking {
  constructor(private readonly deps: PlexLinkingDeps) {}

  createPin(userId: string, now = Date.now()): Promise<PinView> {
    return asSource(async () => {
      const pin = await this.deps.auth.createPin(await this.deps.deviceKey.publicJwk());
      const expiresAt = pin.expiresAt
        ? Date.parse(pin.expiresAt)
        : now + (pin.expiresIn ? pin.expiresIn * 1000 : DEFAULT_PIN_TTL_MS);
      await this.put(String(pin.id), { userId, code: pin.code, expiresAt }, now);
      return {
        id: String(pin.id),
        code: pin.code,
        linkUrl: this.deps.tv.linkUrl(pin.code, PLEX_PRODUCT),
        expiresAt: new Date(expiresAt).toISOString(),
      };
    });
  }

  /** Polls plex.tv until the user approved the PIN; then keeps the account token here. */
  pinStatus(userId: string, pinId: string, now = Date.now()): Promise<PinStatus> {
    return asSource(async () => {
      const entry = await this.entry(userId, pinId);
      const view = (status: PinStatus['status'], expiresAt: number): PinStatus => ({
        id: pinId,
        status,
        expiresAt: new Date(expiresAt).toISOString(),
      });
      if (entry.accountToken) return view('linked', entry.expiresAt);
      if (entry.expiresAt <= now) return view('expired', entry.expiresAt);
      let pin: Awaited<ReturnType<PlexTvClient['pin']>>;
      try {
        pin = await this.deps.auth.collectPin(Number(pinId), await this.deps.deviceKey.sign({}));
      } catch (error) {
        if (error instanceof PlexNotFoundError) return view('expired', Math.min(entry.expiresAt, now));
        throw error;
      }
      if (!pin.authToken) return view('pending', entry.expiresAt);
      const linked: PinEntry = {
        ...entry,
        accountToken: this.deps.cipher.encrypt(pin.authToken),
        expiresAt: now + LINKED_PIN_TTL_MS,
      };
      await this.put(pinId, linked, now);
      return view('linked', linked.expiresAt);
    });
  }

  /** The linked account's servers, each with its best working connection (probed once, then kept). */
  servers(userId: string, pinId: string, now = Date.now()): Promise<ServerChoice[]> {
    return asSource(async () => {
      const entry = await this.linkedEntry(userId, pinId, now);
      return (await this.discovered(pinId, entry, now)).map((server) => ({
        machineIdentifier: server.machineIdentifier,
        name: server.name,
        owned: server.owned,
        connection: server.connection?.kind ?? null,
        secure: server.connection?.secure ?? false,
      }));
    });
  }

  /** Stores one of the linked account's servers for a guild (or for everyone). */
  link(
    userId: string,
    input: { pinId: string; machineIdentifier: string; guildId?: string | undefined },
    now = Date.now(),
  ): Promise<StoredServer> {
    return asSource(async () => {
      const entry = await this.linkedEntry(userId, input.pinId, now);
      const servers = await this.discovered(input.pinId, entry, now);
      const server = servers.find((s) => s.machineIdentifier === input.machineIdentifier);
      if (!server) throw new ServerNotAvailableError('That server is not one of this Plex account’s servers.');
      if (!server.connection) {
        throw new PlexUnreachableError('identity', `None of the addresses of "${server.name}" answered.`);
      }
      // The account (its Plex JWT) is kept, so the server's token can be asked for again when
      // plex.tv rotates it (shared servers) or it expires.
      const accountId = await this.deps.credentials.saveAccount(this.deps.cipher.decrypt(entry.accountToken!));
      return this.deps.servers.save({
        guildId: input.guildId,
        name: server.name,
        baseUrl: server.connection.uri,
        machineId: server.machineIdentifier,
        token: this.deps.cipher.decrypt(server.token),
        actorId: userId,
        accountId,
        owned: server.owned,
      });
    });
  }

  private async discovered(pinId: string, entry: PinEntry, now: number): Promise<NonNullable<PinEntry['servers']>> {
    if (entry.servers) return entry.servers;
    const accountToken = this.deps.cipher.decrypt(entry.accountToken!);
    const resources = await this.deps.tv.resources(accountToken);
    const found = await discoverServers(resources, accountToken, this.deps.probeClient, this.deps.probeTimeoutMs);
    const servers = found.map((server) => ({ ...server, token: this.deps.cipher.encrypt(server.token) }));
    // Keep the answer unless nothing answered at all (then the next call probes again).
    if (servers.some((server) => server.connection)) await this.put(pinId, { ...entry, servers }, now);
    return servers;
  }

  private async linkedEntry(userId: string, pinId: string, now: number): Promise<PinEntry> {
    const entry = await this.entry(userId, pinId);
    if (entry.accountToken) return entry;
    const status = await this.pinStatus(userId, pinId, now);
    if (status.status !== 'linked') throw new PinNotLinkedError();
    return this.entry(userId, pinId);
  }

  private async entry(userId: string, pinId: string): Promise<PinEntry> {
    const key = `plexpin:${pinId}`;
    const sealed = await this.deps.cache.get<string>(key);
    const opened = typeof sealed === 'string' ? this.deps.sealer.open('plex-pin', sealed, { context: key }) : undefined;
    const entry = opened ? (JSON.parse(opened.value) as PinEntry) : undefined;
    if (!entry || entry.userId !== userId) throw new UnknownPinError();
    return entry;
  }

  /** The entry names Plex servers and their addresses: the cache holds it sealed. */
  private put(pinId: string, entry: PinEntry, now: number): Promise<void> {
    const key = `plexpin:${pinId}`;
    const sealed = this.deps.sealer.seal('plex-pin', JSON.stringify(entry), { context: key });
    return this.deps.cache.set(key, sealed, Math.max(entry.expiresAt - now, 1000));
  }
}
