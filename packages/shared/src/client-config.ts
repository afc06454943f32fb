import { z } from 'zod';

/** Where the activity sends its error reports: through the server (the DSN and its key stay there). */
export const CLIENT_ERRORS_PATH = '/api/client-errors' as const;

/**
 * `GET /api/client-config`: what the activity needs to know about the server before anything else,
 * without signing in. `errorReporting` is null unless the server has SENTRY_DSN: then the activity
 * loads its error reporting (and only then).
 */
export const clientConfigSchema = z.object({
  errorReporting: z
    .object({
      environment: z.string(),
      /** The server's tunnel, on the activity's own origin (inside Discord, through its proxy). */
      tunnel: z.literal(CLIENT_ERRORS_PATH),
    })
    .nullable(),
});
export type ClientConfig = z.infer<typeof clientConfigSchema>;

/**
 * SENTRY_DSN, for the server and the bot alike: `https://<public key>@<host>/<project id>`
 * (Sentry → Project settings → Client Keys).
 */
export const sentryDsnSchema = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        const dsn = new URL(value);
        return (
          ['http:', 'https:'].includes(dsn.protocol) && dsn.username !== '' && /^\/(?:.*\/)?\d+$/.test(dsn.pathname)
        );
      } catch {
        return false;
      }
    },
    { message: 'must be a Sentry DSN: https://<key>@<host>/<project id> (Project settings → Client Keys)' },
  );
