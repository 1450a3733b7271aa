/**
 * Sequential AWS round trips between the on-event handler's start and its first switch call, per
 * event kind. Every client's `send` is wrapped: a call's depth is one more than the deepest call
 * that had finished when it started, so concurrent calls share a depth and the first switch's depth
 * minus one is the number of round trips the event waited on before traffic moved. This is an upper
 * bound on the critical path (a call is charged for everything that finished before it started).
 */
import type { Context } from 'aws-lambda';
import { createHandler } from '../../functions/on-event.js';
import type { Log } from '../../shared/core/engine.js';
import { createRuntime } from '../../shared/runtime.js';
import { createLifecyclePort } from '../../shared/aws/autoscaling.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { type ManualClock, manualClock } from '../../sim/clock.js';
import { fixture } from '../../test/on-event/support/events.js';
import { VpcWorld, buildEipPair, buildNatPair, buildOverlayPair, buildVipPair } from '../../sim/world.js';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { tableDefinition } from '../../shared/aws/dynamo.js';

const quiet: Log = { debug() {}, info() {}, warn() {}, error() {} };
const SWITCHES = new Set(['AssignPrivateIpAddresses', 'AssociateAddress', 'ReplaceRoute', 'CreateRoute']);
const RUNS = 5;

interface Traced {
  readonly operation: string;
  readonly depth: number;
}

/** Wraps `send` on each client (once) so every call records its depth in `trace`. */
class Tracer {
  trace: Traced[] = [];
  private finished = 0;
  private readonly wrapped = new WeakSet<object>();

  reset(): void {
    this.trace = [];
    this.finished = 0;
  }

  wrap(client: { send: (...args: never[]) => Promise<unknown> }): void {
    if (this.wrapped.has(client)) return;
    this.wrapped.add(client);
    const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as { send: unknown }).send = async (...args: unknown[]) => {
      const depth = this.finished + 1;
      const name = (args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
      this.trace.push({ operation: name, depth });
      try {
        return await send(...args);
      } finally {
        this.finished = Math.max(this.finished, depth);
      }
    };
  }
}

interface Case {
  readonly kind: string;
  readonly fixture: string;
  /** Builds the world and returns the event to deliver. */
  readonly setup: (world: { clock: ManualClock }) => { world: VpcWorld; before?: (deliver: (e: unknown) => Promise<unknown>) => Promise<void>; event: () => unknown };
}

const opts = (clock: ManualClock) => ({ worldOptions: { clock, pageSize: 1000 } });
const lifecycleFixture = (world: VpcWorld, instanceId: string, hook: string, transition: string, path: string, clock: ManualClock) => {
  const token = world.startLifecycleAction({ asg: 'nat-asg', hook, instanceId, transition });
  return fixture(path, { instanceId, token, asg: 'nat-asg', hook, time: clock.now() });
};

