import { randomUUID } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { auditLog, guilds, plexServers } from '../db/schema.ts';
import { LastKnown } from '../lib/last-known.ts';
import type { TokenCipher } from './token-crypto.ts';

export interface StoredServer {
  id: string;
  name: string;
  baseUrl: string;
  machineId: string;
  /** Discord guild id, or null for the server every guild uses. */
  guildId: string | null;
  /** False for a friend's server shared with the linking account. */
  owned: boolean;
  updatedAt: Date;
  createdAt: Date;
}

const columns = {
  id: plexServers.id,
  name: plexServers.name,
  baseUrl: plexServers.baseUrl,
  machineId: plexServers.machineId,
  guildId: guilds.discordGuildId,
  owned: plexServers.owned,
  updatedAt: plexServers.updatedAt,
  createdAt: plexServers.createdAt,
};

/**
 * The `plex_servers` table: linked servers, their tokens and addresses sealed (TokenCipher); the
 * token is never read back in clear here, the address only into the rows this store returns.
 * An address an earlier version stored in the clear is sealed the first time its row is read.
 * What every library lookup reads (a guild's server, a server by id, its sealed token) is memoised
 * (`LastKnown`): a database outage does not stop browsing or streaming from a server already read.
 */
export class PlexServerStore {
  private readonly rows = new LastKnown<StoredServer | undefined>();
  private readonly sealed = new LastKnown<{ sealed: string; updatedAt: Date } | undefined>();

  constructor(
    private readonly db: Db,
    private readonly cipher: TokenCipher,
  ) {}

  /** Servers of a guild (and the global ones), or every server without a guild. */
  async list(guildId?: string): Promise<StoredServer[]> {
    const query = this.db.select(columns).from(plexServers).leftJoin(guilds, eq(plexServers.guildId, guilds.id));
    const rows = await this.reveal(await query.orderBy(desc(plexServers.updatedAt)));
    return guildId === undefined ? rows : rows.filter((row) => row.guildId === guildId || row.guildId === null);
  }

  get(id: string): Promise<StoredServer | undefined> {
    return this.rows.get(`id:${id}`, () => this.read(id));
  }

  private async read(id: string): Promise<StoredServer | undefined> {
    const [row] = await this.db
      .select(columns)
      .from(plexServers)
      .leftJoin(guilds, eq(plexServers.guildId, guilds.id))
      .where(eq(plexServers.id, id));
    return row && (await this.reveal([row]))[0];
  }

  /** Rows with their addresses opened; one stored in the clear or under the previous key is sealed again. */
  private async reveal(rows: StoredServer[]): Promise<StoredServer[]> {
    return Promise.all(
      rows.map(async (row) => {
        const { address, stale } = this.cipher.openAddress(row.baseUrl, row.id);
        if (stale) {
          // Only if nobody relinked meanwhile; updatedAt stays, as the link itself did not change.
          await this.db
            .update(plexServers)
            .set({ baseUrl: this.cipher.sealAddress(address, row.id), updatedAt: sql`${plexServers.updatedAt}` })
            .where(and(eq(plexServers.id, row.id), eq(plexServers.baseUrl, row.baseUrl)));
        }
        return { ...row, baseUrl: address };
      }),
    );
  }

  /** The server a guild plays from: its own most recent link, else the most recent global one. */
  forGuild(guildId: string | undefined): Promise<StoredServer | undefined> {
    return this.rows.get(`guild:${guildId ?? ''}`, () => this.readForGuild(guildId));
  }

  private async readForGuild(guildId: string | undefined): Promise<StoredServer | undefined> {
    if (guildId !== undefined) {
      const [own] = await this.db
        .select(columns)
        .from(plexServers)
        .innerJoin(guilds, eq(plexServers.guildId, guilds.id))
        .where(eq(guilds.discordGuildId, guildId))
        .orderBy(desc(plexServers.updatedAt))
        .limit(1);
      if (own) return (await this.reveal([own]))[0];
    }
    const [global] = await this.db
      .select(columns)
      .from(plexServers)
      .leftJoin(guilds, eq(plexServers.guildId, guilds.id))
      .where(isNull(plexServers.guildId))
      .orderBy(desc(plexServers.updatedAt))
      .limit(1);
    return global && (await this.reveal([global]))[0];
  }

  /**
   * The decrypted token of a stored server (throws TokenDecryptionError when it was altered). A
   * token stored in an old format or under SECRET_KEY_PREVIOUS is sealed again under the current key.
   */
  async token(id: string): Promise<string | undefined> {
    // Memoised sealed, as stored: the clear token is only ever in the caller's hands.
    const stored = await this.sealed.get(id, async () => {
      const [row] = await this.db
        .select({ encryptedToken: plexServers.encryptedToken, updatedAt: plexServers.updatedAt })
        .from(plexServers)
        .where(eq(plexServers.id, id));
      return row && { sealed: row.encryptedToken, updatedAt: row.updatedAt };
    });
    if (stored === undefined) return undefined;
    const { token, stale } = this.cipher.open(stored.sealed);
    if (stale) {
      // Only if nobody relinked meanwhile; updatedAt stays, as the link itself did not change.
      await this.db
        .update(plexServers)
        .set({ encryptedToken: this.cipher.encrypt(token), updatedAt: sql`${plexServers.updatedAt}` })
        .where(and(eq(plexServers.id, id), eq(plexServers.encryptedToken, stored.sealed)));
      this.sealed.clear();
    }
    return token;
  }

