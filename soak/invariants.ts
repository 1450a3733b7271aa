/**
 * The invariants a soak (or the lab's `chaos` scenario) checks over a run's trace. Each is a pure
 * function of the trace that returns its violations, and each violation prints the invariant's name.
 *
 * The bounds are stated here, once. "Disturbed" time (a control-plane fault, a killed or recycled
 * function, people at work, and a grace after each) does not count towards the one-holder and
 * split-brain bounds: while EC2 refuses calls or the lease store is down, nothing can move.
 */
import { DEFAULT_REMEDIATION } from '../shared/core/remediate.js';
import type { FaultRec, InvocationRec, LeaseRec, MutationRec, Sample, Trace } from './trace.js';
import { REMEDIATIONS, SWITCHES } from './trace.js';

export const INVARIANTS = ['one-holder', 'never-worse', 'no-ping-pong', 'nothing-lost', 'convergence', 'availability'] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface Violation {
  readonly invariant: InvariantName;
  readonly at: number;
  readonly group?: string;
  readonly message: string;
}

/** The bounds, in simulated ms (and the availability share). */
export const BOUNDS = Object.freeze({
  /**
   * One holder: a slot may point at a member the probe judged unhealthy, while another member is
   * judged healthy, truly healthy and passes EC2's status checks, this long: detection (30 s) plus a round (3 s).
   */
  oneHolderMs: 33_000,
  /** One holder: a VIP may be up in two reachable OSes this long after the convergence window. */
  splitBrainMs: 60_000,
  /** Never worse: a move to a member that has been down (truly) this long before is a move to a member that was not healthy. */
  neverWorseMs: 60_000,
  /** No ping-pong: the cooldown (VPCF_COOLDOWN_SECONDS' default). */
  cooldownMs: 60_000,
  /**
   * Convergence: after the last fault ends, the world is right within this. A member that hangs
   * or crashes just before then is stopped and started again, and a hung OS never shuts down by
   * itself: remediation forces the stop `forceAfterMs` (300 s) after asking, then EC2 stops and
   * starts it (25 s in the simulator), so the bound is that plus two minutes (seed 8003: 318 s).
   */
  convergenceMs: DEFAULT_REMEDIATION.forceAfterMs + 120_000,
  /** Availability: the least share of the time a group's address is served while one of its members is healthy. */
  availability: 0.95,
  /** How long after a control-plane fault (or a kill) the world counts as disturbed. */
  graceMs: 120_000,
});

const CONTROL_PLANE = /^(ec2-|dynamo-|lambda-kill|probe-overlap|cold-start|tag-edit|manual-failover)/;
const OS_SIDE = /^ssm-/;

type Windows = readonly (readonly [number, number])[];

function windows(faults: readonly FaultRec[], pattern: RegExp): Windows {
  return faults.filter((f) => pattern.test(f.kind)).map((f) => [f.start, f.end + BOUNDS.graceMs] as const);
}
const inside = (list: Windows, at: number): boolean => list.some(([from, to]) => at >= from && at <= to);

/** Per instance, its verdicts in time order. */
function verdictIndex(trace: Trace): Map<string, { at: number; verdict: string }[]> {
  const index = new Map<string, { at: number; verdict: string }[]>();
  for (const v of trace.verdicts) {
    const list = index.get(v.instanceId) ?? [];
    list.push({ at: v.at, verdict: v.verdict });
    index.set(v.instanceId, list);
  }
  for (const list of index.values()) list.sort((a, b) => a.at - b.at);
  return index;
}

