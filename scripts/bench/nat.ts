/**
 * NAT failover across many route tables within EC2's request rate: N NATAZ tables route through
 * NAT instance A, which stops; the core switches them to B, paced to EC2's mutating bucket (50 of
 * burst, 5 a second), which the simulated EC2 meters per account. Each run is bounded as in Lambda
 * (the lease's 30 s less its margin); what a run leaves behind, the next one (a probe round, 2 s
 * later) finishes. Everything runs on a discrete-event clock with a seeded PRNG (EC2 latency
 * 100–300 ms a call, backoff jitter), so it repeats exactly.
 */
import { createEc2Port } from '../../shared/aws/ec2.js';
import { LEFT_FOR_NEXT_RUN } from '../../shared/core/apply.js';
import { FailoverEngine, type Log } from '../../shared/core/engine.js';
import { createEc2Pacer } from '../../shared/core/pace.js';
import type { Ec2Port } from '../../shared/core/ports.js';
import { between, prng } from '../../sim/prng.js';
import { simClock } from '../../sim/sim-clock.js';
import { VpcWorld, buildNatPair } from '../../sim/world.js';
import { memoryStore } from '../../test/support/memory-store.js';

const SIZES = [10, 50, 200, 500] as const;
const SEEDS = [1, 2, 3, 4, 5] as const;
/** A Lambda run: 60 s timeout, 0.5 s margin, 2 s to settle; the 30 s lease bounds the switch itself. */
const RUN_DEADLINE_MS = 57_500;
const NEXT_RUN_AFTER_MS = 2_000;
const MAX_RUNS = 10;

interface Account {
  readonly name: string;
  /** Tokens other tools spend each second. */
  readonly othersPerSecond: number;
  /** Tokens left in the bucket when A fails. */
  readonly startTokens: number;
}

const ACCOUNTS: readonly Account[] = [
  { name: 'quiet', othersPerSecond: 0, startTokens: 50 },
  { name: 'busy', othersPerSecond: 2, startTokens: 25 },
];

interface Trial {
  readonly wallMs: number;
  /** Until the last table of the failed NAT's own AZ switched. */
  readonly ownAzMs: number;
  readonly throttled: number;
  readonly retries: number;
  readonly leftAfter: readonly number[];
  readonly surfaced: number;
  readonly runs: number;
}

function withLatency(port: Ec2Port, sleep: () => Promise<void>): Ec2Port {
  return {
    observe: async (o) => (await sleep(), port.observe(o)),
    enrollment: async (ms, o) => (await sleep(), port.enrollment(ms, o)),
    apply: async (action, o) => (await sleep(), port.apply(action, o)),
    readBack: async (query, o) => (await sleep(), port.readBack(query, o)),
  };
}

