/**
 * A seeded random fault schedule: what goes wrong, where and when, as plain data, so that a run
 * replays exactly from its seed and the shrinker can drop entries and run again. Each entry carries
 * its own seed for its own draws (which calls a throttle hits, when a kill lands), so dropping one
 * entry does not change what the others do.
 */
import type { NodeFault, ServiceFault } from '../sim/faults.js';
import { between, prng } from '../sim/prng.js';

/** The soak's groups: one of each kind, members `a` (the first holder) and `b`. */
export const GROUPS = ['vip-0', 'eip-0', 'nat-0', 'overlay-0'] as const;
export type SoakGroup = (typeof GROUPS)[number];
export type Slot = `${SoakGroup}/${'a' | 'b'}`;
export const SLOTS: readonly Slot[] = GROUPS.flatMap((g) => [`${g}/a`, `${g}/b`] as const);

/** A fault the soak can inject: on a node slot, on a service, on the functions, or by people. */
export type SoakFault =
  | (NodeFault & { readonly node: Slot })
  | ServiceFault
  /** The next invocation of `fn` is killed at its `atCall`-th AWS call (that call carried out first when `applied`). */
  | { readonly kind: 'lambda-kill'; readonly fn: 'probe' | 'on-event' | 'failover'; readonly atCall: number; readonly applied: boolean }
  /** The next scheduled probe run is delivered twice, to two execution environments at once. */
  | { readonly kind: 'probe-overlap' }
  /** The probe's execution environment is recycled: the next run starts cold, with nothing in memory. */
  | { readonly kind: 'cold-start' }
  /** An instance outside every group changes state (stop, then start), and EventBridge tells on-event. */
  | { readonly kind: 'event-unenrolled' }
  /** Someone asks for a failover of the group through the manual invoke. */
  | { readonly kind: 'manual-failover'; readonly group: SoakGroup }
  /** Someone edits tags in the middle: swaps the members' priorities, or takes the standby out of the group, until the fault ends. */
  | { readonly kind: 'tag-edit'; readonly group: SoakGroup; readonly edit: 'priority-swap' | 'untag-standby' };

export type SoakFaultKind = SoakFault['kind'];

export interface ScheduledFault {
  /** Its index in the full schedule (stable through shrinking). */
  readonly id: number;
  /** Simulated ms from the start of the run. */
  readonly at: number;
  /** How long it lasts (0: an instant fault). */
  readonly durationMs: number;
  /** Seeds the fault's own draws. */
  readonly seed: number;
  readonly fault: SoakFault;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly hours: number;
  /** No fault starts before this (the groups settle first). Default 5 min. */
  readonly warmupMs?: number;
  /** Every fault has ended this long before the end, for convergence to be measured. Default 15 min. */
  readonly quietMs?: number;
  /** Mean gap between two fault starts. Default 150 s. */
  readonly meanGapMs?: number;
}

const MIN = 60_000;

type Draw = (random: () => number) => { readonly durationMs: number; readonly fault: SoakFault };

const node = (random: () => number, nat = false): Slot => {
  const pool = nat ? SLOTS.filter((s) => s.startsWith('nat-')) : SLOTS;
  return pool[Math.floor(random() * pool.length)] ?? 'vip-0/a';
};
const group = (random: () => number): SoakGroup => GROUPS[Math.floor(random() * GROUPS.length)] ?? 'vip-0';
const span = (random: () => number, minMs: number, maxMs: number) => between(random, minMs, maxMs);
const rate = (random: () => number, min: number, max: number) => Math.round((min + random() * (max - min)) * 100) / 100;

