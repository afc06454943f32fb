import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildApp } from '../../apps/server/src/app.ts';
import { loadConfig } from '../../apps/server/src/config.ts';
import { WsClient } from '../../apps/server/test/rooms/support/ws-client.ts';
import { hasTool, warnSkipping } from '../support/tools.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PROMETHEUS_DIR = path.join(ROOT, 'deploy/prometheus');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/discord-plex-player.json');
const OPERATIONS = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');

/** Series Prometheus makes itself for every scrape target (not in any /metrics). */
const SCRAPE_SERIES = new Set(['up']);

const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names and label names a PromQL expression uses. Not a full parser: strings, label
 * matchers, ranges and grouping clauses are read off first; every identifier left that is not
 * called like a function or a keyword is a metric name.
 */
function promqlNames(expr: string): { metrics: Set<string>; labels: Map<string, Set<string>> } {
  const metrics = new Set<string>();
  const labels = new Map<string, Set<string>>();
  const selector = /([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g;
  for (const match of expr.matchAll(selector)) {
    const names = [...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)].map((m) => m[1]!);
    if (match[1]) labels.set(match[1], new Set([...(labels.get(match[1]) ?? []), ...names]));
  }
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const match of bare.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call || PROMQL_WORDS.has(name!.toLowerCase())) continue;
    metrics.add(name!);
  }
  return { metrics, labels };
}

/** What /metrics exports: each family's name, and the sample names a histogram adds. */
function exported(text: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1]!, match[2]!);
  const names = new Map<string, string>();
  for (const [name, type] of families) {
    names.set(name, name);
    if (type === 'histogram' || type === 'summary') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.set(name + suffix, name);
    }
  }
  return names;
}

const promtool = hasTool('promtool');
if (!promtool) {
  warnSkipping(
    'the promtool checks in tests/deploy/monitoring.test.ts',
    'promtool is not installed (Debian: apt-get install prometheus).',
  );
}

