import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { botEnvSchema } from '../../apps/bot/src/config.ts';
import { buildApp } from '../../apps/server/src/app.ts';
import { envSchema, loadConfig, parseEnv } from '../../apps/server/src/config.ts';
import { hasTool, warnSkipping } from '../support/tools.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OVERLAYS = ['single-node', 'external'] as const;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown> & {
    replicas?: number;
    template?: { metadata?: { labels?: Record<string, string> }; spec: { containers: Container[] } };
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const kubectl = hasTool('kubectl', ['version', '--client']);
if (!kubectl) {
  warnSkipping('tests/deploy/kubernetes.test.ts', 'kubectl is not installed (it renders the kustomize overlays).');
}

function render(overlay: string): K8sObject[] {
  const output = execFileSync('kubectl', ['kustomize', path.join(ROOT, 'deploy/kubernetes/overlays', overlay)], {
    encoding: 'utf8',
  });
  return parseAllDocuments(output).map((document) => document.toJSON() as K8sObject);
}

/** The kubernetes-models class for an object's apiVersion and kind (its JSON schema validates it). */
async function modelFor(object: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : [undefined, object.apiVersion];
  const specifier = `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  const module = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  const model = module[object.kind];
  if (typeof model !== 'function') throw new Error(`kubernetes-models has no ${object.apiVersion} ${object.kind}`);
  return model as new (
    data: unknown,
  ) => { validate(): void };
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendering`);
  return found;
}

const container = (deployment: K8sObject) => deployment.spec!.template!.spec.containers[0]!;

/**
 * Every variable a container would see, with the value it would get where the manifests say it
 * (ConfigMap and Secret values; `$(NAME)` expanded the way the kubelet does).
 */
function containerEnv(objects: K8sObject[], c: Container): Map<string, string> {
  const env = new Map<string, string>();
  const source = (kind: 'ConfigMap' | 'Secret', name: string) => {
    const object = find(objects, kind, name);
    return { ...object.data, ...object.stringData };
  };
  for (const from of c.envFrom ?? []) {
    const values = from.configMapRef
      ? source('ConfigMap', from.configMapRef.name)
      : source('Secret', from.secretRef!.name);
    for (const [name, value] of Object.entries(values)) env.set(name, value);
  }
  for (const variable of c.env ?? []) {
    const ref = variable.valueFrom?.configMapKeyRef ?? variable.valueFrom?.secretKeyRef;
    const value = ref
      ? source(variable.valueFrom?.configMapKeyRef ? 'ConfigMap' : 'Secret', ref.name)[ref.key]
      : variable.value?.replace(/\$\(([A-Z_]+)\)/g, (_, name: string) => env.get(name) ?? `$(${name})`);
    if (value === undefined) throw new Error(`${variable.name} refers to a key that is not there`);
    env.set(variable.name, value);
  }
  return env;
}

describe('the kubernetes-models validator', () => {
  it('rejects an object that breaks the Kubernetes schema (so a pass below means something)', async () => {
    const broken: K8sObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: { replicas: 'two' as unknown as number },
    };
    const Model = await modelFor(broken);
    expect(() => new Model(broken).validate()).toThrow(/replicas/);
  });
});

/** The real server, built once for the file: the probes must hit routes it answers. */
let app: Awaited<ReturnType<typeof buildApp>>;
beforeAll(async () => {
  if (!kubectl) return;
  const config = loadConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-k8s-')), DATABASE_URL: 'memory://' });
  app = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });
});
afterAll(() => app?.close());

