import { sentryDsnSchema as sentryDsn } from '@dpp/shared';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const blankIsUnset = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);

const httpUrl = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        return ['http:', 'https:'].includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: 'must be a URL starting with http:// or https://' },
  )
  .transform((value) => value.replace(/\/+$/, ''));

const snowflake = z
  .string()
  .trim()
  .regex(/^\d{5,25}$/, 'must be a Discord id (the digits shown by Copy ID)');

/** What the Discord side needs (registering commands needs no more than this). */
const discordEnv = {
  DISCORD_BOT_TOKEN: z
    .string({ message: 'is required (Developer Portal → your application → Bot → Reset Token)' })
    .trim()
    .min(1, 'is required (Developer Portal → your application → Bot → Reset Token)'),
  DISCORD_CLIENT_ID: z
    .string({ message: 'is required (Developer Portal → your application → General Information → Application ID)' })
    .pipe(snowflake),
  DISCORD_API_URL: blankIsUnset(httpUrl.default('https://discord.com/api')),
  LOG_LEVEL: blankIsUnset(z.enum(LOG_LEVELS).default('info')),
};

export const registerEnvSchema = z.object({
  ...discordEnv,
  /** Register to this guild only (instant, for development) instead of globally. */
  DISCORD_GUILD_ID: blankIsUnset(snowflake.optional()),
});

export const botEnvSchema = z.object({
  ...discordEnv,
  SERVER_URL: blankIsUnset(httpUrl.default('http://127.0.0.1:3000')),
  BOT_API_TOKEN: z
    .string({
      message:
        "is required: the same value as the server's BOT_API_TOKEN (a dev server writes one to data/bot-api.token)",
    })
    .trim()
    .min(16, "must be at least 16 characters (the same value as the server's BOT_API_TOKEN)"),
  /** Where the server is reachable from the internet; makes poster images in embeds work. */
  PUBLIC_URL: blankIsUnset(httpUrl.optional()),
  /** Sentry's DSN for the bot's own errors (failed commands, unhandled rejections); unset: none reported. */
  SENTRY_DSN: blankIsUnset(sentryDsn.optional()),
  SENTRY_ENVIRONMENT: blankIsUnset(z.string().trim().optional()),
});

export type RegisterConfig = z.infer<typeof registerEnvSchema>;
export type BotEnv = z.infer<typeof botEnvSchema>;

export interface BotConfig {
  botToken: string;
  applicationId: string;
  discordApiUrl: string;
  serverUrl: string;
  botApiToken: string;
  publicUrl: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Where the bot reports its errors (its own process only; embedded, it shares the server's). */
  sentry?: { dsn: string; environment: string };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; the first problem becomes one line naming the variable (never a secret's value). */
export function parseEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue?.path[0] ?? 'environment');
  const value = source[name];
  const shown = value === undefined || /TOKEN|SECRET|KEY|DSN/.test(name) ? '' : ` (got ${JSON.stringify(value)})`;
  throw new ConfigError(`${name} ${issue?.message ?? 'is invalid'}${shown}`);
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): BotConfig {
  const env = parseEnv(botEnvSchema, source);
  return {
    botToken: env.DISCORD_BOT_TOKEN,
    applicationId: env.DISCORD_CLIENT_ID,
    discordApiUrl: env.DISCORD_API_URL,
    serverUrl: env.SERVER_URL,
    botApiToken: env.BOT_API_TOKEN,
    publicUrl: env.PUBLIC_URL,
    logLevel: env.LOG_LEVEL,
    ...(env.SENTRY_DSN
      ? { sentry: { dsn: env.SENTRY_DSN, environment: env.SENTRY_ENVIRONMENT ?? source.NODE_ENV ?? 'production' } }
      : {}),
  };
}