const CASES: readonly Case[] = [
  {
    kind: 'state-change stopping (vip)',
    fixture: 'aws.ec2/stopping',
    setup: ({ clock }) => {
      const { world, a } = buildVipPair(opts(clock));
      world.setState(a.instanceId, 'stopping');
      return { world, event: () => fixture('aws.ec2/stopping', { instanceId: a.instanceId, time: clock.now() }) };
    },
  },
  {
    kind: 'state-change shutting-down (eip)',
    fixture: 'aws.ec2/shutting-down',
    setup: ({ clock }) => {
      const { world, a } = buildEipPair(opts(clock));
      world.setState(a.instanceId, 'shutting-down');
      return { world, event: () => fixture('aws.ec2/shutting-down', { instanceId: a.instanceId, time: clock.now() }) };
    },
  },
  {
    kind: 'state-change stopped, blackholes (nat)',
    fixture: 'aws.ec2/stopped',
    setup: ({ clock }) => {
      const { world, a } = buildNatPair(opts(clock));
      world.stop(a.instanceId);
      return { world, event: () => fixture('aws.ec2/stopped', { instanceId: a.instanceId, time: clock.now() }) };
    },
  },
  {
    kind: 'state-change terminated (overlay)',
    fixture: 'aws.ec2/terminated',
    setup: ({ clock }) => {
      const { world, a } = buildOverlayPair(opts(clock));
      world.terminate(a.instanceId);
      return { world, event: () => fixture('aws.ec2/terminated', { instanceId: a.instanceId, time: clock.now() }) };
    },
  },
  {
    kind: 'state-change running, failback (nat auto)',
    fixture: 'aws.ec2/running',
    setup: ({ clock }) => {
      const { world, a } = buildNatPair(opts(clock));
      return {
        world,
        before: async (deliver) => {
          world.stop(a.instanceId);
          await deliver(fixture('aws.ec2/stopped', { instanceId: a.instanceId, time: clock.now() }));
          clock.advance(120_000);
          world.start(a.instanceId, { status: 'ok' });
        },
        event: () => fixture('aws.ec2/running', { instanceId: a.instanceId, time: clock.now() }),
      };
    },
  },
  {
    kind: 'Spot interruption warning (eip)',
    fixture: 'aws.ec2/spot-interruption',
    setup: ({ clock }) => {
      const { world, a } = buildEipPair(opts(clock));
      return { world, event: () => fixture('aws.ec2/spot-interruption', { instanceId: a.instanceId, time: clock.now() }) };
    },
  },
  {
    kind: 'rebalance recommendation (overlay)',
    fixture: 'aws.ec2/rebalance',
    setup: ({ clock }) => {
      const { world, a } = buildOverlayPair(opts(clock));
      return { world, event: () => fixture('aws.ec2/rebalance', { instanceId: a.instanceId, time: clock.now() }) };
    },
  },
  {
    kind: 'terminate lifecycle (nat)',
    fixture: 'aws.autoscaling/terminate-lifecycle',
    setup: ({ clock }) => {
      const { world, a } = buildNatPair(opts(clock));
      return { world, event: () => lifecycleFixture(world, a.instanceId, 'vpc-failover-terminate', 'autoscaling:EC2_INSTANCE_TERMINATING', 'aws.autoscaling/terminate-lifecycle', clock) };
    },
  },
  {
    kind: 'launch lifecycle (nat, no switch)',
    fixture: 'aws.autoscaling/launch-lifecycle',
    setup: ({ clock }) => {
      const { world, group, publicSubnets } = buildNatPair(opts(clock));
      const c = world.addInstance({ subnet: publicSubnets.a, state: 'pending', sourceDestCheck: true, tags: { 'failover:group': group, 'failover:kind': 'nat' } });
      return { world, event: () => lifecycleFixture(world, c.instanceId, 'vpc-failover-launch', 'autoscaling:EC2_INSTANCE_LAUNCHING', 'aws.autoscaling/launch-lifecycle', clock) };
    },
  },
  {
    kind: 'not enrolled (ignored)',
    fixture: 'aws.ec2/stopping',
    setup: ({ clock }) => {
      const { world, subnetId } = buildVipPair(opts(clock));
      const stranger = world.addInstance({ subnet: subnetId });
      world.setState(stranger.instanceId, 'stopping');
      return { world, event: () => fixture('aws.ec2/stopping', { instanceId: stranger.instanceId, time: clock.now() }) };
    },
  },
  {
    kind: 'malformed (ignored)',
    fixture: 'invalid/bad-instance-id',
    setup: ({ clock }) => ({ world: buildVipPair(opts(clock)).world, event: () => fixture('invalid/bad-instance-id') }),
  },
];

let tables = 0;
let requests = 0;

/**
 * One delivery of the case's event, traced. `warm`: the execution environment has just handled
 * another event (about an instance that is not enrolled), so it remembers the enrolled instances,
 * as it does in an account with any event traffic.
 */
