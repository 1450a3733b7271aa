/**
 * One soak run: the production functions (functions/probe.ts, on-event.ts, failover.ts, wired by
 * shared/runtime.ts as in Lambda) over the in-memory VPC on simulated time, with a fault schedule
 * applied as it goes. The probe runs every minute, EventBridge delivers the world's state changes
 * to on-event, people invoke failover; a sampler writes the truth every 2 s. At the end the
 * journal is read back and the invariants are checked over the trace.
 */
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { createHandler as createFailoverHandler } from '../functions/failover.js';
import { createHandler as createOnEventHandler } from '../functions/on-event.js';
import { createHandler as createProbeHandler } from '../functions/probe.js';
import { lambdaContext, watchedMemory } from '../lab/controller.js';
import { stateChangeEvent } from '../lab/events.js';
import { createDynamoStore, tableDefinition } from '../shared/aws/dynamo.js';
import type { Log } from '../shared/core/engine.js';
import type { JournalEntry } from '../shared/core/ports.js';
import { createFailoverRuntime } from '../shared/failover-wiring.js';
import { createProbeRuntime } from '../shared/probe/wiring.js';
import { createOnEventRuntime } from '../shared/events/wiring.js';
import type { DynaliteHandle } from '../sim/dynalite.js';
import { FaultPlane } from '../sim/faults.js';
import { installProbeHandler } from '../sim/probe-handler.js';
import { between, prng } from '../sim/prng.js';
import { simClock } from '../sim/sim-clock.js';
import { worldSensor } from '../sim/sensor.js';
import { VpcWorld } from '../sim/world.js';
import { Environment, type Recorder } from './env.js';
import { type Violation, checkAll } from './invariants.js';
import type { ScheduledFault, Slot } from './schedule.js';
import { type FaultRec, type FunctionName, type InvocationRec, type LeaseRec, type MutationRec, REMEDIATIONS, SWITCHES, type Sample, type Trace, type VerdictRec, leaseOf } from './trace.js';
import { GROUP_KINDS, SoakWorld } from './world.js';

export interface RunOptions {
  readonly seed: number;
  readonly hours: number;
  readonly schedule: readonly ScheduledFault[];
  readonly db: DynaliteHandle;
}

export interface RunResult {
  readonly trace: Trace;
  readonly violations: Violation[];
  /** Fault entries that were applied, by kind. */
  readonly injected: Record<string, number>;
  readonly wallMs: number;
}

const START = Date.UTC(2026, 0, 1);
const FUNCTION_TIMEOUT_MS = 60_000;
const SAMPLE_MS = 2_000;
const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };

let tables = 0;