/** Each kind with its weight and how its parameters are drawn. */
const KINDS: readonly (readonly [SoakFaultKind, number, Draw])[] = [
  ['node-hang', 6, (r) => ({ durationMs: span(r, 30_000, 10 * MIN), fault: { kind: 'node-hang', node: node(r) } })],
  ['node-crash', 3, (r) => ({ durationMs: span(r, MIN, 10 * MIN), fault: { kind: 'node-crash', node: node(r) } })],
  ['node-stop', 3, (r) => ({ durationMs: span(r, 2 * MIN, 15 * MIN), fault: { kind: 'node-stop', node: node(r) } })],
  ['node-terminate', 1, (r) => ({ durationMs: span(r, 2 * MIN, 10 * MIN), fault: { kind: 'node-terminate', node: node(r) } })],
  ['node-reboot', 3, (r) => ({ durationMs: 0, fault: { kind: 'node-reboot', node: node(r) } })],
  ['nat-no-forward', 3, (r) => ({ durationMs: span(r, MIN, 10 * MIN), fault: { kind: 'nat-no-forward', node: node(r, true) } })],
  ['link-loss', 4, (r) => ({ durationMs: span(r, MIN, 20 * MIN), fault: { kind: 'link-loss', node: node(r), rate: rate(r, 0.01, 0.3) } })],
  ['link-flap', 2, (r) => ({ durationMs: span(r, MIN, 5 * MIN), fault: { kind: 'link-flap', node: node(r), periodMs: span(r, 2_000, 20_000) } })],
  ['ssm-delay', 2, (r) => ({ durationMs: span(r, 5 * MIN, 20 * MIN), fault: { kind: 'ssm-delay', node: node(r), delayMs: span(r, 2_000, 20_000) } })],
  ['ssm-undelivered', 2, (r) => ({ durationMs: span(r, MIN, 10 * MIN), fault: { kind: 'ssm-undelivered', node: node(r) } })],
  ['ssm-timeout', 2, (r) => ({ durationMs: span(r, MIN, 10 * MIN), fault: { kind: 'ssm-timeout', node: node(r) } })],
  ['ec2-throttle', 3, (r) => ({ durationMs: span(r, 30_000, 5 * MIN), fault: { kind: 'ec2-throttle', rate: rate(r, 0.1, 0.6) } })],
  ['ec2-5xx', 2, (r) => ({ durationMs: span(r, 30_000, 5 * MIN), fault: { kind: 'ec2-5xx', rate: rate(r, 0.05, 0.3) } })],
  ['ec2-timeout', 2, (r) => ({ durationMs: span(r, 30_000, 5 * MIN), fault: { kind: 'ec2-timeout', rate: rate(r, 0.05, 0.3) } })],
  ['ec2-lag', 3, (r) => ({ durationMs: span(r, 5 * MIN, 20 * MIN), fault: { kind: 'ec2-lag', lagMs: span(r, 1_000, 5_000) } })],
  ['ec2-lost-answer', 2, (r) => ({ durationMs: span(r, MIN, 5 * MIN), fault: { kind: 'ec2-lost-answer', rate: rate(r, 0.1, 0.5) } })],
  ['dynamo-throttle', 2, (r) => ({ durationMs: span(r, 30_000, 3 * MIN), fault: { kind: 'dynamo-throttle', rate: rate(r, 0.2, 0.8) } })],
  ['dynamo-unavailable', 1, (r) => ({ durationMs: span(r, 10_000, 2 * MIN), fault: { kind: 'dynamo-unavailable' } })],
  ['event-loss', 2, (r) => ({ durationMs: span(r, 5 * MIN, 30 * MIN), fault: { kind: 'event-loss', rate: rate(r, 0.2, 1) } })],
  ['event-duplicate', 2, (r) => ({ durationMs: span(r, 5 * MIN, 30 * MIN), fault: { kind: 'event-duplicate', rate: rate(r, 0.2, 1) } })],
  ['event-late', 2, (r) => ({ durationMs: span(r, 5 * MIN, 30 * MIN), fault: { kind: 'event-late', maxMs: span(r, 5_000, 60_000) } })],
  ['lambda-kill', 4, (r) => ({ durationMs: 0, fault: { kind: 'lambda-kill', fn: r() < 0.6 ? 'probe' : r() < 0.7 ? 'on-event' : 'failover', atCall: span(r, 1, 40), applied: r() < 0.5 } })],
  ['probe-overlap', 2, () => ({ durationMs: 0, fault: { kind: 'probe-overlap' } })],
  ['cold-start', 2, () => ({ durationMs: 0, fault: { kind: 'cold-start' } })],
  ['event-unenrolled', 1, (r) => ({ durationMs: span(r, MIN, 5 * MIN), fault: { kind: 'event-unenrolled' } })],
  ['manual-failover', 2, (r) => ({ durationMs: 0, fault: { kind: 'manual-failover', group: group(r) } })],
  ['tag-edit', 1, (r) => ({ durationMs: span(r, 5 * MIN, 30 * MIN), fault: { kind: 'tag-edit', group: group(r), edit: r() < 0.5 ? 'priority-swap' : 'untag-standby' } })],
];

const TOTAL_WEIGHT = KINDS.reduce((sum, [, weight]) => sum + weight, 0);

function pick(random: () => number): Draw {
  let target = random() * TOTAL_WEIGHT;
  for (const [, weight, draw] of KINDS) {
    target -= weight;
    if (target < 0) return draw;
  }
  return KINDS[0]?.[2] as Draw;
}

/** The fault kinds a schedule draws from. */
export const FAULT_KINDS: readonly SoakFaultKind[] = KINDS.map(([kind]) => kind);

/** The schedule for a seed: the same seed and hours give the same schedule, entry for entry. */
export function buildSchedule(options: ScheduleOptions): ScheduledFault[] {
  const random = prng(options.seed);
  const horizon = options.hours * 3_600_000;
  const warmup = options.warmupMs ?? 5 * MIN;
  const lastEnd = horizon - (options.quietMs ?? 15 * MIN);
  const meanGap = options.meanGapMs ?? 150_000;
  const faults: ScheduledFault[] = [];
  let at = warmup;
  for (;;) {
    at += Math.max(1_000, Math.round(-Math.log(1 - random()) * meanGap));
    if (at >= lastEnd) break;
    const seed = Math.floor(random() * 2 ** 32);
    const { durationMs, fault } = pick(random)(random);
    faults.push({ id: faults.length, at, durationMs: Math.min(durationMs, lastEnd - at), seed, fault });
  }
  return faults;
}

/** One line per entry: `#12 +01:23:45 for 120 s node-hang vip-0/a`. */
export function describeFault(entry: ScheduledFault): string {
  const { fault } = entry;
  const seconds = Math.floor(entry.at / 1000);
  const hms = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60].map((n) => String(n).padStart(2, '0')).join(':');
  const params = Object.entries(fault)
    .filter(([key]) => key !== 'kind')
    .map(([key, value]) => (key === 'node' || key === 'group' ? String(value) : `${key}=${String(value)}`))
    .join(' ');
  const lasting = entry.durationMs > 0 ? ` for ${Math.round(entry.durationMs / 1000)} s` : '';
  return `#${entry.id} +${hms}${lasting} ${fault.kind}${params ? ` ${params}` : ''}`;
}
