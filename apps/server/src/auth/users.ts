import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { type Db, isDatabaseUnavailable } from '../db/database.ts';
import { users } from '../db/schema.ts';

export interface UserRecord {
  id: string;
  discordId: string;
  name: string;
  avatar: string | null;
}

const columns = { id: users.id, discordId: users.discordId, name: users.name, avatar: users.avatar };

/**
 * Inserts the user, or refreshes the name and avatar of the existing one, in one statement.
 * Without a name (a bot request that did not say), an existing user keeps theirs and a new one is
 * named after the id until they sign in.
 */
export async function upsertUser(
  db: Db,
  user: { discordId: string; name?: string | undefined; avatar?: string | null | undefined },
): Promise<UserRecord> {
  const set: Record<string, unknown> = { updatedAt: sql`now()` };
  if (user.name !== undefined) set.name = user.name;
  if (user.avatar !== undefined) set.avatar = user.avatar;
  const [row] = await db
    .insert(users)
    .values({ discordId: user.discordId, name: user.name ?? user.discordId, avatar: user.avatar ?? null })
    .onConflictDoUpdate({ target: users.discordId, set })
    .returning(columns);
  if (!row) throw new Error('upsert returned no row');
  return row;
}

/**
 * A dev-mode guest: a user of their own, `discord_id` = `guest:<uuid>`. When the database does not
 * answer, the guest is signed in anyway and their row written once it does (a guest needs nothing
 * from the database to watch).
 */
export async function createGuest(db: Db, name: string, retryMs = 2000): Promise<UserRecord> {
  const guest: UserRecord = { id: randomUUID(), discordId: `guest:${randomUUID()}`, name, avatar: null };
  const insert = () => db.insert(users).values(guest).onConflictDoNothing();
  try {
    await insert();
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    const retry = () =>
      void insert().catch((again: unknown) => {
        if (isDatabaseUnavailable(again)) setTimeout(retry, retryMs).unref();
      });
    setTimeout(retry, retryMs).unref();
  }
  return guest;
}

/** The user with this users.id, or undefined. */
export async function findUser(db: Db, id: string): Promise<UserRecord | undefined> {
  const [row] = await db.select(columns).from(users).where(eq(users.id, id)).limit(1);
  return row;
}
