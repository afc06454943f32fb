import { and, eq, isNotNull, lt } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { plexAccounts } from '../db/schema.ts';
import type { PlexDeviceKey } from './device-key.ts';
import { PlexAuthError, PlexRateLimitedError, PlexTokenExpiredError } from './errors.ts';
import type { PlexTvAuth } from './plex-tv-auth.ts';
import { plexTokenExpiry } from './plex-tv-auth.ts';
import type { PlexTvClient } from './plex-tv-client.ts';
import type { PlexServerStore } from './server-store.ts';
import type { TokenCipher } from './token-crypto.ts';

/** Refresh a Plex JWT when less than this is left of its 7 days. */
export const JWT_REFRESH_MARGIN_MS = 24 * 60 * 60 * 1000;
/** Attempts at a rate-limited plex.tv call before giving up (the waits follow its Retry-After). */
const RATE_LIMIT_ATTEMPTS = 3;
const MAX_RATE_LIMIT_WAIT_MS = 60_000;

export class NoPlexAccountError extends PlexAuthError {
  override name = 'NoPlexAccountError';
  constructor() {
    super('resources', 'This server was linked before accounts were kept: link it again to renew its token.');
  }
}

export interface PlexCredentialsDeps {
  db: Db;
  cipher: TokenCipher;
  deviceKey: PlexDeviceKey;
  auth: PlexTvAuth;
  tv: PlexTvClient;
  /** The linked servers' rows (their accounts and tokens), owned by the server store. */
  servers: Pick<PlexServerStore, 'link' | 'setToken' | 'legacyLinks' | 'setAccount'>;
  now?: () => number;
  /** Waits before retrying a rate-limited call (injected so tests need not wait). */
  wait?: (ms: number) => Promise<void>;
}

const realWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The plex.tv side of linked servers: the accounts they were linked with (Plex JWTs refreshed
 * before expiry with the device key, legacy tokens upgraded to JWTs), and each server's own
 * access token, asked of plex.tv again when the server refuses it (a shared server's token is
 * rotated by plex.tv, an owner's JWT expires). Every token is sealed at rest with the cipher.
 */
export class PlexCredentials {
  private readonly now: () => number;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly refreshing = new Map<string, Promise<string>>();

  constructor(private readonly deps: PlexCredentialsDeps) {
    this.now = deps.now ?? Date.now;
    this.wait = deps.wait ?? realWait;
  }

  /** Keeps an account token (a Plex JWT or a legacy token) and says who it belongs to. */
  async saveAccount(token: string): Promise<string> {
    const user = await this.deps.auth.user(token);
    const expiresAt = plexTokenExpiry(token);
    const values = {
      username: user.username,
      encryptedToken: this.deps.cipher.encrypt(token),
      tokenKind: expiresAt ? ('jwt' as const) : ('legacy' as const),
      tokenExpiresAt: expiresAt,
    };
    const [row] = await this.deps.db
      .insert(plexAccounts)
      .values({ plexUuid: user.uuid, ...values })
      .onConflictDoUpdate({ target: plexAccounts.plexUuid, set: { ...values, updatedAt: new Date(this.now()) } })
      .returning({ id: plexAccounts.id });
    return row!.id;
  }

  /** A usable token of the account: a JWT close to its expiry (or `force`d) is refreshed first. */
  async accountToken(accountId: string, options: { force?: boolean } = {}): Promise<string> {
    const row = await this.account(accountId);
    const token = this.deps.cipher.decrypt(row.encryptedToken);
    if (row.tokenKind !== 'jwt') return token;
    const expiresAt = row.tokenExpiresAt?.getTime() ?? 0;
    if (!options.force && expiresAt - this.now() > JWT_REFRESH_MARGIN_MS) return token;
    return this.refresh(accountId);
  }

  /** A new Plex JWT through a nonce and a signed device JWT (concurrent refreshes share one). */
  refresh(accountId: string): Promise<string> {
    let running = this.refreshing.get(accountId);
    if (!running) {
      running = this.exchange().then(async (jwt) => {
        await this.deps.db
          .update(plexAccounts)
          .set({
            encryptedToken: this.deps.cipher.encrypt(jwt),
            tokenKind: 'jwt',
            tokenExpiresAt: plexTokenExpiry(jwt),
            updatedAt: new Date(this.now()),
          })
          .where(eq(plexAccounts.id, accountId));
        return jwt;
      });
      const settled = running.finally(() => this.refreshing.delete(accountId));
      settled.catch(() => {});
      this.refreshing.set(accountId, running);
    }
    return running;
  }

  /** Refreshes every Plex JWT that expires within the margin (run periodically). */
  async refreshExpiring(): Promise<number> {
    const due = await this.deps.db
      .select({ id: plexAccounts.id })
      .from(plexAccounts)
      .where(
        and(
          eq(plexAccounts.tokenKind, 'jwt'),
          isNotNull(plexAccounts.tokenExpiresAt),
          lt(plexAccounts.tokenExpiresAt, new Date(this.now() + JWT_REFRESH_MARGIN_MS)),
        ),
      );
    for (const { id } of due) await this.refresh(id);
    return due.length;
  }

  /**
   * The server refused its token: asks plex.tv (with the account, refreshing an expired JWT once)
   * for the server's current access token and keeps it. Returns the new token.
   */
  async renewServerToken(serverId: string): Promise<string> {
    const server = await this.deps.servers.link(serverId);
    if (!server?.accountId) throw new NoPlexAccountError();
    const accountId = server.accountId;
    let token = await this.accountToken(accountId);
    let resources: Awaited<ReturnType<PlexTvClient['resources']>>;
    try {
      resources = await this.rateLimited(() => this.deps.tv.resources(token));
    } catch (error) {
      // 498: the JWT expired after all (a clock apart, a revoked one): one refresh, one retry.
      if (!(error instanceof PlexTokenExpiredError)) throw error;
      token = await this.refresh(accountId);
      resources = await this.rateLimited(() => this.deps.tv.resources(token));
    }
    const resource = resources.find((r) => r.clientIdentifier === server.machineId);
    if (!resource) {
      throw new PlexAuthError('resources', 'The Plex account no longer has access to this server: link it again.');
    }
    const serverToken = resource.accessToken || token;
    await this.deps.servers.setToken(serverId, serverToken);
    return serverToken;
  }

  /**
   * Upgrades links made with a legacy token (owned servers, whose stored token is the account's):
   * registers the device key with it, trades it for a Plex JWT, keeps the account, and asks for the
   * server's token again (plex.tv retires the legacy token once the JWT exists). Returns how many.
   */
  async upgradeLegacyLinks(): Promise<number> {
    const rows = await this.deps.servers.legacyLinks();
    let upgraded = 0;
    const byToken = new Map<string, Promise<string>>();
    for (const row of rows) {
      const legacy = row.token;
      let account = byToken.get(legacy);
      if (!account) {
        account = this.upgradeToken(legacy);
        byToken.set(legacy, account);
      }
      const accountId = await account;
      await this.deps.servers.setAccount(row.id, accountId);
      await this.renewServerToken(row.id);
      upgraded++;
    }
    return upgraded;
  }

  private async upgradeToken(legacy: string): Promise<string> {
    const jwk = await this.deps.deviceKey.publicJwk();
    await this.rateLimited(() => this.deps.auth.registerKey(legacy, jwk));
    const jwt = await this.exchange();
    return this.saveAccount(jwt);
  }

  /** nonce → device JWT → Plex JWT, waiting out 429s as plex.tv asks. */
  private async exchange(): Promise<string> {
    const nonce = await this.rateLimited(() => this.deps.auth.nonce());
    const deviceJwt = await this.deps.deviceKey.sign({ nonce, scope: 'username' }, this.now());
    return this.rateLimited(() => this.deps.auth.token(deviceJwt));
  }

  private async rateLimited<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof PlexRateLimitedError) || attempt >= RATE_LIMIT_ATTEMPTS) throw error;
        await this.wait(Math.min(error.retryAfterMs * attempt, MAX_RATE_LIMIT_WAIT_MS));
      }
    }
  }

  private async account(accountId: string) {
    const [row] = await this.deps.db.select().from(plexAccounts).where(eq(plexAccounts.id, accountId));
    if (!row) throw new NoPlexAccountError();
    return row;
  }
}
