import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { envSchema } from '../../apps/server/src/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const COMPOSE_FILE = 'docker/compose.yaml';
const DOCKERFILE = readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  environment?: Record<string, string | null>;
  healthcheck?: { test: string[] | string };
  volumes?: (string | { source?: string; target: string })[];
  depends_on?: Record<string, { condition: string }> | string[];
}

interface ComposeConfig {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** `docker-compose` (Debian's v1) or the `docker compose` v2 plugin, whichever answers. */
function findCompose(): string[] | undefined {
  for (const command of [['docker-compose'], ['docker', 'compose']]) {
    try {
      execFileSync(command[0]!, [...command.slice(1), 'version'], { stdio: 'ignore' });
      return command;
    } catch {}
  }
  return undefined;
}

const compose = findCompose();
if (!compose) {
  const bar = '!'.repeat(78);
  console.warn(
    `\n${bar}\n  SKIPPING tests/docker/compose.test.ts: neither docker-compose nor \`docker compose\` is installed\n` +
      `  (Debian: apt-get install docker-compose).\n${bar}\n`,
  );
}

/** Where a service mounts each volume, as `source -> target` (compose normalises the short syntax). */
function mounts(service: Service): Map<string, string> {
  return new Map(
    (service.volumes ?? []).map((volume) => {
      if (typeof volume !== 'string') return [volume.target, volume.source ?? ''];
      const [source = '', target = ''] = volume.split(':');
      return [target, source];
    }),
  );
}

const BOT_API_TOKEN = 'compose-test-bot-token-0123456789';

describe.skipIf(!compose)('docker/compose.yaml, as compose resolves it', () => {
  let config: ComposeConfig;

  beforeAll(() => {
    const [command, ...prefix] = compose!;
    const output = execFileSync(command!, [...prefix, '-f', COMPOSE_FILE, 'config'], {
      cwd: ROOT,
      env: { ...process.env, BOT_API_TOKEN },
      encoding: 'utf8',
    });
    config = parse(output) as ComposeConfig;
  });

  it('defines postgres, redis, the server and the bot', () => {
    expect(Object.keys(config.services).sort()).toEqual(['bot', 'postgres', 'redis', 'server']);
  });

  it('gives postgres, redis and the server a health check', () => {
    expect(config.services.postgres?.healthcheck?.test).toContain('pg_isready');
    expect(config.services.redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(String(config.services.server?.healthcheck?.test)).toContain('/healthz');
  });

  it('keeps the database, redis and the server data directory on named volumes', () => {
    expect(mounts(config.services.postgres!).get('/var/lib/postgresql/data')).toBe('postgres-data');
    expect(mounts(config.services.redis!).get('/data')).toBe('redis-data');
    expect(mounts(config.services.server!).get('/data')).toBe('server-data');
    expect(Object.keys(config.volumes ?? {}).sort()).toEqual(['postgres-data', 'redis-data', 'server-data']);
  });

  it('starts the server after healthy postgres and redis, and the bot after a healthy server', () => {
    expect(config.services.server?.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(config.services.bot?.depends_on).toEqual({ server: { condition: 'service_healthy' } });
  });

  it('points the server at the compose services and listens on every interface', () => {
    const env = config.services.server?.environment ?? {};
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.DATA_DIR).toBe('/data');
    expect(new URL(env.DATABASE_URL ?? '').hostname).toBe('postgres');
    expect(new URL(env.REDIS_URL ?? '').hostname).toBe('redis');
  });

  it('passes every variable of the server configuration schema through to the server', () => {
    const env = config.services.server?.environment ?? {};
    expect(Object.keys(envSchema.shape).filter((name) => !(name in env))).toEqual([]);
  });

  it('gives the bot the server URL and the same service token as the server', () => {
    const bot = config.services.bot?.environment ?? {};
    expect(bot.SERVER_URL).toBe('http://server:3000');
    expect(bot.BOT_API_TOKEN).toBe(BOT_API_TOKEN);
    expect(config.services.server?.environment?.BOT_API_TOKEN).toBe(BOT_API_TOKEN);
  });

  it('builds both images from docker/Dockerfile with the repository as context', () => {
    for (const [name, target] of [
      ['server', 'server'],
      ['bot', 'bot'],
    ] as const) {
      const build = config.services[name]?.build;
      expect(build?.target).toBe(target);
      expect(path.resolve(ROOT, build?.context ?? '')).toBe(ROOT);
      expect(build?.dockerfile).toBe('docker/Dockerfile');
    }
  });
});

describe.skipIf(!compose)('docker/compose.single.yaml (one container), as compose resolves it', () => {
  let config: ComposeConfig;

  beforeAll(() => {
    const [command, ...prefix] = compose!;
    const output = execFileSync(command!, [...prefix, '-f', 'docker/compose.single.yaml', 'config'], {
      cwd: ROOT,
      env: { ...process.env, BOT_API_TOKEN },
      encoding: 'utf8',
    });
    config = parse(output) as ComposeConfig;
  });

  it('is one container built from the all-in-one target, with the bot embedded', () => {
    expect(Object.keys(config.services)).toEqual(['dpp']);
    expect(config.services.dpp?.build?.target).toBe('all-in-one');
    expect(config.services.dpp?.environment?.BOT_MODE).toBe('embedded');
  });

  it('keeps the embedded database in a volume, with no PostgreSQL or Redis', () => {
    const env = config.services.dpp?.environment ?? {};
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.DATA_DIR).toBe('/data');
    expect(mounts(config.services.dpp!).get('/data')).toBe('dpp-data');
  });

  it('passes every other variable of the server configuration schema through', () => {
    const env = config.services.dpp?.environment ?? {};
    const expected = Object.keys(envSchema.shape).filter((name) => name !== 'DATABASE_URL' && name !== 'REDIS_URL');
    expect(expected.filter((name) => !(name in env))).toEqual([]);
    expect(env.BOT_API_TOKEN).toBe(BOT_API_TOKEN);
  });
});

describe('docker/Dockerfile', () => {
  const stages = [...DOCKERFILE.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)\s*$/gim)].map((match) => match[1]);

  it('has the server, bot and all-in-one targets that the compose files build', () => {
    expect(stages).toEqual(expect.arrayContaining(['server', 'bot', 'all-in-one']));
    for (const file of [COMPOSE_FILE, 'docker/compose.single.yaml']) {
      const services = (parse(readFileSync(path.join(ROOT, file), 'utf8')) as ComposeConfig).services;
      const targets = Object.values(services).flatMap((service) => service.build?.target ?? []);
      expect(
        targets.filter((target) => !stages.includes(target)),
        file,
      ).toEqual([]);
    }
    // A build without --target gives the server alone.
    expect(stages.at(-1)).toBe('server');
  });

  it('sets BOT_MODE in the server and all-in-one targets', () => {
    const stage = (name: string) =>
      DOCKERFILE.split(/^FROM /m).find((part) => part.match(/^\S+\s+AS\s+(\S+)/i)?.[1] === name);
    expect(stage('all-in-one')).toMatch(/^ENV BOT_MODE=embedded$/m);
    expect(stage('server')).toMatch(/^ENV BOT_MODE=separate$/m);
  });

  it('copies the manifest of every workspace package before installing', () => {
    const workspaces = ['apps', 'packages'].flatMap((dir) =>
      readdirSync(path.join(ROOT, dir))
        .map((name) => `${dir}/${name}`)
        .filter((name) => existsSync(path.join(ROOT, name, 'package.json'))),
    );
    expect(workspaces.length).toBeGreaterThan(0);
    const missing = workspaces.filter((dir) => !DOCKERFILE.includes(`COPY ${dir}/package.json ${dir}/`));
    expect(missing).toEqual([]);
  });

  it('runs both images as an unprivileged user and checks /healthz', () => {
    expect(DOCKERFILE.match(/^USER node$/gm)).toHaveLength(2);
    expect(DOCKERFILE).toMatch(/^HEALTHCHECK [\s\S]*\/healthz/m);
  });
});