interface Rule {
  alert: string;
  expr: string;
  annotations: { runbook_url: string; summary: string };
}
const rules = (
  parse(readFileSync(path.join(PROMETHEUS_DIR, 'alerts.yaml'), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((group) => group.rules);

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]).filter((p) => p.type !== 'row');

describe('promqlNames', () => {
  it('reads metric and label names off an expression, not functions, keywords or label values', () => {
    const { metrics, labels } = promqlNames(
      'sum by (instance) (rate(dpp_http_requests_total{status="5xx", job=~"a|b"}[5m])) / on (instance) sum(rate(x_total[1m])) > bool 0.05',
    );
    expect([...metrics].sort()).toEqual(['dpp_http_requests_total', 'x_total']);
    expect([...(labels.get('dpp_http_requests_total') ?? [])].sort()).toEqual(['job', 'status']);
  });
});

describe('dashboard and alerts against the metrics the server really exports', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  let names: Map<string, string>;
  let metricsText: string;

  beforeAll(async () => {
    const config = loadConfig({
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'dpp-monitoring-')),
      DATABASE_URL: 'memory://',
      PUBLIC_URL: 'http://activity.example.test',
    });
    app = await buildApp({ config, logger: false, activityRoot: '/nonexistent' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    metricsText = (await app.inject('/metrics')).body;
    names = exported(metricsText);
  });
  afterAll(() => app?.close());

  /** The label names a metric family really has (from its definition on the app's registry). */
  function labelNamesOf(family: string): string[] {
    const metric = app.metrics.registry.getSingleMetric(family) as unknown as { labelNames?: string[] } | undefined;
    return [...(metric?.labelNames ?? []), 'le', 'job', 'instance'];
  }

  function unknownNames(expr: string): string[] {
    const { metrics, labels } = promqlNames(expr);
    const problems: string[] = [];
    for (const metric of metrics) {
      if (SCRAPE_SERIES.has(metric)) continue;
      const family = names.get(metric);
      if (!family) {
        problems.push(`metric ${metric}`);
        continue;
      }
      const known = labelNamesOf(family);
      for (const label of labels.get(metric) ?? []) {
        if (!known.includes(label)) problems.push(`label ${metric}{${label}}`);
      }
    }
    return problems;
  }

  it('every dashboard panel queries metrics (and labels) that /metrics exports', () => {
    expect(panels.length).toBeGreaterThanOrEqual(12);
    for (const panel of panels) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(unknownNames(target.expr), panel.title).toEqual([]);
    }
  });

  it('every alert rule names metrics (and labels) that /metrics exports', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'DppInstanceDown',
        'DppDatabaseDown',
        'DppRedisDown',
        'DppPlexUnreachable',
        'DppPlexCircuitOpen',
        'DppHttpErrorRate',
        'DppSyncDriftHigh',
        'DppRateLimitStorm',
      ]),
    );
    for (const rule of rules) expect(unknownNames(rule.expr), rule.alert).toEqual([]);
  });

  it('every alert has a runbook section in docs/operations.md', () => {
    const anchors = new Set(
      [...OPERATIONS.matchAll(/^#+\s+(.+)$/gm)].map((m) =>
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    for (const rule of rules) {
      const [file, anchor] = rule.annotations.runbook_url.split('#');
      expect(file, rule.alert).toBe('docs/operations.md');
      expect(anchors.has(anchor!), `${rule.alert}: no heading for #${anchor}`).toBe(true);
    }
  });

  it('reports the database and the cache as up', async () => {
    const text = (await app.inject('/metrics')).body;
    expect(text).toContain('dpp_dependency_up{dependency="database",kind="pglite"} 1');
    expect(text).toContain('dpp_dependency_up{dependency="cache",kind="memory"} 1');
  });

  it('counts the drift players report on their pings, and not before they joined', async () => {
    const address = app.server.address();
    if (typeof address !== 'object' || !address) throw new Error('not listening');
    const client = await WsClient.connect(`ws://127.0.0.1:${address.port}/ws`, {
      origin: 'http://activity.example.test',
    });
    try {
      client.send({ type: 'ping', id: 1, t0: 0, driftMs: 5000 });
      await client.next('pong');
      const { token } = (await app.inject({ method: 'POST', url: '/api/auth/dev', payload: { name: 'Ada' } })).json<{
        token: string;
      }>();
      await client.hello(token, 'dev:drift');
      client.send({ type: 'ping', id: 2, t0: 0, driftMs: -120 });
      await client.next('pong');
      client.send({ type: 'ping', id: 3, t0: 0 });
      await client.next('pong');
      const text = (await app.inject('/metrics')).body;
      expect(text).toContain('dpp_sync_drift_seconds_count 1');
      expect(text).toContain('dpp_sync_drift_seconds_sum 0.12');
      expect(text).toContain('dpp_sync_drift_seconds_bucket{le="0.2"} 1');
      expect(text).toContain('dpp_sync_drift_seconds_bucket{le="0.1"} 0');
    } finally {
      await client.close();
    }
  });

  it('counts HTTP answers refused by the rate limit', async () => {
    let refused = 0;
    for (let i = 0; i < 320 && refused === 0; i++) {
      const response = await app.inject({ url: '/api/me', remoteAddress: '203.0.113.9' });
      if (response.statusCode === 429) refused += 1;
    }
    expect(refused).toBe(1);
    expect((await app.inject('/metrics')).body).toContain('dpp_rate_limited_total{scope="http"} 1');
  });
});

describe.skipIf(!promtool)('deploy/prometheus, as promtool reads it', () => {
  it('accepts the alert rules (promtool check rules)', () => {
    const output = execFileSync('promtool', ['check', 'rules', 'alerts.yaml'], {
      cwd: PROMETHEUS_DIR,
      encoding: 'utf8',
    });
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('fires the alerts on the series their unit tests feed them (promtool test rules)', () => {
    const output = execFileSync('promtool', ['test', 'rules', 'alerts.test.yaml'], {
      cwd: PROMETHEUS_DIR,
      encoding: 'utf8',
    });
    expect(output).toContain('SUCCESS');
  });

  it('accepts the example Prometheus configuration (promtool check config)', () => {
    const output = execFileSync('promtool', ['check', 'config', 'prometheus.example.yaml'], {
      cwd: PROMETHEUS_DIR,
      encoding: 'utf8',
    });
    expect(output).toContain('valid prometheus config file syntax');
  });
});