/** The soak's own DynamoDB calls: a failure names the step (the product's calls fail inside the functions). */
async function harness<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new Error(`soak: ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** Drops the world's call log and the SSM invocations that finished before `before`. */
function forget(world: VpcWorld, before: number): void {
  world.clearCalls();
  for (const [key, invocation] of world.invocations) if (invocation.result && invocation.result.endAt < before) world.invocations.delete(key);
}

export async function runSoak(options: RunOptions): Promise<RunResult> {
  const wallStart = Date.now();
  const random = prng(options.seed);
  const clock = simClock(START, prng(options.seed ^ 0x5eed));
  const world = new VpcWorld({ clock, pageSize: 1000 });
  const probes = installProbeHandler(world, { random, linkLoss: (id) => plane.linkLoss(id), durationMs: () => between(random, 100, 1_500) });
  const soak = new SoakWorld(world, probes);
  const plane = new FaultPlane({ world, probes, clock });
  const sensor = worldSensor(world, clock, { random, linkLoss: (id) => plane.linkLoss(id), latencyMs: () => between(random, 20, 80) });
  const tableName = `vpcf-soak-${process.pid}-${++tables}`;
  await harness('creating the table', () => options.db.client.send(new CreateTableCommand(tableDefinition(tableName))));

  const invocations: InvocationRec[] = [];
  const mutations: MutationRec[] = [];
  const leases: LeaseRec[] = [];
  const verdicts: VerdictRec[] = [];
  const samples: Sample[] = [];
  const faults: FaultRec[] = [];
  const injected: Record<string, number> = {};
  let seq = 0;

  const recorder: Recorder = {
    holderBefore: (operation, input) => (SWITCHES.has(operation) ? soak.describeCall(operation, input).from : undefined),
    ec2(invocation, call, from) {
      if (!invocation || (!SWITCHES.has(call.operation) && !REMEDIATIONS.has(call.operation))) return;
      const about = soak.describeCall(call.operation, call.input as Record<string, unknown>);
      mutations.push({ at: call.at, invocation: invocation.id, operation: call.operation, group: about.group, target: about.target, from, slot: about.slot, applied: call.applied === true, seq: ++seq, ...(call.error ? { error: call.error } : {}) });
    },
    dynamo(_invocation, operation, input) {
      const lease = leaseOf(operation, input);
      if (lease) leases.push({ at: clock.now(), ...lease, seq: ++seq });
    },
  };

  const deps = { world, clock, plane, sensor, dynamoEndpoint: options.db.endpoint, dynamoHandler: options.db.client.config.requestHandler, recorder };
  const common = { VPCF_TABLE_NAME: tableName, VPCF_VPC_IDS: [...world.vpcs.keys()].join(',') };
  // The sim answers the egress check from its own state: nothing is sent to this documentation address.
  const probeEnv = { ...common, VPCF_SENSOR_FUNCTION: 'vpc-failover-soak-sensor', VPCF_EGRESS_ENDPOINTS: '192.0.2.10:443' };
  let envs = 0;
  const onVerdict = (id: string, before: { verdict?: string } | undefined, after: { verdict?: string }) => {
    if (before?.verdict !== after.verdict && after.verdict !== undefined) verdicts.push({ at: clock.now(), instanceId: id, verdict: after.verdict });
  };

  type Handler = (event: unknown, context: Context) => Promise<unknown>;
  interface Warm {
    readonly env: Environment;
    readonly handler: Handler;
    busy?: Promise<void>;
  }
  const build = (fn: FunctionName): Warm => {
    const env = new Environment(`${fn}-env-${++envs}`, fn, deps);
    const clients = { ec2: env.ec2, ssm: env.ssm, dynamodb: env.dynamodb };
    const settings = { clock, log: quiet, writeMetrics: () => undefined };
    if (fn === 'probe') {
      const rt = createProbeRuntime({ env: probeEnv, clients: { ...clients, lambda: env.lambda }, ...settings });
      return { env, handler: createProbeHandler(() => rt, watchedMemory(onVerdict)) as Handler };
    }
    if (fn === 'on-event') {
      const rt = createOnEventRuntime({ env: common, clients, ...settings }, env.autoscaling);
      return { env, handler: createOnEventHandler(() => rt) as Handler };
    }
    const rt = createFailoverRuntime({ env: common, clients, ...settings });
    return { env, handler: createFailoverHandler(() => rt) as Handler };
  };

  const pools: Record<FunctionName, Warm[]> = { probe: [], 'on-event': [], failover: [] };
  const pendingKills: Record<FunctionName, { id: number; atCall: number; applied: boolean }[]> = { probe: [], 'on-event': [], failover: [] };
  /** Where a moved kill was drawn: the quiet stretch at the end is the schedule's, wherever a kill lands. */
  const drawnEnd = new Map<number, number>();
  /**
   * A kill is drawn at one time and lands in the function's next invocation, maybe hours later:
   * its fault record moves to when it landed, so the invariants count the disturbance then (seed
   * 7133: an on-event killed holding a lease, 11 minutes after its kill was drawn).
   */
  const killLanded = (id: number) => {
    const at = faults.findIndex((f) => f.id === id);
    const rec = faults[at];
    if (!rec) return;
    drawnEnd.set(id, rec.end);
    faults[at] = { ...rec, start: clock.now(), end: clock.now() };
  };
  let requests = 0;

  /** One invocation in `warm`; resolves when it returned, failed, or was killed. */
  function invoke(warm: Warm, event: unknown): Promise<void> {
    const id = `${warm.env.fn}-${++requests}`;
    const rec: InvocationRec = { id, fn: warm.env.fn, owner: `${warm.env.fn === 'on-event' ? 'on-event' : warm.env.fn}:${id}`, start: clock.now() };
    invocations.push(rec);
    warm.env.current = rec;
    const kill = pendingKills[warm.env.fn].shift();
    if (kill) warm.env.armKill(kill.atCall, kill.applied, () => killLanded(kill.id));
    const work = warm.handler(event, lambdaContext(warm.env.fn, id, clock, FUNCTION_TIMEOUT_MS)).then(
      () => undefined,
      () => undefined,
    );
    const done = Promise.race([work.then(() => 'done' as const), clock.sleep(FUNCTION_TIMEOUT_MS).then(() => 'timeout' as const)]).then((how) => {
      if (how === 'timeout' && rec.end === undefined && !warm.env.dead) warm.env.die('timeout');
      if (!warm.env.dead) rec.end = clock.now();
      warm.busy = undefined;
    });
    warm.busy = done;
    return done;
  }

  /** A warm, idle environment of `fn`, or a cold new one. */
  function take(fn: FunctionName): Warm {
    pools[fn] = pools[fn].filter((w) => !w.env.dead);
    const idle = pools[fn].find((w) => w.busy === undefined);
    if (idle) return idle;
    const fresh = build(fn);
    pools[fn].push(fresh);
    return fresh;
  }

  const horizon = START + options.hours * 3_600_000;
  let overlapNext = false;
  let coldNext = false;

  async function probeSchedule(): Promise<void> {
    let probe = build('probe');
    for (let minute = 0; START + minute * 60_000 < horizon; minute += 1) {
      const scheduledAt = START + minute * 60_000;
      await clock.sleep(scheduledAt + between(random, 0, 3_000) - clock.now());
      if (probe.busy) await probe.busy;
      if (probe.env.dead || coldNext) probe = build('probe');
      coldNext = false;
      const event = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date(scheduledAt).toISOString().replace('.000Z', 'Z') };
      void invoke(probe, event);
      if (overlapNext) {
        overlapNext = false;
        void invoke(build('probe'), event);
      }
    }
  }

  let events = 0;
  world.onChange((change) => {
    if (change.kind !== 'instance-state') return;
    const event = stateChangeEvent({ instanceId: change.instanceId, state: change.to, at: world.now(), id: `00000000-0000-4000-8000-${(++events).toString(16).padStart(12, '0')}`, region: world.options.region, account: world.options.accountId });
    for (const delay of plane.eventFate(between(random, 500, 3_000))) void clock.sleep(delay).then(() => invoke(take('on-event'), event));
  });

  /** The member each tag edit took out of its group, by schedule entry. */
  const untaggedBy = new Map<number, string>();
  function inject(entry: ScheduledFault): () => void {
    const { fault } = entry;
    injected[fault.kind] = (injected[fault.kind] ?? 0) + 1;
    switch (fault.kind) {
      case 'lambda-kill':
        pendingKills[fault.fn].push({ id: entry.id, atCall: fault.atCall, applied: fault.applied });
        return () => undefined;
      case 'probe-overlap':
        overlapNext = true;
        return () => undefined;
      case 'cold-start':
        coldNext = true;
        return () => undefined;
      case 'event-unenrolled':
        return plane.inject({ kind: 'node-stop', instanceId: soak.stray }, entry.seed);
      case 'manual-failover':
        void invoke(take('failover'), { action: 'failover', group: fault.group, reason: 'soak: a person at a random moment' });
        return () => undefined;
      case 'tag-edit': {
        const { undo, untagged } = soak.editTags(fault.group, fault.edit);
        if (untagged) untaggedBy.set(entry.id, untagged);
        return undo;
      }
      default: {
        if ('node' in fault) {
          const { node, ...rest } = fault;
          const instanceId = soak.instanceOf(node);
          const heal = plane.inject({ ...rest, instanceId }, entry.seed);
          return fault.kind === 'node-terminate' ? () => (heal(), soak.replace(node as Slot)) : heal;
        }
        return plane.inject(fault, entry.seed);
      }
    }
  }

  function targetOf(entry: ScheduledFault): string | undefined {
    const { fault } = entry;
    if ('node' in fault) return soak.instanceOf(fault.node);
    if ('group' in fault) return fault.group;
    return undefined;
  }

  async function faultSchedule(): Promise<void> {
    const ordered = [...options.schedule].sort((a, b) => a.at - b.at || a.id - b.id);
    for (const entry of ordered) {
      await clock.sleep(START + entry.at - clock.now());
      const target = targetOf(entry);
      const heal = inject(entry);
      const untagged = untaggedBy.get(entry.id);
      const rec: FaultRec = { id: entry.id, kind: entry.fault.kind, start: clock.now(), end: clock.now() + entry.durationMs, ...(target ? { target } : {}), ...(untagged ? { untagged } : {}) };
      faults.push(rec);
      void clock.sleep(entry.durationMs).then(heal);
    }
  }

  async function sampler(): Promise<void> {
    for (let n = 0; clock.now() < horizon; n += 1) {
      samples.push(...soak.sample(clock.now(), plane));
      // The world keeps every call and SSM invocation, and each call scans the invocations: kept,
      // they make every call slower. The soak records what it needs itself, and no function reads
      // an invocation that ended before its own start (a function runs at most a minute).
      if (n % 30 === 0) forget(world, clock.now() - 3 * 60_000);
      await clock.sleep(SAMPLE_MS);
    }
  }

  await clock.drive(Promise.all([probeSchedule(), faultSchedule(), sampler()]));
  // Let what is under way finish (bounded: a function times out after a minute).
  await clock.drive(Promise.race([Promise.all(Object.values(pools).flat().map((w) => w.busy ?? Promise.resolve())), clock.sleep(FUNCTION_TIMEOUT_MS)]));

  const store = createDynamoStore(options.db.client, tableName, { clock });
  const journal: JournalEntry[] = [];
  for (const group of Object.keys(GROUP_KINDS)) journal.push(...(await harness('reading the journal', () => store.recent(group, 100_000))));
  await harness('deleting the table', () => options.db.client.send(new DeleteTableCommand({ TableName: tableName })));
  for (const warm of Object.values(pools).flat()) warm.env.die('fault');

  const faultsEndAt = Math.max(START, ...faults.map((f) => drawnEnd.get(f.id) ?? f.end));
  const trace: Trace = {
    startAt: START,
    endAt: horizon,
    faultsEndAt,
    groups: Object.fromEntries(Object.entries(GROUP_KINDS).map(([g, kind]) => [g, { kind }])),
    invocations,
    mutations,
    leases,
    verdicts,
    samples,
    faults,
    journal,
    finalStates: Object.fromEntries([...world.instances.values()].map((i) => [i.id, i.state])),
  };
  return { trace, violations: checkAll(trace), injected, wallMs: Date.now() - wallStart };
}
