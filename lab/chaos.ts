/**
 * `npm run lab -- --scenario chaos --minutes M`: the soak's random fault schedule played in real
 * time against the real controller in network namespaces. The clients measure, with real packets,
 * whether each group's address is served; a recorder writes the soak's trace (soak/trace.ts) from
 * the run (the controller's invocations and EC2 calls, its lease calls, its verdicts, the truth
 * every 2 s), and the soak's invariants (soak/invariants.ts) are checked over it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoStore } from '../shared/aws/dynamo.js';
import type { JournalEntry } from '../shared/core/ports.js';
import { FaultPlane } from '../sim/faults.js';
import { type Violation, availability, checkAll, convergenceMs, formatViolation } from '../soak/invariants.js';
import { type FaultRec, type InvocationRec, type LeaseRec, type MutationRec, REMEDIATIONS, SWITCHES, type Sample, type Trace, type VerdictRec, leaseOf } from '../soak/trace.js';
import { LabFaults } from './chaos-faults.js';
import { type ChaosEntry, chaosSchedule } from './chaos-schedule.js';
import type { Controller } from './controller.js';
import { LabError } from './errors.js';
import type { CleanupRegistry } from './run.js';
import { warmUpProblem, warmedUp } from './run.js';
import { GROUPS } from './topology.js';
import { LABELS, REQUEST_TIMEOUT_MS, Trial, type TrialEnv } from './trial.js';

const SAMPLE_MS = 2_000;

/** How `--help` lists the scenario. */
export const CHAOS_ENTRY = { name: 'chaos', summary: "the soak's random faults in real time for --minutes; the invariants checked (docs/reliability.md)", inDefault: false } as const;
const FUNCTION_TIMEOUT_MS = 60_000;

export interface ChaosOptions {
  readonly minutes: number;
  readonly seed: number;
}

export interface ChaosReport {
  readonly scenario: 'chaos';
  readonly ok: boolean;
  readonly minutes: number;
  readonly seed: number;
  readonly injected: Readonly<Record<string, number>>;
  readonly moves: number;
  /** Per group and per fault kind: the share of the time with a healthy member that the clients were served. */
  readonly availability: ReturnType<typeof availability>;
  /** After the last fault ended; null when the lab never settled right. */
  readonly convergenceMs: number | null;
  readonly violations: readonly string[];
  /** The longest stretches a group's clients were not served while it had a healthy member: offset from the start and length, in ms. */
  readonly gaps: Readonly<Record<string, readonly { readonly atMs: number; readonly ms: number }[]>>;
  /** Lab failures (a namespace command, a background task): the run cannot count. */
  readonly labErrors: readonly string[];
}

/** What the controller did, in the soak's terms, told apart by invocation through the async context. */
class ChaosRecorder {
  readonly invocations: InvocationRec[] = [];
  readonly mutations: MutationRec[] = [];
  readonly leases: LeaseRec[] = [];
  private readonly context = new AsyncLocalStorage<InvocationRec>();
  private readonly before = new Map<object, string | undefined>();
  private seq = 0;
  private requests = 0;

  constructor(private readonly t: Trial) {}

  /** The controller, each of whose invocations is recorded and carries its record in its async context. */
  readonly wrap = (controller: Controller): Controller => ({
    ...controller,
    probeRun: () => this.invoke('probe', (id) => controller.probeRun(id)),
    deliver: (event) => this.invoke('on-event', (id) => controller.deliver(event, id)),
  });

  private async invoke<T>(fn: 'probe' | 'on-event', run: (requestId: string) => Promise<T>): Promise<T> {
    const id = `${fn}-chaos-${(this.requests += 1)}`;
    const rec: InvocationRec = { id, fn, owner: `${fn}:${id}`, start: Date.now() };
    this.invocations.push(rec);
    try {
      return await this.context.run(rec, () => run(id));
    } finally {
      rec.end = Date.now();
    }
  }

  /** Follows the world's EC2 calls: switches and remediation, with where the slot pointed before. */
  watchWorld(): () => void {
    return this.t.world.onCall((call, phase) => {
      if (call.service !== 'ec2' || (!SWITCHES.has(call.operation) && !REMEDIATIONS.has(call.operation))) return;
      if (phase === 'before') {
        this.before.set(call, this.describe(call.operation, call.input).from);
        return;
      }
      const invocation = this.context.getStore();
      const from = this.before.get(call);
      this.before.delete(call);
      if (!invocation) return;
      const about = this.describe(call.operation, call.input);
      this.mutations.push({ at: call.at, invocation: invocation.id, operation: call.operation, group: about.group, target: about.target, from, slot: about.slot, applied: call.applied === true, seq: (this.seq += 1), ...(call.error ? { error: call.error } : {}) });
    });
  }

