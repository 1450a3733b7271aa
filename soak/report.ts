/**
 * The soak's report, over one run or many: faults injected by kind, moves, availability per group
 * kind and per fault kind, violations, the worst convergence time, and wall time per simulated day.
 */
import { type Availability, availability, convergenceMs, formatViolation, movesOf } from './invariants.js';
import type { RunResult } from './run.js';

export interface SeedSummary {
  readonly seed: number;
  readonly hours: number;
  readonly wallMs: number;
  readonly faults: number;
  readonly moves: number;
  readonly convergenceMs: number | null;
  readonly violations: readonly string[];
}

export interface SoakReport {
  readonly seeds: readonly SeedSummary[];
  readonly simulatedHours: number;
  readonly wallMs: number;
  /** Wall seconds per simulated day. */
  readonly wallSecondsPerSimulatedDay: number;
  readonly faultsByKind: Readonly<Record<string, number>>;
  readonly movesByGroupKind: Readonly<Record<string, number>>;
  readonly availabilityByGroupKind: Readonly<Record<string, Availability>>;
  readonly availabilityByFaultKind: Readonly<Record<string, Availability>>;
  readonly violations: number;
  readonly worstConvergenceMs: number | null;
  /** Invocations killed by their timeout (not by a fault): each loses its warm state. */
  readonly timeouts: number;
  /** Invocations killed by an injected fault. */
  readonly killedByFault: number;
}

const add = (into: Record<string, number>, key: string, n = 1) => void (into[key] = (into[key] ?? 0) + n);

function merge(into: Record<string, { eligibleMs: number; servedMs: number }>, key: string, a: Availability): void {
  const acc = (into[key] ??= { eligibleMs: 0, servedMs: 0 });
  acc.eligibleMs += a.eligibleMs;
  acc.servedMs += a.servedMs;
}

const finish = (all: Record<string, { eligibleMs: number; servedMs: number }>): Record<string, Availability> =>
  Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)).map(([k, a]) => [k, { ...a, share: a.eligibleMs === 0 ? 1 : a.servedMs / a.eligibleMs }]));

/** What the report keeps of one run: the trace itself is dropped, so long soaks stay small. */
export interface SeedDigest {
  readonly summary: SeedSummary;
  readonly injected: Readonly<Record<string, number>>;
  readonly movesByGroupKind: Readonly<Record<string, number>>;
  readonly byGroupKind: Readonly<Record<string, Availability>>;
  readonly byFaultKind: Readonly<Record<string, Availability>>;
  readonly timeouts: number;
  readonly killedByFault: number;
}

/** The digest of one run (one seed). */
export function digest(seed: number, hours: number, result: RunResult): SeedDigest {
  const { trace } = result;
  const moves = movesOf(trace);
  const movesByGroupKind: Record<string, number> = {};
  for (const move of moves) add(movesByGroupKind, trace.groups[move.group]?.kind ?? 'unknown');
  const avail = availability(trace);
  const byGroupKind: Record<string, { eligibleMs: number; servedMs: number }> = {};
  for (const [group, a] of Object.entries(avail.byGroup)) merge(byGroupKind, trace.groups[group]?.kind ?? group, a);
  const conv = convergenceMs(trace);
  return {
    summary: {
      seed,
      hours,
      wallMs: result.wallMs,
      faults: trace.faults.length,
      moves: moves.length,
      convergenceMs: conv ?? null,
      violations: result.violations.map((v) => formatViolation(v, trace.startAt)),
    },
    injected: result.injected,
    movesByGroupKind,
    byGroupKind: finish(byGroupKind),
    byFaultKind: avail.byFault,
    timeouts: trace.invocations.filter((i) => i.killed === 'timeout').length,
    killedByFault: trace.invocations.filter((i) => i.killed === 'fault').length,
  };
}

/** Folds the digests (one per seed) into one report. */
export function buildReport(digests: readonly SeedDigest[]): SoakReport {
  const faultsByKind: Record<string, number> = {};
  const movesByGroupKind: Record<string, number> = {};
  const byGroupKind: Record<string, { eligibleMs: number; servedMs: number }> = {};
  const byFaultKind: Record<string, { eligibleMs: number; servedMs: number }> = {};
  let worst: number | null = 0;
  for (const d of digests) {
    for (const [kind, n] of Object.entries(d.injected)) add(faultsByKind, kind, n);
    for (const [kind, n] of Object.entries(d.movesByGroupKind)) add(movesByGroupKind, kind, n);
    for (const [kind, a] of Object.entries(d.byGroupKind)) merge(byGroupKind, kind, a);
    for (const [kind, a] of Object.entries(d.byFaultKind)) merge(byFaultKind, kind, a);
    const conv = d.summary.convergenceMs;
    worst = conv === null || worst === null ? null : Math.max(worst, conv);
  }
  const seeds = digests.map((d) => d.summary);
  const simulatedHours = seeds.reduce((sum, s) => sum + s.hours, 0);
  const wallMs = seeds.reduce((sum, s) => sum + s.wallMs, 0);
  return {
    seeds,
    simulatedHours,
    wallMs,
    wallSecondsPerSimulatedDay: simulatedHours === 0 ? 0 : Math.round((wallMs / 1000 / simulatedHours) * 24 * 10) / 10,
    faultsByKind: Object.fromEntries(Object.entries(faultsByKind).sort(([a], [b]) => a.localeCompare(b))),
    movesByGroupKind,
    availabilityByGroupKind: finish(byGroupKind),
    availabilityByFaultKind: finish(byFaultKind),
    violations: seeds.reduce((sum, s) => sum + s.violations.length, 0),
    worstConvergenceMs: worst,
    timeouts: digests.reduce((sum, d) => sum + d.timeouts, 0),
    killedByFault: digests.reduce((sum, d) => sum + d.killedByFault, 0),
  };
}

const pct = (a: Availability) => `${(a.share * 100).toFixed(3)} %`;

/** The report as text. */
export function formatReport(report: SoakReport): string {
  const lines = [
    `soak: ${report.seeds.length} seed(s), ${report.simulatedHours} simulated hours in ${(report.wallMs / 1000).toFixed(1)} s (${report.wallSecondsPerSimulatedDay} s per simulated day)`,
    `faults injected (${Object.values(report.faultsByKind).reduce((a, b) => a + b, 0)}): ${Object.entries(report.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `moves: ${Object.entries(report.movesByGroupKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `availability per group kind (while a member is healthy): ${Object.entries(report.availabilityByGroupKind).map(([k, a]) => `${k} ${pct(a)}`).join(', ')}`,
    `availability per fault kind (groups it touched, while it lasted): ${Object.entries(report.availabilityByFaultKind).map(([k, a]) => `${k} ${pct(a)}`).join(', ')}`,
    `worst convergence after the last fault: ${report.worstConvergenceMs === null ? 'never converged' : `${(report.worstConvergenceMs / 1000).toFixed(0)} s`}`,
    `invocations killed by a fault: ${report.killedByFault}; by their timeout: ${report.timeouts}`,
    `violations: ${report.violations}`,
  ];
  for (const seed of report.seeds) for (const v of seed.violations) lines.push(`  seed ${seed.seed}: ${v}`);
  return lines.join('\n');
}