async function measure(c: Case, db: DynaliteHandle, tracer: Tracer, warm: boolean): Promise<{ trace: Traced[]; ms: number }> {
  const clock = manualClock();
  const { world, before, event } = c.setup({ clock });
  const tableName = `bench-events-${++tables}`;
  await db.client.send(new CreateTableCommand(tableDefinition(tableName)));
  const clients = world.clients();
  for (const client of [clients.ec2, clients.ssm, clients.autoscaling, db.client]) tracer.wrap(client as never);
  const runtime = {
    ...createRuntime({ env: { VPCF_TABLE_NAME: tableName }, clients: { ec2: clients.ec2, ssm: clients.ssm, dynamodb: db.client }, clock, log: quiet }),
    lifecycle: createLifecyclePort(clients.autoscaling),
  };
  const handler = createHandler(() => runtime);
  const deliver = (e: unknown) => handler(e, { awsRequestId: `bench-${++requests}`, getRemainingTimeInMillis: () => 60_000 } as unknown as Context);
  if (warm) {
    const stranger = world.addInstance({ subnet: [...world.subnets.keys()][0] ?? '' });
    await deliver(fixture('aws.ec2/running', { instanceId: stranger.instanceId, time: clock.now() }));
  }
  if (before) await before(deliver);
  const payload = event();
  tracer.reset();
  const started = performance.now();
  await deliver(payload);
  const ms = performance.now() - started;
  const trace = tracer.trace;
  tracer.reset();
  return { trace, ms };
}

/** Sequential round trips before the first switch (and the path they take), or undefined when nothing switched. */
function roundTrips(trace: readonly Traced[]): { depth: number; operation: string; path: string } | undefined {
  const firstSwitch = trace.find((t) => SWITCHES.has(t.operation));
  if (!firstSwitch) return undefined;
  const before = trace.filter((t) => t.depth < firstSwitch.depth);
  const path = [...new Set(before.map((t) => t.depth))].map((d) => before.filter((t) => t.depth === d).map((t) => t.operation).join(' ‖ ')).join(' → ');
  return { depth: firstSwitch.depth - 1, operation: firstSwitch.operation, path };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const VOLUME = { events: 1_000, enrolledShare: 0.01, strangers: 2_500, spacingMs: 3_600 } as const;

/**
 * AWS calls for a stream of events in a busy account: VOLUME.strangers instances that no group
 * enrols (busy Auto Scaling groups), four enrolled pairs, and VOLUME.events events (state changes,
 * Spot warnings, rebalance recommendations) of which VOLUME.enrolledShare concern enrolled
 * instances, delivered one by one to ONE warm execution environment, an hour's worth.
 */
async function volume(db: DynaliteHandle): Promise<string> {
  const clock = manualClock();
  const world = new VpcWorld({ clock, pageSize: 1000 });
  const pairs = [buildVipPair({ world }), buildEipPair({ world }), buildNatPair({ world }), buildOverlayPair({ world })];
  const strangerSubnets = Array.from({ length: 10 }, (_, i) => world.addSubnet({ vpc: pairs[0]?.vpcId ?? '', cidr: `10.0.${100 + i}.0/24` }));
  const strangers = Array.from({ length: VOLUME.strangers }, (_, i) => world.addInstance({ subnet: strangerSubnets[i % strangerSubnets.length] ?? '' }).instanceId);
  const members = pairs.flatMap((p) => [p.a.instanceId, p.b.instanceId]);
  const tableName = `bench-events-volume-${++tables}`;
  await db.client.send(new CreateTableCommand(tableDefinition(tableName)));
  let dynamoCalls = 0;
  db.client.middlewareStack.add((next) => (args) => {
    dynamoCalls++;
    return next(args);
  }, { name: 'benchVolumeCount' });
  const clients = world.clients();
  const runtime = {
    ...createRuntime({ env: { VPCF_TABLE_NAME: tableName }, clients: { ec2: clients.ec2, ssm: clients.ssm, dynamodb: db.client }, clock, log: quiet }),
    lifecycle: createLifecyclePort(clients.autoscaling),
  };
  const handler = createHandler(() => runtime);
  // The rules deliver no 'pending' state change (serverless.yml), so none is sent here.
  const kinds = ['aws.ec2/running', 'aws.ec2/stopping', 'aws.ec2/stopped', 'aws.ec2/terminated', 'aws.ec2/spot-interruption', 'aws.ec2/rebalance'] as const;
  // A fixed sequence, so every run (and the figures before and after a change) sees the same events.
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  world.clearCalls();
  dynamoCalls = 0;
  let enrolledEvents = 0;
  for (let i = 0; i < VOLUME.events; i++) {
    const enrolled = (i + 1) % Math.round(1 / VOLUME.enrolledShare) === 0;
    // Enrolled instances only see events that leave them running: the groups stay as they are.
    const kind = enrolled ? 'aws.ec2/running' : (kinds[Math.floor(next() * kinds.length)] ?? 'aws.ec2/running');
    const instanceId = enrolled ? (members[enrolledEvents++ % members.length] ?? '') : (strangers[Math.floor(next() * strangers.length)] ?? '');
    clock.advance(VOLUME.spacingMs);
    await handler(fixture(kind, { instanceId, time: clock.now(), id: `volume-${i}` }), { awsRequestId: `volume-${i}`, getRemainingTimeInMillis: () => 60_000 } as unknown as Context);
  }
  const byOp = new Map<string, number>();
  for (const call of world.calls) byOp.set(call.operation, (byOp.get(call.operation) ?? 0) + 1);
  const ops = [...byOp].sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `${op} ${n}`).join(', ');
  db.client.middlewareStack.remove('benchVolumeCount');
  return [
    '## on-event: AWS calls for a stream of events (`npm run bench -- events`)',
    '',
    `${VOLUME.events} events spread over an hour (one every ${VOLUME.spacingMs / 1000} s), ${Math.round(VOLUME.enrolledShare * 100)} % about enrolled instances (${enrolledEvents}), in a region with ${VOLUME.strangers} other instances; one warm execution environment; EC2 pages of 1,000 as in AWS.`,
    '',
    '| EC2 calls | DynamoDB calls | by operation |',
    '|---:|---:|---|',
    `| ${world.calls.length} | ${dynamoCalls} | ${ops} |`,
  ].join('\n');
}

