/**
 * Prints the simulation's figures for docs/sync-algorithm.md:
 *   npx tsx packages/shared/test/sync/report.ts [worlds=100]
 * Same worlds as the tests (WORLD_SEED), more of them; deterministic, virtual time, a few minutes.
 * The client is the activity's SyncController (`hold: true`); the bare policy (decideCorrection
 * without a hold) is printed beside it for comparison.
 */
import fc from 'fast-check';
import { type ClockSyncOptions, SYNC, type SyncTuning } from '../../src/sync/index.ts';
import { driftStats, quantile, type SimParams, type SimResult, simulate, TYPICAL } from './sim/simulation.ts';
import { WORLD_SEED, worldArbitrary } from './sim/worlds.ts';

const count = Number(process.argv[2] ?? 100);
const print = (line = '') => console.info(line);
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'never');
const s = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(1)} s` : 'never');

const settleTimes = (results: readonly SimResult[], kind?: string) =>
  results
    .flatMap((r) => r.segments.filter((seg) => kind === undefined || seg.kind === kind))
    .map((seg) =>
      seg.convergedAfterMs === undefined
        ? Number.POSITIVE_INFINITY
        : seg.startMs + seg.convergedAfterMs - seg.effectiveMs,
    )
    .sort((a, b) => a - b);

async function summarize(
  title: string,
  worlds: readonly SimParams[],
  tuning: SyncTuning = SYNC,
  settling = true,
): Promise<void> {
  const results: SimResult[] = [];
  for (const world of worlds) results.push(await simulate({ ...world, tuning }));
  const steady = driftStats(
    results.flatMap((r) => r.segments.flatMap((seg) => seg.steady)),
    tuning.targetBandMs,
  );
  const after = driftStats(
    results.flatMap((r) => r.segments.flatMap((seg) => seg.afterEffect)),
    tuning.targetBandMs,
  );
  const perRunP95 = results.map((r) => r.steady.p95).sort((a, b) => a - b);
  const clock = results.map((r) => r.clock.p95).sort((a, b) => a - b);
  print(`### ${title} (${worlds.length} worlds)`);
  print();
  print('| figure | value |');
  print('|---|---|');
  print(
    `| \\|drift\\| once settled: p50 / p95 / p99 / max | ${[steady.p50, steady.p95, steady.p99, steady.max].map(ms).join(' / ')} |`,
  );
  print(`| worst single-run p95 once settled | ${ms(perRunP95.at(-1) ?? 0)} |`);
  print(
    `| \\|drift\\| from each command's effect on (recoveries included): p50 / p95 / p99 | ${[after.p50, after.p95, after.p99].map(ms).join(' / ')} |`,
  );
  print(`| share of that time outside ±${tuning.targetBandMs} ms | ${(after.outsideBand * 100).toFixed(1)}% |`);
  print(
    `| clock offset error (asymmetry bias included): median / worst run p95 | ${ms(quantile(clock, 0.5))} / ${ms(clock.at(-1) ?? 0)} |`,
  );
  const seeks = results.map((r) => r.seeks);
  const rates = results.map((r) => r.rateChanges);
  print(
    `| seeks per run: mean / max | ${(seeks.reduce((a, b) => a + b, 0) / results.length).toFixed(1)} / ${Math.max(...seeks)} |`,
  );
  print(
    `| playbackRate writes per run (5 min): mean / max | ${(rates.reduce((a, b) => a + b, 0) / results.length).toFixed(1)} / ${Math.max(...rates)} |`,
  );
  print();
  if (!settling) return;
  print('| settling after the command took effect | p50 | p95 | max | never settled |');
  print('|---|---|---|---|---|');
  const kinds = [...new Set(results.flatMap((r) => r.segments.map((seg) => seg.kind)))];
  for (const kind of kinds) {
    const times = settleTimes(results, kind);
    const never = times.filter((t) => !Number.isFinite(t)).length;
    print(
      `| ${kind} | ${s(quantile(times, 0.5))} | ${s(quantile(times, 0.95))} | ${s(times.at(-1) ?? 0)} | ${never} |`,
    );
  }
  print();
}

const worlds = fc.sample(worldArbitrary(), { seed: WORLD_SEED, numRuns: count });
const seekOnly = fc.sample(worldArbitrary(false), { seed: WORLD_SEED, numRuns: Math.ceil(count / 2) });
const started = performance.now();

print(`## Simulation figures (WORLD_SEED ${WORLD_SEED}, virtual time, 310 s per run)`);
print();
// The activity's client: the SyncController (pause for each seek, aim past it, hold the frame).
const controller = (world: SimParams): SimParams => ({ ...world, hold: true });
await summarize('The activity’s client (SyncController), chosen numbers (SYNC)', worlds.map(controller));
await summarize('The typical world alone (SyncController)', [controller(TYPICAL)]);
// Seek-only players rarely get within ±20 ms at all (a seek lands where it lands): no settling table.
await summarize(
  'SyncController on players that cannot nudge their rate (seeks only)',
  seekOnly.map(controller),
  SYNC,
  false,
);
// For comparison: the bare policy, decideCorrection on every tick with no hold.
await summarize('The bare policy (decideCorrection, no hold)', worlds);
await summarize('The bare policy on players that cannot nudge their rate', seekOnly, SYNC, false);

interface Variant {
  name: string;
  tuning?: Partial<SyncTuning>;
  clockOptions?: ClockSyncOptions;
}
const variants: Variant[] = [
  { name: 'chosen (SYNC)' },
  { name: 'dead band 20 ms', tuning: { enterBandMs: 20 } },
  { name: '±5%, seek only past 2 s', tuning: { maxRateDelta: 0.05, seekThresholdMs: 2_000 } },
  { name: 'nudge horizon 1 s', tuning: { rateHorizonMs: 1_000 } },
  { name: 'pings every 3 s', tuning: { clockPingIntervalMs: 3_000 } },
  { name: 'clock window 16', clockOptions: { window: 16 } },
];
print(`### One number changed at a time (SyncController, same ${worlds.length} worlds)`);
print();
print(
  '| policy | p95 once settled | worst run p95 | runs over 20 ms | max once settled | p99 incl. recoveries | stall settling p95 / max | slowest settling | rate writes per run |',
);
print('|---|---|---|---|---|---|---|---|---|');
for (const variant of variants) {
  const tuning = { ...SYNC, ...variant.tuning };
  const results: SimResult[] = [];
  for (const world of worlds) {
    results.push(await simulate({ ...controller(world), tuning, clockOptions: variant.clockOptions }));
  }
  const steady = driftStats(
    results.flatMap((r) => r.segments.flatMap((seg) => seg.steady)),
    tuning.targetBandMs,
  );
  const after = driftStats(
    results.flatMap((r) => r.segments.flatMap((seg) => seg.afterEffect)),
    tuning.targetBandMs,
  );
  const runP95 = results.map((r) => r.steady.p95);
  const stall = settleTimes(results, 'stall');
  const all = settleTimes(results);
  const rates = results.reduce((sum, r) => sum + r.rateChanges, 0) / results.length;
  print(
    `| ${variant.name} | ${ms(steady.p95)} | ${ms(Math.max(...runP95))} | ${runP95.filter((p) => p > tuning.targetBandMs).length} | ${ms(steady.max)} | ${ms(after.p99)} | ${s(quantile(stall, 0.95))} / ${s(stall.at(-1) ?? 0)} | ${s(all.at(-1) ?? 0)} | ${rates.toFixed(1)} |`,
  );
}
print();
print(`(${count} worlds, computed in ${((performance.now() - started) / 1000).toFixed(1)} s of real time)`);