  /** Records lease calls and lets the plane's store faults fail DynamoDB calls; returns the undo. */
  watchStore(dynamodb: DynamoDBClient, plane: FaultPlane): () => void {
    const name = `chaosSeam-${process.pid}-${Date.now()}`;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        // Only the controller's calls: the lab's own (creating the table, reading the journal) pass.
        if (this.context.getStore()) {
          const fault = plane.dynamoFault(operation);
          if (fault) throw fault;
        }
        const output = await next(args);
        const lease = leaseOf(operation, args.input as Record<string, unknown>);
        if (lease) this.leases.push({ at: Date.now(), ...lease, seq: (this.seq += 1) });
        return output;
      },
      { step: 'initialize', priority: 'high', name },
    );
    return () => void dynamodb.middlewareStack.remove(name);
  }

  private describe(operation: string, input: Readonly<Record<string, unknown>>): { group?: string; slot?: string; target?: string; from?: string } {
    const { world, topology } = this.t;
    const instanceOfEni = (eni: unknown) => (typeof eni === 'string' ? world.enis.get(eni)?.attachment?.instanceId : undefined);
    if (operation === 'AssignPrivateIpAddresses') {
      const ip = (input['PrivateIpAddresses'] as string[] | undefined)?.[0];
      const target = instanceOfEni(input['NetworkInterfaceId']);
      return { ...(ip !== undefined && ip === topology.vip?.vip ? { group: GROUPS.vip } : {}), ...(ip ? { slot: ip, from: world.vipHolder(ip) } : {}), ...(target ? { target } : {}) };
    }
    if (operation === 'ReplaceRoute' || operation === 'CreateRoute') {
      const table = String(input['RouteTableId'] ?? '');
      const destination = String(input['DestinationCidrBlock'] ?? '');
      const target = (input['InstanceId'] as string | undefined) ?? instanceOfEni(input['NetworkInterfaceId']);
      const from = world.routeTables.has(table) ? world.routeTarget(table, destination)?.instanceId : undefined;
      const ours = Object.values(topology.nat?.routeTables ?? {}).includes(table);
      return { ...(ours ? { group: GROUPS.nat } : {}), slot: `${table}|${destination}`, ...(target ? { target } : {}), ...(from ? { from } : {}) };
    }
    const target = (input['InstanceIds'] as string[] | undefined)?.[0];
    const group = this.groupOf(target);
    return { ...(group ? { group } : {}), ...(target ? { target } : {}) };
  }

  groupOf(instanceId: string | undefined): string | undefined {
    const { vip, nat } = this.t.topology;
    if (instanceId === undefined) return undefined;
    if (vip && [vip.a.instanceId, vip.b.instanceId].includes(instanceId)) return GROUPS.vip;
    if (nat && [nat.a.instanceId, nat.b.instanceId].includes(instanceId)) return GROUPS.nat;
    return undefined;
  }
}

/** The truth about both groups now, without `served` (the clients' logs give it at the end). */
async function sampleTruth(t: Trial, faults: LabFaults, at: number): Promise<Omit<Sample, 'served'>[]> {
  const { world, topology } = t;
  const out: Omit<Sample, 'served'>[] = [];
  const ready = (id: string) => world.instances.get(id)?.instanceCheck === 'ok' && world.instances.get(id)?.systemCheck === 'ok';
  const vip = topology.vip;
  if (vip) {
    const members = [vip.a.instanceId, vip.b.instanceId];
    const healthy = members.filter((id) => faults.healthy(id));
    const reachable = members.filter((id) => world.instances.get(id)?.state === 'running' && faults.linksUp(id));
    const addresses = await Promise.all(reachable.map(async (id) => ((await t.osAddresses(id)).includes(vip.vip) ? [id] : [])));
    out.push({ at, group: GROUPS.vip, targets: [world.vipHolder(vip.vip)], healthy, ready: healthy.filter(ready), members, osUp: addresses.flat() });
  }
  const nat = topology.nat;
  if (nat) {
    const members = [nat.a.instanceId, nat.b.instanceId];
    const healthy = members.filter((id) => faults.healthy(id));
    const targets = Object.values(nat.routeTables).map((table) => world.routeTarget(table, '0.0.0.0/0')?.instanceId);
    out.push({ at, group: GROUPS.nat, targets, healthy, ready: healthy.filter(ready), members });
  }
  return out;
}