describe.skipIf(!kubectl).each(OVERLAYS)('deploy/kubernetes/overlays/%s, as kustomize renders it', (overlay) => {
  let objects: K8sObject[];

  beforeAll(() => {
    objects = render(overlay);
  });

  it('validates every object against the Kubernetes schemas', async () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      const Model = await modelFor(object);
      expect(() => new Model(object).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it('puts everything in the dpp namespace', () => {
    expect(find(objects, 'Namespace', 'dpp')).toBeDefined();
    const outside = objects.filter((object) => object.kind !== 'Namespace' && object.metadata.namespace !== 'dpp');
    expect(outside.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([]);
  });

  it('runs several server replicas, scaled by an HPA and guarded by a PodDisruptionBudget', () => {
    const server = find(objects, 'Deployment', 'dpp-server');
    expect(server.spec!.replicas).toBeGreaterThanOrEqual(2);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'dpp-server');
    expect(hpa.spec).toMatchObject({ scaleTargetRef: { kind: 'Deployment', name: 'dpp-server' }, minReplicas: 2 });
    const pdb = find(objects, 'PodDisruptionBudget', 'dpp-server');
    const podLabels = server.spec!.template!.metadata!.labels!;
    const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(podLabels).toMatchObject(selector);
  });

  it('probes paths the server answers, on the port it listens on', async () => {
    const server = find(objects, 'Deployment', 'dpp-server');
    const c = container(server);
    const env = containerEnv(objects, c);
    const port = c.ports!.find((p) => p.name === 'http')!;
    expect(String(port.containerPort)).toBe(env.get('PORT'));
    expect(env.get('HOST')).toBe('0.0.0.0');

    const probes = { startup: c.startupProbe, readiness: c.readinessProbe, liveness: c.livenessProbe };
    expect(probes.readiness?.httpGet?.path).toBe('/readyz');
    expect(probes.liveness?.httpGet?.path).toBe('/healthz');
    for (const [kind, probe] of Object.entries(probes)) {
      expect(probe?.httpGet?.port, kind).toBe('http');
      const response = await app.inject(probe!.httpGet!.path);
      expect(response.statusCode, `${kind} probe ${probe!.httpGet!.path}`).toBe(200);
    }
    expect(c.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    expect(c.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.resources?.limits).toMatchObject({ memory: expect.any(String) });
  });

  it('gives the server only variables of its config schema, and a valid production configuration once the Secret is filled', () => {
    const c = container(find(objects, 'Deployment', 'dpp-server'));
    const env = containerEnv(objects, c);
    const known = new Set(Object.keys(envSchema.shape));
    // A variable used only to build another ($(POSTGRES_PASSWORD) in DATABASE_URL) is allowed.
    const helpers = new Set(
      (c.env ?? []).flatMap((v) => [...(v.value ?? '').matchAll(/\$\(([A-Z_]+)\)/g)].map((m) => m[1])),
    );
    expect([...env.keys()].filter((name) => !known.has(name) && !helpers.has(name))).toEqual([]);

    // What an admin fills in: the template's empty values.
    const filled = Object.fromEntries(env);
    Object.assign(filled, {
      DISCORD_CLIENT_ID: '123456789012345678',
      DISCORD_CLIENT_SECRET: 'client-secret',
      DISCORD_BOT_TOKEN: 'bot-token',
      SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      BOT_API_TOKEN: 'a-bot-api-token-of-some-length',
      ...(overlay === 'external'
        ? { DATABASE_URL: 'postgres://dpp:pw@db.example.com:5432/dpp', REDIS_URL: 'redis://:pw@cache.example.com:6379' }
        : {}),
    });
    const parsed = parseEnv(filled);
    expect(parsed.NODE_ENV).toBe('production');
    // Several replicas share rooms only through Redis, and keep nothing in PGlite.
    expect(parsed.REDIS_URL).toMatch(/^rediss?:\/\//);
    expect(parsed.DATABASE_URL).toMatch(/^postgres:\/\//);
  });

  it('gives the bot one replica, the variables of its schema, and the server by its Service', () => {
    const bot = find(objects, 'Deployment', 'dpp-bot');
    expect(bot.spec!.replicas).toBe(1);
    expect(bot.spec).toMatchObject({ strategy: { type: 'Recreate' } });
    const env = containerEnv(objects, container(bot));
    const known = new Set(Object.keys(botEnvSchema.shape));
    expect([...env.keys()].filter((name) => !known.has(name))).toEqual([]);
    const service = find(objects, 'Service', 'dpp-server');
    const serverUrl = new URL(env.get('SERVER_URL')!);
    expect(serverUrl.hostname).toBe(service.metadata.name);
    expect((service.spec!.ports as { port: number }[]).map((p) => String(p.port))).toContain(serverUrl.port);
  });

  it('routes the Ingress to the server Service with WebSocket-long timeouts', () => {
    const ingress = find(objects, 'Ingress', 'dpp-server') as K8sObject & {
      metadata: { annotations: Record<string, string> };
    };
    expect(
      Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']),
    ).toBeGreaterThanOrEqual(3600);
    expect(JSON.stringify(ingress.spec)).toContain('"name":"dpp-server"');
  });
});

describe.skipIf(!kubectl)('the single-node overlay', () => {
  it('bundles PostgreSQL and Redis as StatefulSets that only the server may reach', () => {
    const objects = render('single-node');
    for (const [name, port] of [
      ['dpp-postgres', 5432],
      ['dpp-redis', 6379],
    ] as const) {
      const set = find(objects, 'StatefulSet', name);
      expect(set.spec).toMatchObject({ replicas: 1, volumeClaimTemplates: [expect.anything()] });
      const policy = objects.find(
        (object) =>
          object.kind === 'NetworkPolicy' &&
          JSON.stringify((object.spec as { podSelector: unknown }).podSelector) ===
            JSON.stringify({ matchLabels: { 'app.kubernetes.io/name': name } }),
      );
      expect(policy?.spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/name': name } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'dpp-server' } } }],
            ports: [{ port, protocol: 'TCP' }],
          },
        ],
      });
    }
    const env = containerEnv(objects, container(find(objects, 'Deployment', 'dpp-server')));
    expect(new URL(env.get('DATABASE_URL')!).hostname).toBe('dpp-postgres');
    expect(new URL(env.get('DATABASE_URL')!).password).toBe(
      find(objects, 'Secret', 'dpp-postgres').stringData!.POSTGRES_PASSWORD,
    );
    expect(new URL(env.get('REDIS_URL')!).hostname).toBe('dpp-redis');
  });
});
