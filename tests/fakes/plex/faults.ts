import type { IncomingMessage } from 'node:http';
import type { FakeConnectionName, FakePlexRoute } from './counters.ts';

/** What goes wrong with a matching request (after any latency). */
export type FaultAction =
  /** Answer with this status (and an optional body, text/plain unless headers say otherwise). */
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Never answer: the request stays open until the client gives up or the fake closes. */
  | { kind: 'timeout' }
  /** Destroy the connection before answering (the client sees ECONNRESET / "socket hang up"). */
  | { kind: 'reset' }
  /** Answer normally but trickle the body out at this rate. */
  | { kind: 'slowBody'; bytesPerSecond: number }
  /** Answer normally, then destroy the connection after this many body bytes. */
  | { kind: 'cutBody'; afterBytes: number };

export interface FaultRule {
  /** Only these routes (default: every route). */
  route?: FakePlexRoute | FakePlexRoute[];
  /** Only requests arriving on these listeners (default: all). */
  connection?: FakeConnectionName | FakeConnectionName[];
  /** Only this HTTP method. */
  method?: string;
  /** Only paths equal to this string, or matching this RegExp. */
  path?: string | RegExp;
  /** Any other condition. */
  when?: (req: IncomingMessage, url: URL) => boolean;
  /** Delay before the request is handled (adds up with other matching rules and the global latency). */
  latencyMs?: number;
  action?: FaultAction;
  /** Apply to the next N matching requests only, then the rule removes itself. Default: forever. */
  times?: number;
}

export interface FaultHandle {
  readonly id: number;
  /** How many requests this rule has applied to. */
  readonly hits: number;
  remove(): void;
}

export interface FaultPlan {
  latencyMs: number;
  action?: FaultAction;
}

interface ActiveRule {
  id: number;
  rule: FaultRule;
  hits: number;
  remaining: number;
}

const asList = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

/**
 * Injectable latency and faults. Rules are matched in the order they were added; latencies of all
 * matching rules add up, and the first matching rule with an action decides the action.
 */
export class FakePlexFaults {
  /** Added to every request on every listener. */
  globalLatencyMs: number;
  readonly #rules: ActiveRule[] = [];
  #nextId = 1;

  constructor(globalLatencyMs = 0) {
    this.globalLatencyMs = globalLatencyMs;
  }

  add(rule: FaultRule): FaultHandle {
    const active: ActiveRule = { id: this.#nextId++, rule, hits: 0, remaining: rule.times ?? Number.POSITIVE_INFINITY };
    this.#rules.push(active);
    return {
      id: active.id,
      get hits() {
        return active.hits;
      },
      remove: () => this.remove(active.id),
    };
  }

  remove(id: number): void {
    const i = this.#rules.findIndex((r) => r.id === id);
    if (i >= 0) this.#rules.splice(i, 1);
  }

  /** Removes every rule and the global latency. */
  clear(): void {
    this.#rules.length = 0;
    this.globalLatencyMs = 0;
  }

  list(): FaultRule[] {
    return this.#rules.map((r) => r.rule);
  }

  // Shorthands.
  latency(ms: number, route?: FakePlexRoute | FakePlexRoute[]): FaultHandle {
    return this.add({ route, latencyMs: ms });
  }
  error(route: FakePlexRoute | FakePlexRoute[] | undefined, status: number, times?: number): FaultHandle {
    return this.add({ route, action: { kind: 'status', status }, times });
  }
  timeout(route?: FakePlexRoute | FakePlexRoute[], times?: number): FaultHandle {
    return this.add({ route, action: { kind: 'timeout' }, times });
  }
  reset(route?: FakePlexRoute | FakePlexRoute[], times?: number): FaultHandle {
    return this.add({ route, action: { kind: 'reset' }, times });
  }
  slowBody(route: FakePlexRoute | FakePlexRoute[] | undefined, bytesPerSecond: number): FaultHandle {
    return this.add({ route, action: { kind: 'slowBody', bytesPerSecond } });
  }
  cutBody(route: FakePlexRoute | FakePlexRoute[] | undefined, afterBytes: number, times?: number): FaultHandle {
    return this.add({ route, action: { kind: 'cutBody', afterBytes }, times });
  }

  /** @internal Decides what happens to one request (and consumes `times`). */
  plan(route: FakePlexRoute, connection: FakeConnectionName, req: IncomingMessage, url: URL): FaultPlan {
    const plan: FaultPlan = { latencyMs: this.globalLatencyMs };
    for (const active of [...this.#rules]) {
      const { rule } = active;
      if (!matches(rule, route, connection, req, url)) continue;
      const contributes = (rule.latencyMs ?? 0) > 0 || (rule.action && !plan.action);
      if (!contributes) continue;
      plan.latencyMs += rule.latencyMs ?? 0;
      if (rule.action && !plan.action) plan.action = rule.action;
      active.hits++;
      if (--active.remaining <= 0) this.remove(active.id);
    }
    return plan;
  }
}

function matches(
  rule: FaultRule,
  route: FakePlexRoute,
  connection: FakeConnectionName,
  req: IncomingMessage,
  url: URL,
): boolean {
  const routes = asList(rule.route);
  if (routes && !routes.includes(route)) return false;
  const connections = asList(rule.connection);
  if (connections && !connections.includes(connection)) return false;
  if (rule.method && rule.method.toUpperCase() !== req.method) return false;
  if (typeof rule.path === 'string' && rule.path !== url.pathname) return false;
  if (rule.path instanceof RegExp && !rule.path.test(url.pathname)) return false;
  if (rule.when && !rule.when(req, url)) return false;
  return true;
}