export async function run(): Promise<string> {
  const db = await startDynalite('bench-events');
  const tracer = new Tracer();
  const rows: string[] = [];
  try {
    for (const c of CASES) {
      const cold = [];
      for (let i = 0; i < RUNS; i++) cold.push(await measure(c, db, tracer, false));
      const warm = await measure(c, db, tracer, true);
      const { trace } = cold[0] ?? { trace: [] };
      const coldTrips = roundTrips(trace);
      const warmTrips = roundTrips(warm.trace);
      const complete = trace.find((t) => t.operation === 'CompleteLifecycleAction');
      const count = (op: string) => trace.filter((t) => t.operation === op).length;
      rows.push(
        `| ${c.kind} | \`${c.fixture}\` | ${warmTrips ? `${warmTrips.depth} (${warmTrips.operation})` : 'no switch'} | ${coldTrips ? coldTrips.depth : 'no switch'} | ${coldTrips?.path || '-'} | ${complete ? complete.depth - 1 : '-'} | ${trace.length} | ${count('DescribeInstances')} | ${median(cold.map((r) => r.ms)).toFixed(1)} |`,
      );
    }
    rows.push('', await volume(db));
  } finally {
    await db.stop();
  }
  return [
    '## on-event: sequential round trips before the switch',
    '',
    `In-memory VPC (VpcWorld, page size 1000 like EC2) and dynalite on loopback; ${RUNS} runs per row, the trace is deterministic, wall time is the median. `,
    '"Round trips before switch" counts sequential AWS calls from the handler start to the first AssignPrivateIpAddresses / AssociateAddress / ReplaceRoute / CreateRoute; ‖ marks calls in flight together.',
    'Warm: the execution environment handled an event before and remembers the enrolled instances; cold: its first event (the path shown, and the other columns, are the cold run).',
    '',
    '| event | fixture | round trips before switch, warm | cold | path (cold) | round trips before CompleteLifecycleAction | AWS calls | DescribeInstances | handler ms (in-memory) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