/** Served at `at`: each of the group's clients had a request answered among those sent in the last sample period. */
function servedAt(t: Trial, group: string, at: number): boolean {
  const labels = group === GROUPS.vip ? [LABELS.vip] : [LABELS.natA, LABELS.natB, LABELS.natC];
  return labels.every((label) => t.samples(label).some((s) => s.ok && s.at > at - SAMPLE_MS && s.at <= at));
}

function verdictsOf(t: Trial): VerdictRec[] {
  return t.probeLog.flatMap((n) => (n.what === 'healthy' || n.what === 'unhealthy' || n.what === 'unknown' ? [{ at: n.at, instanceId: n.id, verdict: n.what }] : []));
}

/** Per group, its ten longest unserved stretches while a member was healthy. */
function gapsOf(samples: readonly Sample[], startAt: number): Record<string, { atMs: number; ms: number }[]> {
  const out: Record<string, { atMs: number; ms: number }[]> = {};
  const open = new Map<string, number>();
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const list = (out[s.group] ??= []);
    const since = open.get(s.group);
    const bad = !s.served && s.healthy.length > 0;
    if (bad && since === undefined) open.set(s.group, s.at - SAMPLE_MS);
    if (!bad && since !== undefined) {
      list.push({ atMs: since - startAt, ms: s.at - SAMPLE_MS - since });
      open.delete(s.group);
    }
  }
  for (const list of Object.values(out)) list.sort((a, b) => b.ms - a.ms).splice(10);
  return out;
}

