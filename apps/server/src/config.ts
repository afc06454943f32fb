import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { sentryDsnSchema as sentryDsn } from '@dpp/shared';
import { z } from 'zod';
import { maskCredentials } from './lib/redact.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );

const secretKey = z
  .string()
  .trim()
  .refine((s) => Buffer.from(s, 'base64').length === 32, {
    message: 'must be 32 bytes encoded as base64 (openssl rand -base64 32)',
  });

/** proxy-addr's names for address ranges, accepted in TRUST_PROXY next to addresses and CIDRs. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isAddressOrCidr = (entry: string): boolean => {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d+$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
};

/**
 * Which proxies' `X-Forwarded-*` headers to believe: nobody by default (the peer's address is the
 * client's), `true` for any, a hop count, or addresses/CIDRs. Fastify's `trustProxy` takes each form.
 */
const trustProxy = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx): boolean | number | string[] => {
      if (value === undefined || value === 'false') return false;
      if (value === 'true') return true;
      if (/^\d+$/.test(value)) return Number(value);
      const entries = value.split(',').map((entry) => entry.trim());
      if (entries.every(isAddressOrCidr)) return entries;
      ctx.addIssue({
        code: 'custom',
        message: 'must be true, a hop count, or a comma-separated list of addresses or CIDRs (e.g. 10.0.0.0/8)',
      });
      return z.NEVER;
    }),
);