  /** The plex.tv account a server was linked with and its machine id (read fresh, never memoised). */
  async link(id: string): Promise<{ accountId: string | null; machineId: string } | undefined> {
    const [row] = await this.db
      .select({ accountId: plexServers.accountId, machineId: plexServers.machineId })
      .from(plexServers)
      .where(eq(plexServers.id, id));
    return row;
  }

  /** Keeps a server's renewed access token (plex.tv rotated it, or the account's JWT was renewed). */
  async setToken(id: string, token: string): Promise<void> {
    await this.db
      .update(plexServers)
      .set({ encryptedToken: this.cipher.encrypt(token), updatedAt: new Date() })
      .where(eq(plexServers.id, id));
    this.forget();
  }

  /** Owned servers linked before accounts were kept, with their (legacy, account) token in clear. */
  async legacyLinks(): Promise<{ id: string; token: string }[]> {
    const rows = await this.db
      .select({ id: plexServers.id, encryptedToken: plexServers.encryptedToken })
      .from(plexServers)
      .where(and(isNull(plexServers.accountId), eq(plexServers.owned, true)));
    return rows.map((row) => ({ id: row.id, token: this.cipher.decrypt(row.encryptedToken) }));
  }

  /** Records the plex.tv account a server's link now belongs to. */
  async setAccount(id: string, accountId: string): Promise<void> {
    await this.db.update(plexServers).set({ accountId }).where(eq(plexServers.id, id));
    this.forget();
  }

  private forget() {
    this.rows.clear();
    this.sealed.clear();
  }

  /** Stores (or refreshes) a server for a guild or for everyone, with an audit row. */
  async save(input: {
    guildId: string | undefined;
    name: string;
    baseUrl: string;
    machineId: string;
    token: string;
    actorId: string;
    /** The plex.tv account it was linked with (kept to renew the server's token). */
    accountId?: string;
    owned?: boolean;
  }): Promise<StoredServer> {
    const id = await this.db.transaction(async (tx) => {
      let guildRowId: string | null = null;
      if (input.guildId !== undefined) {
        const [guild] = await tx
          .insert(guilds)
          .values({ discordGuildId: input.guildId })
          .onConflictDoUpdate({ target: guilds.discordGuildId, set: { updatedAt: new Date() } })
          .returning({ id: guilds.id });
        guildRowId = guild!.id;
      }
      const sameTarget = and(
        guildRowId === null ? isNull(plexServers.guildId) : eq(plexServers.guildId, guildRowId),
        eq(plexServers.machineId, input.machineId),
      );
      const [existing] = await tx.select({ id: plexServers.id }).from(plexServers).where(sameTarget);
      const id = existing?.id ?? randomUUID();
      const values = {
        name: input.name,
        baseUrl: this.cipher.sealAddress(input.baseUrl, id),
        encryptedToken: this.cipher.encrypt(input.token),
        linkedBy: input.actorId,
        accountId: input.accountId ?? null,
        owned: input.owned ?? true,
      };
      const [row] = existing
        ? await tx
            .update(plexServers)
            .set({ ...values, updatedAt: new Date() })
            .where(eq(plexServers.id, existing.id))
            .returning({ id: plexServers.id })
        : await tx
            .insert(plexServers)
            .values({ ...values, id, guildId: guildRowId, machineId: input.machineId })
            .returning({ id: plexServers.id });
      await tx.insert(auditLog).values({
        actorId: input.actorId,
        guildId: guildRowId,
        action: 'plex.server.link',
        details: {
          serverId: row!.id,
          name: input.name,
          machineId: input.machineId,
          owned: input.owned ?? true,
          relinked: Boolean(existing),
        },
      });
      return row!.id;
    });
    this.forget();
    return (await this.get(id))!;
  }

  /** Forgets a server, with an audit row. False when there was no such server. */
  async remove(id: string, actorId: string): Promise<boolean> {
    this.forget();
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .delete(plexServers)
        .where(eq(plexServers.id, id))
        .returning({ guildId: plexServers.guildId, name: plexServers.name, machineId: plexServers.machineId });
      if (!row) return false;
      await tx.insert(auditLog).values({
        actorId,
        guildId: row.guildId,
        action: 'plex.server.unlink',
        details: { serverId: id, name: row.name, machineId: row.machineId },
      });
      return true;
    });
  }
}