function latestAt<T extends { at: number }>(list: readonly T[] | undefined, at: number): T | undefined {
  if (!list) return undefined;
  let lo = 0;
  let hi = list.length - 1;
  let found: T | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const item = list[mid] as T;
    if (item.at <= at) {
      found = item;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Samples per group, in time order, and the group each instance belongs to. */
function sampleIndex(trace: Trace): { byGroup: Map<string, Sample[]>; groupOf: Map<string, string> } {
  const byGroup = new Map<string, Sample[]>();
  const groupOf = new Map<string, string>();
  for (const s of trace.samples) {
    const list = byGroup.get(s.group) ?? [];
    list.push(s);
    byGroup.set(s.group, list);
    for (const m of s.members) groupOf.set(m, s.group);
  }
  for (const list of byGroup.values()) list.sort((a, b) => a.at - b.at);
  return { byGroup, groupOf };
}

interface Index {
  readonly verdicts: Map<string, { at: number; verdict: string }[]>;
  readonly byGroup: Map<string, Sample[]>;
  readonly groupOf: Map<string, string>;
}

function indexOf(trace: Trace): Index {
  return { verdicts: verdictIndex(trace), ...sampleIndex(trace) };
}

const judged = (index: Index, id: string, at: number): string | undefined => latestAt(index.verdicts.get(id), at)?.verdict;

function trulyHealthy(index: Index, id: string, at: number): boolean | undefined {
  const group = index.groupOf.get(id);
  const sample = group === undefined ? undefined : latestAt(index.byGroup.get(group), at);
  return sample === undefined ? undefined : sample.healthy.includes(id);
}

const step = (list: readonly Sample[], i: number): number => Math.min(10_000, (list[i]?.at ?? 0) - (list[i - 1]?.at ?? list[i]?.at ?? 0));

/** 1. One holder: no slot stays on a member judged unhealthy past the bound; no VIP up in two OSes past the bound. */
export function checkOneHolder(trace: Trace): Violation[] {
  const index = indexOf(trace);
  const disturbed = windows(trace.faults, CONTROL_PLANE);
  const osDisturbed = [...disturbed, ...windows(trace.faults, OS_SIDE)];
  const out: Violation[] = [];
  for (const [group, list] of index.byGroup) {
    const stale = new Map<number, { ms: number; flagged: boolean }>();
    let split = { ms: 0, flagged: false };
    for (let i = 0; i < list.length; i += 1) {
      const s = list[i] as Sample;
      const dt = step(list, i);
      s.targets.forEach((target, slot) => {
        const other = s.members.some((m) => m !== target && judged(index, m, s.at) === 'healthy' && (s.ready ?? s.healthy).includes(m));
        const bad = target !== undefined && judged(index, target, s.at) === 'unhealthy' && other;
        const acc = stale.get(slot) ?? { ms: 0, flagged: false };
        if (!bad) stale.set(slot, { ms: 0, flagged: false });
        else if (!inside(disturbed, s.at)) {
          acc.ms += dt;
          if (acc.ms > BOUNDS.oneHolderMs && !acc.flagged) {
            acc.flagged = true;
            out.push({ invariant: 'one-holder', at: s.at, group, message: `slot ${slot} of ${group} still points at ${target}, judged unhealthy, ${Math.round(acc.ms / 1000)} s of undisturbed time while another member is healthy` });
          }
          stale.set(slot, acc);
        }
      });
      if ((s.osUp?.length ?? 0) <= 1) split = { ms: 0, flagged: false };
      else if (!inside(osDisturbed, s.at)) {
        split.ms += dt;
        if (split.ms > BOUNDS.splitBrainMs && !split.flagged) {
          split.flagged = true;
          out.push({ invariant: 'one-holder', at: s.at, group, message: `split brain: the VIP of ${group} is up in ${s.osUp?.join(' and ')} for ${Math.round(split.ms / 1000)} s` });
        }
      }
    }
  }
  return out;
}

/** The instance a lease was last acquired by, before `at`, and whether it was released since. */
function leaseHolder(trace: Trace, group: string, m: MutationRec): string | undefined {
  let holder: string | undefined;
  for (const l of trace.leases) {
    if (l.group !== group || l.at > m.at || (l.at === m.at && (l.seq ?? 0) > (m.seq ?? 0))) continue;
    if (l.kind === 'acquire') holder = l.owner;
    else if (l.owner === holder) holder = undefined;
  }
  return holder;
}

/** 2. Never worse: no move to a member that had been down for the bound; no move without holding the lease. */
export function checkNeverWorse(trace: Trace): Violation[] {
  const index = indexOf(trace);
  const owners = new Map(trace.invocations.map((i) => [i.id, i.owner]));
  const out: Violation[] = [];
  for (const m of trace.mutations) {
    if (!m.applied || m.group === undefined) continue;
    if (SWITCHES.has(m.operation) && m.target !== undefined) {
      const list = index.byGroup.get(m.group) ?? [];
      const window = list.filter((s) => s.at >= m.at - BOUNDS.neverWorseMs && s.at <= m.at);
      const downAll = window.length >= 2 && window.every((s) => s.members.includes(m.target as string) && !s.healthy.includes(m.target as string));
      // Between two broken members no move is worse: only count it when a healthy one was there to pick.
      // Samples are 2 s apart: the member must be healthy in the one before the move and the one after.
      const around = [latestAt(list, m.at), list.find((x) => x.at >= m.at)];
      const better = around.every((x) => x?.healthy.some((id) => id !== m.target) ?? false);
      const coversBound = window.length > 0 && (window[0]?.at ?? m.at) <= m.at - BOUNDS.neverWorseMs + 10_000;
      if (downAll && coversBound && better) out.push({ invariant: 'never-worse', at: m.at, group: m.group, message: `${m.operation} (${m.invocation}) pointed ${m.slot ?? '?'} at ${m.target}, down for the last ${BOUNDS.neverWorseMs / 1000} s` });
    }
    // Remediation fences a member nothing points at any more, outside the lease (shared/core/remediate.ts): only moves need it.
    if (SWITCHES.has(m.operation)) {
      const owner = owners.get(m.invocation);
      const holder = leaseHolder(trace, m.group, m);
      if (holder !== owner) out.push({ invariant: 'never-worse', at: m.at, group: m.group, message: `${m.operation} by ${owner ?? m.invocation} while the lease of ${m.group} was held by ${holder ?? 'nobody'}` });
    }
  }
  return out;
}

interface Move {
  readonly at: number;
  readonly group: string;
  readonly invocation: InvocationRec | undefined;
  readonly froms: readonly string[];
  /** Where it pointed its slots. */
  readonly tos: readonly string[];
}

/**
 * Applied switches, one move per decision: per invocation, group and lease grant (each decision
 * takes the group's lease once). A probe run decides many times over its minute; a NAT move is
 * several route calls under one grant.
 */
export function movesOf(trace: Trace): Move[] {
  const byId = new Map(trace.invocations.map((i) => [i.id, i]));
  const grants = new Map<string, LeaseRec[]>();
  for (const l of trace.leases) if (l.kind === 'acquire') grants.set(`${l.owner}|${l.group}`, [...(grants.get(`${l.owner}|${l.group}`) ?? []), l]);
  for (const list of grants.values()) list.sort((a, b) => a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0));
  const grantOf = (m: MutationRec): LeaseRec | undefined => {
    const owner = byId.get(m.invocation)?.owner;
    return latestAt(grants.get(`${owner}|${m.group}`)?.filter((l) => l.at < m.at || (l.at === m.at && (l.seq ?? 0) <= (m.seq ?? 0))), m.at);
  };
  const moves = new Map<string, { at: number; group: string; invocation: InvocationRec | undefined; froms: Set<string>; tos: Set<string> }>();
  for (const m of [...trace.mutations].sort((a, b) => a.at - b.at)) {
    if (!m.applied || !SWITCHES.has(m.operation) || m.group === undefined) continue;
    const grant = grantOf(m);
    const key = `${m.invocation}|${m.group}|${grant ? `${grant.at}.${grant.seq ?? 0}` : ''}`;
    const move = moves.get(key) ?? { at: m.at, group: m.group, invocation: byId.get(m.invocation), froms: new Set<string>(), tos: new Set<string>() };
    if (m.from !== undefined && m.from !== m.target) move.froms.add(m.from);
    if (m.target !== undefined) move.tos.add(m.target);
    moves.set(key, move);
  }
  return [...moves.values()].map((m) => ({ ...m, froms: [...m.froms], tos: [...m.tos] })).sort((a, b) => a.at - b.at);
}

/** Faults that take a node away on purpose: EC2 says so at once (stopping, shutting-down), before any probe can. */
const GOING_AWAY = new Set(['node-stop', 'node-terminate']);

/**
 * Whether `id` was on its way out when `at` came (an evacuation, not a preference): being stopped
 * or terminated, or taken out of its group by a person's tag edit (seed 8124).
 */
function goingAway(trace: Trace, id: string, at: number): boolean {
  return trace.faults.some((f) => (GOING_AWAY.has(f.kind) ? f.target === id : f.untagged === id) && f.start <= at && at <= f.end);
}

/**
 * 3. No ping-pong: two moves of a group within the cooldown only when the second leaves a failed
 * member, one being stopped or terminated, or one a person took out of the group (its tag removed),
 * finishes the first (same targets), or a person asked.
 */
export function checkNoPingPong(trace: Trace): Violation[] {
  const index = indexOf(trace);
  const out: Violation[] = [];
  const last = new Map<string, Move>();
  for (const move of movesOf(trace)) {
    const previous = last.get(move.group);
    last.set(move.group, move);
    if (!previous || move.at - previous.at >= BOUNDS.cooldownMs) continue;
    if (move.invocation?.fn === 'failover' || move.froms.length === 0) continue;
    // Finishing what the last move began (it was cut short: a kill, a throttled call) goes the same way: no ping-pong.
    if (move.tos.every((to) => previous.tos.includes(to))) continue;
    const failed = move.froms.every((id) => trulyHealthy(index, id, move.at) === false || judged(index, id, move.at) === 'unhealthy' || goingAway(trace, id, move.at));
    if (failed) continue;
    out.push({
      invariant: 'no-ping-pong',
      at: move.at,
      group: move.group,
      message: `${move.group} moved again ${Math.round((move.at - previous.at) / 1000)} s after its last move (cooldown ${BOUNDS.cooldownMs / 1000} s), away from ${move.froms.join(', ')}, which was healthy (${move.invocation?.id ?? '?'} after ${previous.invocation?.id ?? '?'})`,
    });
  }
  return out;
}

/** 4. Nothing lost: each invocation that changed a group journaled it; each stop it made is finished or given up. */
export function checkNothingLost(trace: Trace): Violation[] {
  const storeDown = windows(trace.faults, /^dynamo-/).map(([from, to]) => [from, to - BOUNDS.graceMs] as const);
  const out: Violation[] = [];
  const changed = new Map<string, { invocation: InvocationRec; groups: Set<string>; first: MutationRec }>();
  const byId = new Map(trace.invocations.map((i) => [i.id, i]));
  for (const m of trace.mutations) {
    const invocation = byId.get(m.invocation);
    if (!m.applied || m.group === undefined || !invocation || (!SWITCHES.has(m.operation) && !REMEDIATIONS.has(m.operation))) continue;
    const entry = changed.get(m.invocation) ?? { invocation, groups: new Set<string>(), first: m };
    entry.groups.add(m.group);
    changed.set(m.invocation, entry);
  }
  for (const { invocation, groups, first } of changed.values()) {
    if (invocation.killed) continue;
    const end = invocation.end ?? trace.endAt;
    if (storeDown.some(([from, to]) => from <= end && to >= invocation.start)) continue;
    for (const group of groups) {
      const journaled = trace.journal.some((e) => e.group === group && e.at >= invocation.start - 1_000 && e.at <= end + 1_000);
      if (!journaled) out.push({ invariant: 'nothing-lost', at: first.at, group, message: `${invocation.id} changed ${group} (${first.operation} on ${first.target ?? '?'}) and journaled nothing` });
    }
  }
  // The last stop the functions made of each instance must be followed by a start, or be given up.
  const lastStop = new Map<string, MutationRec>();
  for (const m of trace.mutations) if (m.applied && m.operation === 'StopInstances' && m.target !== undefined) lastStop.set(m.target, m);
  for (const [target, m] of lastStop) {
    const state = trace.finalStates[target];
    const started = trace.mutations.some((s) => s.applied && s.operation === 'StartInstances' && s.target === target && s.at >= m.at);
    // A give-up is journaled failed and without a step; a failed step (a force, say) is no give-up (seed 9023).
    const givenUp = trace.journal.some((e) => e.kind === 'remediation' && e.from === target && e.step === undefined && e.outcome === 'failed' && e.at >= m.at);
    if (state !== 'running' && state !== 'terminated' && !started && !givenUp) {
      const killed = byId.get(m.invocation)?.killed;
      out.push({ invariant: 'nothing-lost', at: m.at, group: m.group, message: `${target} was stopped by ${m.invocation}${killed ? ` (killed: ${killed})` : ''} and is still ${state ?? 'unknown'} at the end, neither started again nor given up` });
    }
  }
  return out;
}

const converged = (s: Sample): boolean =>
  s.healthy.length === 0 || (s.served && s.healthy.length === s.members.length && (s.osUp === undefined || (s.osUp.length === 1 && s.osUp[0] === s.targets[0])));

/** How long after the last fault the world was right for good (undefined: it never was). */
export function convergenceMs(trace: Trace): number | undefined {
  const after = trace.samples.filter((s) => s.at >= trace.faultsEndAt).sort((a, b) => a.at - b.at);
  if (after.length === 0) return undefined;
  let lastBad: number | undefined;
  for (const s of after) if (!converged(s)) lastBad = s.at;
  if (lastBad === undefined) return 0;
  const next = after.find((s) => s.at > lastBad);
  return next === undefined ? undefined : next.at - trace.faultsEndAt;
}

/** 5. Convergence: after the faults stop, the right holders, the OS side, every member back, within the bound. */
export function checkConvergence(trace: Trace): Violation[] {
  const ms = convergenceMs(trace);
  if (ms === undefined) {
    const bad = trace.samples.filter((s) => s.at >= trace.faultsEndAt && !converged(s)).slice(-1)[0];
    const what = bad ? `${bad.group}: targets ${bad.targets.join(',')}, healthy ${bad.healthy.join(',')} of ${bad.members.join(',')}${bad.osUp ? `, VIP up in ${bad.osUp.join(',') || 'no OS'}` : ''}` : 'no samples';
    return [{ invariant: 'convergence', at: trace.endAt, message: `not converged ${Math.round((trace.endAt - trace.faultsEndAt) / 1000)} s after the last fault (${what})` }];
  }
  if (ms > BOUNDS.convergenceMs) return [{ invariant: 'convergence', at: trace.faultsEndAt + ms, message: `converged ${Math.round(ms / 1000)} s after the last fault, over the ${BOUNDS.convergenceMs / 1000} s bound` }];
  return [];
}

export interface Availability {
  /** Simulated ms with at least one healthy member. */
  readonly eligibleMs: number;
  readonly servedMs: number;
  readonly share: number;
}

const share = (a: { eligibleMs: number; servedMs: number }): Availability => ({ ...a, share: a.eligibleMs === 0 ? 1 : a.servedMs / a.eligibleMs });

/** Served share per group, and per fault kind (over the time a fault of that kind touched the group). */
export function availability(trace: Trace): { byGroup: Record<string, Availability>; byFault: Record<string, Availability> } {
  const { byGroup, groupOf } = sampleIndex(trace);
  const groups: Record<string, { eligibleMs: number; servedMs: number }> = {};
  const faults: Record<string, { eligibleMs: number; servedMs: number }> = {};
  const touches = (f: FaultRec, group: string) => f.target === undefined || f.target === group || groupOf.get(f.target) === group;
  for (const [group, list] of byGroup) {
    const acc = (groups[group] ??= { eligibleMs: 0, servedMs: 0 });
    for (let i = 1; i < list.length; i += 1) {
      const s = list[i] as Sample;
      if (s.healthy.length === 0) continue;
      const dt = step(list, i);
      acc.eligibleMs += dt;
      if (s.served) acc.servedMs += dt;
      for (const f of trace.faults) {
        if (s.at < f.start || s.at > Math.max(f.end, f.start + 60_000) || !touches(f, group)) continue;
        const k = (faults[f.kind] ??= { eligibleMs: 0, servedMs: 0 });
        k.eligibleMs += dt;
        if (s.served) k.servedMs += dt;
      }
    }
  }
  return {
    byGroup: Object.fromEntries(Object.entries(groups).map(([g, a]) => [g, share(a)])),
    byFault: Object.fromEntries(Object.entries(faults).map(([k, a]) => [k, share(a)])),
  };
}

/** 6. Availability: each group's address served at least the stated share of the time one of its members is healthy. */
export function checkAvailability(trace: Trace): Violation[] {
  return Object.entries(availability(trace).byGroup)
    .filter(([, a]) => a.share < BOUNDS.availability)
    .map(([group, a]) => ({ invariant: 'availability' as const, at: trace.endAt, group, message: `${group} served ${(a.share * 100).toFixed(2)} % of the ${Math.round(a.eligibleMs / 1000)} s it had a healthy member (bound ${BOUNDS.availability * 100} %)` }));
}

/** Every invariant over the trace, in the order of their names. */
export function checkAll(trace: Trace): Violation[] {
  return [...checkOneHolder(trace), ...checkNeverWorse(trace), ...checkNoPingPong(trace), ...checkNothingLost(trace), ...checkConvergence(trace), ...checkAvailability(trace)];
}

/** `[one-holder] 01:23:45 vip-0: …` */
export function formatViolation(v: Violation, startAt: number): string {
  const seconds = Math.max(0, Math.floor((v.at - startAt) / 1000));
  const hms = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return `[${v.invariant}] +${hms}${v.group ? ` ${v.group}` : ''}: ${v.message}`;
}