/** The one schema for the environment (DESIGN section 2). */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce
      .number({ message: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 65535')
      .max(65535, 'must be between 0 and 65535')
      .default(3000),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    TRUST_PROXY: trustProxy,
    WS_SOCKETS_PER_ADDRESS: z.coerce
      .number({ message: 'must be a number of sockets' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 100000')
      .max(100_000, 'must be between 1 and 100000')
      .default(32),
    /** Unset: http://localhost:<PORT> (so `PORT=3111 pnpm start` checks origins against its own port). */
    PUBLIC_URL: url(['http:', 'https:']).optional(),
    DATABASE_URL: z.preprocess(
      (v) => (v === '' ? undefined : v),
      url(['postgres:', 'postgresql:', 'memory:', 'file:']).optional(),
    ),
    DATABASE_CONNECT_TIMEOUT_MS: z.coerce
      .number({ message: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(100, 'must be between 100 and 60000 (ms)')
      .max(60_000, 'must be between 100 and 60000 (ms)')
      .default(1000),
    DATABASE_STATEMENT_TIMEOUT_MS: z.coerce
      .number({ message: 'must be a number of milliseconds' })
      .int('must be a whole number of milliseconds')
      .min(100, 'must be between 100 and 600000 (ms)')
      .max(600_000, 'must be between 100 and 600000 (ms)')
      .default(1500),
    REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), url(['redis:', 'rediss:']).optional()),
    DISCORD_CLIENT_ID: optionalString,
    DISCORD_CLIENT_SECRET: optionalString,
    DISCORD_BOT_TOKEN: optionalString,
    DISCORD_API_URL: url(['http:', 'https:']).default('https://discord.com/api'),
    PLEX_URL: z.preprocess((v) => (v === '' ? undefined : v), url(['http:', 'https:']).optional()),
    PLEX_TOKEN: optionalString,
    PLEX_TV_URL: url(['http:', 'https:']).default('https://plex.tv'),
    SECRET_KEY: z.preprocess((v) => (v === '' ? undefined : v), secretKey.optional()),
    SECRET_KEY_PREVIOUS: z.preprocess((v) => (v === '' ? undefined : v), secretKey.optional()),
    BOT_API_TOKEN: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.string().min(16, 'must be at least 16 characters').optional(),
    ),
    METRICS_TOKEN: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.string().min(16, 'must be at least 16 characters').optional(),
    ),
    ADMIN_TOKEN: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.string().trim().min(32, 'must be at least 32 characters (openssl rand -base64 32)').optional(),
    ),
    DISCORD_PUBLIC_KEY: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z
        .string()
        .trim()
        .regex(/^[0-9a-fA-F]{64}$/, "must be the application's public key: 64 hex characters (Developer Portal)")
        .optional(),
    ),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    STREAM_CHUNK_KB: z.coerce
      .number({ message: 'must be a number of KiB' })
      .int('must be a whole number of KiB')
      .min(16, 'must be between 16 and 16384 (KiB)')
      .max(16384, 'must be between 16 and 16384 (KiB)')
      .default(1024),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), url(['http:', 'https:']).optional()),
    BOT_MODE: z.enum(['separate', 'embedded'], { message: 'must be separate or embedded' }).default('separate'),
    SENTRY_DSN: z.preprocess((v) => (v === '' ? undefined : v), sentryDsn.optional()),
    SENTRY_ENVIRONMENT: optionalString,
  })
  .superRefine((env, ctx) => {
    const discord = [env.DISCORD_CLIENT_ID, env.DISCORD_CLIENT_SECRET, env.DISCORD_BOT_TOKEN];
    const set = discord.filter(Boolean).length;
    if (set > 0 && set < 3) {
      const missing = ['DISCORD_CLIENT_ID', 'DISCORD_CLIENT_SECRET', 'DISCORD_BOT_TOKEN'].filter((_, i) => !discord[i]);
      ctx.addIssue({
        code: 'custom',
        path: [missing[0] ?? 'DISCORD_CLIENT_ID'],
        message: 'is required when any Discord credential is set (set all three, or none for dev auth mode)',
      });
    }
    if (env.BOT_MODE === 'embedded' && !env.DISCORD_BOT_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['DISCORD_BOT_TOKEN'],
        message: 'is required when BOT_MODE=embedded (the bot runs inside the server)',
      });
    }
    if (Boolean(env.PLEX_URL) !== Boolean(env.PLEX_TOKEN)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.PLEX_URL ? 'PLEX_TOKEN' : 'PLEX_URL'],
        message: 'is required when the other of PLEX_URL/PLEX_TOKEN is set',
      });
    }
    if (env.NODE_ENV === 'production') {
      if (set === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['DISCORD_CLIENT_ID'],
          message: 'is required in production (dev auth mode is refused when NODE_ENV=production)',
        });
      }
      for (const name of ['SECRET_KEY', 'BOT_API_TOKEN'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
      }
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  publicUrl: string;
  /** Fastify's `trustProxy`: whose X-Forwarded-For to believe (false: nobody's). */
  trustProxy: boolean | number | string[];
  /** Open room sockets one client address may hold; it may try to open 4× as many a minute. */
  wsSocketsPerAddress: number;
  /** `postgres://…`, `memory://`, or a PGlite directory. */
  database:
    | {
        kind: 'postgres';
        url: string;
        /** A query or a connection that takes longer fails (503 to callers), so nothing hangs on a stuck database. */
        timeouts?: { connectMs: number; statementMs: number };
      }
    | { kind: 'pglite'; dataDir: string | undefined };
  redisUrl: string | undefined;
  discord: { clientId: string; clientSecret: string; botToken: string; apiUrl: string } | undefined;
  discordApiUrl: string;
  plex: { url: string; token: string } | undefined;
  plexTvUrl: string;
  secretKey: Buffer;
  /** The key before the last rotation: still opens what it sealed (which is then sealed again). */
  previousSecretKey: Buffer | undefined;
  botApiToken: string;
  /** When set, `/metrics` asks for it as a bearer token. */
  metricsToken: string | undefined;
  /** When set, `Authorization: Bearer <ADMIN_TOKEN>` opens the admin dashboard on every guild (the operator). */
  adminToken: string | undefined;
  /** Ed25519 public key (hex) that signs requests arriving through Discord's activity proxy. */
  discordPublicKey: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  /** Direct-play files are fetched from Plex, cached and shared between members in pieces this big. */
  streamChunkBytes: number;
  /** `embedded`: the server also runs the bot, in its own process (the single-container release). */
  botMode: Env['BOT_MODE'];
  /** An OTLP/HTTP collector (traces go to `<endpoint>/v1/traces`); unset: no tracing at all. */
  otlpEndpoint: string | undefined;
  /** Where errors are reported (the server's, the embedded bot's and the activity's); unset: nowhere, no SDK. */
  sentry: { dsn: string; environment: string } | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment; the first problem becomes one line naming the variable. */
export function parseEnv(source: NodeJS.ProcessEnv): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const name = String(issue?.path[0] ?? 'environment');
  const value = source[name];
  // Secrets are never shown; URLs are, with any password in them masked.
  const shown =
    value === undefined || /SECRET|TOKEN|KEY|DSN/.test(name) ? '' : ` (got ${JSON.stringify(maskCredentials(value))})`;
  throw new ConfigError(`${name} ${issue?.message ?? 'is invalid'}${shown}`);
}