async function trial(n: number, account: Account, seed: number): Promise<Trial> {
  const random = prng(seed * 7919 + n);
  const clock = simClock(1_700_000_000_000, random);
  const world = new VpcWorld({ clock, pageSize: 1000 });
  const { a, b, vpcId, azs, routeTables } = buildNatPair({ world, group: 'nat' });
  // N tables through A (three quarters of its AZ, a quarter 'any'), and a quarter as many of B's AZ on B, which stay.
  const tables = [routeTables.a, routeTables.any];
  const ownAz = new Set([routeTables.a]);
  for (let i = tables.length; i < n; i++) {
    const az = i % 4 === 3 ? 'any' : azs.a;
    const table = world.addRouteTable({ vpc: vpcId, tags: { NATAZ: az }, routes: [{ destination: '0.0.0.0/0', target: { networkInterfaceId: a.networkInterfaceId } }] });
    tables.push(table);
    if (az === azs.a) ownAz.add(table);
  }
  for (let i = 0; i < n / 4; i++) world.addRouteTable({ vpc: vpcId, tags: { NATAZ: azs.b }, routes: [{ destination: '0.0.0.0/0', target: { networkInterfaceId: b.networkInterfaceId } }] });

  world.throttle.enable();
  world.throttle.spend('mutating', 50 - account.startTokens);
  world.throttle.otherTools('mutating', account.othersPerSecond);
  const ec2 = withLatency(createEc2Port(world.clients().ec2, { clock }), () => clock.sleep(between(random, 100, 300)));
  const store = memoryStore();
  const pacer = createEc2Pacer(clock.now());
  let retries = 0;
  const log: Log = { debug() {}, info() {}, error() {}, warn: (message) => void (message === 'retrying' && retries++) };
  const left = () => tables.filter((t) => world.routeTarget(t, '0.0.0.0/0')?.networkInterfaceId !== b.networkInterfaceId).length;

  world.stop(a.instanceId);
  world.clearCalls();
  const failedAt = clock.now();
  const leftAfter: number[] = [];
  let surfaced = 0;
  for (let run = 1; run <= MAX_RUNS && (leftAfter.at(-1) ?? n) > 0; run++) {
    if (run > 1) await clock.drive(clock.sleep(NEXT_RUN_AFTER_MS));
    const engine = new FailoverEngine({
      ec2,
      host: { run: async () => [], start: async () => ({ sentAt: 0, commands: [], refused: [] }), collect: async () => [] },
      lease: store,
      journal: store,
      clock,
      log,
      pacer,
      settings: { owner: `run-${run}`, cooldownMs: 60_000, failback: { vip: 'manual', eip: 'manual', nat: 'auto', overlay: 'manual' }, leaseTtlMs: 30_000, applyConcurrency: 4, verifyIntervalMs: 500, verifyTimeoutMs: 15_000, journalLimit: 20 },
    });
    const results = await clock.drive(engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: clock.now() + RUN_DEADLINE_MS }));
    surfaced += results.flatMap((r) => r.actions).filter((r) => r.status === 'failed' || (r.status === 'skipped' && r.error !== LEFT_FOR_NEXT_RUN)).length;
    leftAfter.push(left());
  }
  const switches = world.calls.filter((c) => c.operation === 'ReplaceRoute' && c.error === undefined);
  const lastOf = (calls: typeof switches) => Math.max(...calls.map((c) => c.at)) - failedAt;
  return {
    wallMs: lastOf(switches),
    ownAzMs: lastOf(switches.filter((c) => ownAz.has(String(c.input['RouteTableId'])))),
    throttled: world.calls.filter((c) => c.error === 'RequestLimitExceeded').length,
    retries,
    leftAfter,
    surfaced,
    runs: leftAfter.length,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export async function run(): Promise<string> {
  const rows: string[] = [];
  for (const account of ACCOUNTS) {
    for (const n of SIZES) {
      const trials: Trial[] = [];
      for (const seed of SEEDS) trials.push(await trial(n, account, seed));
      const m = (pick: (t: Trial) => number) => median(trials.map(pick));
      const after = (k: number) => m((t) => t.leftAfter[k] ?? 0);
      rows.push(
        `| ${n} | ${account.name} | ${(m((t) => t.ownAzMs) / 1000).toFixed(1)} | ${(m((t) => t.wallMs) / 1000).toFixed(1)} | ${m((t) => t.throttled)} | ${m((t) => t.retries)} | ${after(0)} | ${after(1)} | ${m((t) => t.runs)} | ${Math.max(...trials.map((t) => t.leftAfter.at(-1) ?? 0))} | ${Math.max(...trials.map((t) => t.surfaced))} |`,
      );
    }
  }
  return [
    '## nat: switching N route tables within EC2 request limits',
    '',
    `N NATAZ tables route through NAT instance A (¾ its AZ, ¼ \`any\`), N/4 more through B; A stops. Simulated EC2 meters mutating calls with its default bucket (50 burst, 5/s); "busy": other tools spend 2 tokens/s and the bucket is half empty when A fails. Runs are bounded by the 30 s lease; the next run starts ${NEXT_RUN_AFTER_MS / 1000} s after one ends. Medians over ${SEEDS.length} seeds (EC2 latency 100–300 ms); times are simulated, from the failure to the last table of A's own AZ switched, and to the last table switched.`,
    '',
    '| N | account | own AZ switched (s) | all switched (s) | RequestLimitExceeded | retries | tables left after run 1 | after run 2 | runs | left at the end (max) | errors surfaced (max) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}
