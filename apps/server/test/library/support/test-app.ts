import { type App, buildTestApp as buildApp, testDatabase } from '../../rooms/support/test-app.ts';

export type { App };

/** The real app on a throwaway PGlite unless the test names a database. */
export function buildTestApp(env: Record<string, string | undefined>): Promise<App> {
  return buildApp({ DATABASE_URL: 'memory://', ...env });
}

/** A database of its own on the real PostgreSQL, dropped by `drop`. */
export function postgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return testDatabase(true);
}

/** A guest session (dev auth mode): the Authorization header to send. */
export async function signIn(app: App, name = 'Tester'): Promise<{ authorization: string; userId: string }> {
  const response = await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name } });
  if (response.statusCode !== 200) throw new Error(`dev sign-in failed: ${response.statusCode} ${response.body}`);
  const body = response.json<{ token: string; user: { id: string } }>();
  return { authorization: `Bearer ${body.token}`, userId: body.user.id };
}