/** Plays the schedule, samples the truth, and checks the invariants. */
export async function runChaos(options: ChaosOptions, env: TrialEnv, register: CleanupRegistry): Promise<ChaosReport> {
  const schedule = chaosSchedule(options);
  const horizonMs = options.minutes * 60_000;
  let plane: FaultPlane | undefined;
  let recorder: ChaosRecorder | undefined;
  const t = new Trial('controller', ['vip', 'nat'], env, {}, {
    lifetimeSeconds: Math.ceil(horizonMs / 1000) + 600,
    wrapController: (c) => recorder?.wrap(c) ?? c,
    eventFate: (ms) => plane?.eventFate(ms) ?? [ms],
  });
  recorder = new ChaosRecorder(t);
  plane = new FaultPlane({ world: t.world, clock: t.clock });
  const faults = new LabFaults(t, plane);
  const unregister = register(() => t.close());
  const unwatchWorld = recorder.watchWorld();
  const unwatchStore = recorder.watchStore(env.dynamodb, plane);
  const records: FaultRec[] = [];
  const truth: Omit<Sample, 'served'>[] = [];
  const injected: Record<string, number> = {};
  const heals: Promise<void>[] = [];
  let journal: JournalEntry[] = [];
  let startAt = 0;
  try {
    env.progress('building the VPC');
    await t.start();
    if (!(await t.waitFor(() => warmedUp(t) || t.labErrors.length > 0, 30_000)) || t.labErrors.length > 0) throw new LabError(`the lab did not settle within 30 s (${warmUpProblem(t)})`);
    startAt = t.now();
    env.progress(`chaos for ${options.minutes} min: ${schedule.length} faults, the last over by +${Math.round(Math.max(0, ...schedule.map((e) => e.at + e.durationMs)) / 1000)} s`);
    const play = async (entry: ChaosEntry) => {
      await t.sleep(startAt + entry.at - t.now());
      const key = `#${entry.id}`;
      const target = 'node' in entry.fault ? faults.instanceOf(entry.fault.node) : undefined;
      const heal = await faults.apply(entry.fault, entry.seed, key);
      injected[entry.fault.kind] = (injected[entry.fault.kind] ?? 0) + 1;
      const at = t.now();
      records.push({ id: entry.id, kind: entry.fault.kind, start: at, end: at + entry.durationMs, ...(target ? { target } : {}) });
      const what = `${key} ${entry.fault.kind}${target ? ` on ${t.nameOf(target)}` : ''} for ${Math.round(entry.durationMs / 1000)} s`;
      t.timeline.add(at, 'fault', `FAULT ${what}`);
      env.progress(`fault ${what}`);
      await t.sleep(entry.durationMs);
      await heal();
      env.progress(`fault ${key} over`);
    };
    for (const entry of schedule) heals.push(play(entry));
    for (let next = startAt; next < startAt + horizonMs && t.labErrors.length === 0; next += SAMPLE_MS) {
      await t.sleep(next - t.now());
      truth.push(...(await sampleTruth(t, faults, t.now())));
      if ((next - startAt) % 60_000 === 0) env.progress(`+${Math.round((next - startAt) / 60_000)} min: ${recorder.mutations.filter((m) => m.applied && SWITCHES.has(m.operation)).length} switch calls so far`);
    }
    await Promise.all(heals);
    await t.sleep(REQUEST_TIMEOUT_MS + 200);
    const store = createDynamoStore(env.dynamodb, t.tableName ?? '');
    for (const group of Object.values(GROUPS)) journal.push(...(await store.recent(group, 100_000)));
  } finally {
    unwatchWorld();
    unwatchStore();
    unregister();
    await t.close().catch((error: unknown) => t.labErrors.push(`teardown: ${error instanceof Error ? error.message : String(error)}`));
  }
  journal = journal.filter((e) => e.at >= startAt);
  const endAt = startAt + horizonMs;
  const samples: Sample[] = truth.map((s) => ({ ...s, served: servedAt(t, s.group, s.at) }));
  const trace: Trace = {
    startAt,
    endAt,
    faultsEndAt: Math.max(startAt, ...records.map((f) => f.end)),
    groups: { [GROUPS.vip]: { kind: 'vip' }, [GROUPS.nat]: { kind: 'nat' } },
    invocations: recorder.invocations.filter((i) => i.start >= startAt - FUNCTION_TIMEOUT_MS),
    mutations: recorder.mutations,
    leases: recorder.leases,
    verdicts: verdictsOf(t),
    samples,
    faults: records,
    journal,
    finalStates: Object.fromEntries([...t.world.instances.values()].map((i) => [i.id, i.state])),
  };
  const violations: Violation[] = t.labErrors.length > 0 ? [] : checkAll(trace);
  const converged = convergenceMs(trace);
  return {
    scenario: 'chaos',
    ok: t.labErrors.length === 0 && violations.length === 0,
    minutes: options.minutes,
    seed: options.seed,
    injected,
    moves: new Set(recorder.mutations.filter((m) => m.applied && SWITCHES.has(m.operation)).map((m) => `${m.invocation}|${m.group}`)).size,
    availability: availability(trace),
    convergenceMs: converged ?? null,
    violations: violations.map((v) => formatViolation(v, startAt)),
    gaps: gapsOf(samples, startAt),
    labErrors: [...t.labErrors],
  };
}

/** The report as text: what ran, availability per group and per fault kind, violations. */
export function chaosText(r: ChaosReport): string {
  const pct = (share: number) => `${(share * 100).toFixed(2)} %`;
  const lines = [
    `chaos: ${r.minutes} min, seed ${r.seed}: ${r.ok ? 'ok' : 'WRONG'}`,
    `  faults: ${Object.entries(r.injected).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `  moves: ${r.moves}; converged ${r.convergenceMs === null ? 'never' : `${(r.convergenceMs / 1000).toFixed(0)} s`} after the last fault`,
    `  availability (clients served while a member was healthy): ${Object.entries(r.availability.byGroup).map(([g, a]) => `${g} ${pct(a.share)} of ${Math.round(a.eligibleMs / 1000)} s`).join(', ')}`,
    `  per fault kind: ${Object.entries(r.availability.byFault).sort().map(([k, a]) => `${k} ${pct(a.share)}`).join(', ')}`,
    `  longest gaps: ${Object.entries(r.gaps).map(([g, list]) => `${g} ${list.slice(0, 3).map((x) => `${(x.ms / 1000).toFixed(0)} s at +${(x.atMs / 1000).toFixed(0)} s`).join(', ') || 'none'}`).join('; ')}`,
    `  violations: ${r.violations.length}`,
    ...r.violations.map((v) => `    ${v}`),
    ...r.labErrors.map((e) => `  lab failure: ${e}`),
  ];
  return lines.join('\n');
}