/** Reads a value kept in the data directory, creating it once (dev defaults for secrets). */
function keptSecret(dataDir: string, file: string, make: () => string): string {
  const full = path.join(dataDir, file);
  try {
    return readFileSync(full, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const value = make();
    writeFileSync(full, `${value}\n`, { mode: 0o600 });
    return value;
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const env = parseEnv(source);
  const dataDir = path.resolve(env.DATA_DIR);
  const url = env.DATABASE_URL;
  const database: Config['database'] =
    url === undefined
      ? { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') }
      : url.startsWith('memory:')
        ? { kind: 'pglite', dataDir: undefined }
        : url.startsWith('file:')
          ? { kind: 'pglite', dataDir: path.resolve(new URL(url).pathname) }
          : {
              kind: 'postgres',
              url,
              timeouts: { connectMs: env.DATABASE_CONNECT_TIMEOUT_MS, statementMs: env.DATABASE_STATEMENT_TIMEOUT_MS },
            };
  const secret = env.SECRET_KEY ?? keptSecret(dataDir, 'secret.key', () => randomBytes(32).toString('base64'));
  const botApiToken =
    env.BOT_API_TOKEN ?? keptSecret(dataDir, 'bot-api.token', () => randomBytes(24).toString('base64url'));
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    trustProxy: env.TRUST_PROXY,
    wsSocketsPerAddress: env.WS_SOCKETS_PER_ADDRESS,
    database,
    redisUrl: env.REDIS_URL,
    discord:
      env.DISCORD_CLIENT_ID && env.DISCORD_CLIENT_SECRET && env.DISCORD_BOT_TOKEN
        ? {
            clientId: env.DISCORD_CLIENT_ID,
            clientSecret: env.DISCORD_CLIENT_SECRET,
            botToken: env.DISCORD_BOT_TOKEN,
            apiUrl: env.DISCORD_API_URL,
          }
        : undefined,
    discordApiUrl: env.DISCORD_API_URL,
    plex: env.PLEX_URL && env.PLEX_TOKEN ? { url: env.PLEX_URL.replace(/\/+$/, ''), token: env.PLEX_TOKEN } : undefined,
    plexTvUrl: env.PLEX_TV_URL.replace(/\/+$/, ''),
    secretKey: Buffer.from(secret, 'base64'),
    previousSecretKey: env.SECRET_KEY_PREVIOUS ? Buffer.from(env.SECRET_KEY_PREVIOUS, 'base64') : undefined,
    botApiToken,
    metricsToken: env.METRICS_TOKEN,
    adminToken: env.ADMIN_TOKEN,
    discordPublicKey: env.DISCORD_PUBLIC_KEY?.toLowerCase(),
    logLevel: env.LOG_LEVEL,
    dataDir,
    streamChunkBytes: env.STREAM_CHUNK_KB * 1024,
    botMode: env.BOT_MODE,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, ''),
    sentry: env.SENTRY_DSN ? { dsn: env.SENTRY_DSN, environment: env.SENTRY_ENVIRONMENT ?? env.NODE_ENV } : undefined,
  };
}