describe('deploy/unraid/discord-plex-player.xml', () => {
  const xml = readFileSync(path.join(ROOT, 'deploy/unraid/discord-plex-player.xml'), 'utf8');
  const configs = [...xml.matchAll(/<Config\s([^>]*?)\/?>/g)].map(
    (match) =>
      Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]])) as Record<
        string,
        string
      >,
  );

  it('is well-formed XML, as Unraid reads it (no `--` inside a comment, every tag closed)', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    // XML forbids `--` inside a comment (the validator lets it through; Unraid's parser does not).
    const comments = [...xml.matchAll(/<!--([\s\S]*?)-->/g)].map((match) => match[1]!);
    expect(comments.filter((text) => text.includes('--'))).toEqual([]);
  });

  it('runs the all-in-one image with its data directory and port', () => {
    expect(xml).toMatch(/<Repository>discord-plex-player\/all-in-one<\/Repository>/);
    expect(configs.find((c) => c.Type === 'Path')).toMatchObject({ Target: '/data', Mode: 'rw' });
    expect(configs.find((c) => c.Type === 'Port')).toMatchObject({ Target: '3000', Mode: 'tcp' });
  });

  it('sets only variables of the server configuration schema, masking every secret', () => {
    const variables = configs.filter((c) => c.Type === 'Variable');
    const known = Object.keys(envSchema.shape);
    expect(variables.map((c) => c.Target).filter((name) => !known.includes(name!))).toEqual([]);
    for (const required of [
      'PUBLIC_URL',
      'DISCORD_CLIENT_ID',
      'DISCORD_CLIENT_SECRET',
      'DISCORD_BOT_TOKEN',
      'SECRET_KEY',
      'BOT_API_TOKEN',
    ]) {
      expect(variables.find((c) => c.Target === required)?.Required, required).toBe('true');
    }
    for (const variable of variables) {
      if (/SECRET|TOKEN|KEY/.test(variable.Target!)) expect(variable.Mask, variable.Target).toBe('true');
    }
    expect(variables.find((c) => c.Target === 'BOT_MODE')?.Default).toBe('embedded');
  });
});
