/**
 * Probing: AWS calls per round as the fleet grows, detection time from a silent failure to the
 * switch call, and false failovers under loss, against the legacy vip_monitor.sh loop. Everything
 * runs in the simulated VpcWorld on a discrete-event clock with a seeded PRNG, so it repeats exactly.
 */
import type { VipPair } from '../../sim/world.js';
import { probeHarness } from '../../test/probe/support/harness.js';
import { between, prng } from '../../sim/prng.js';
import type { SimClock } from '../../sim/sim-clock.js';

const RUN_MS = 57_000;
/** The injected latencies: SSM round trip 1–3 s (500 ms delivery in the world + 0.5–2.5 s script), EC2 100–300 ms. */
const LATENCY = { ssmDurationMs: [500, 2_500], ec2LatencyMs: [100, 300] } as const;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
const s = (ms: number) => (ms / 1000).toFixed(2);

async function callsPerRound(groups: number): Promise<string> {
  const h = probeHarness({ groups, seed: groups });
  const summary = await h.run(RUN_MS);
  const count = (op: string) => h.world.count(op);
  const describes = h.world.calls.filter((c) => c.service === 'ec2' && c.operation.startsWith('Describe')).length;
  const per = (n: number) => (n / summary.rounds).toFixed(2);
  const ssm = count('SendCommand');
  const checks = (h.probes.checksRun.length / Math.max(1, summary.sweeps)).toFixed(0);
  return `| ${groups} | ${groups * 2} | ${summary.rounds} | ${per(h.sensor.requests.length)} | ${per(h.metrics.batches.length)} | ${per(describes)} (${describes}/run) | ${summary.sweeps} | ${ssm} (${(ssm / Math.max(1, summary.sweeps)).toFixed(1)}/sweep) | ${checks} | ${per(count('ListCommandInvocations'))} | ${per(count('GetCommandInvocation'))} |`;
}

/** Hangs the holder at a random moment; returns ms from the failure to the first switch call. */
async function ourDetection(seed: number): Promise<number> {
  const h = probeHarness({ seed, ...LATENCY });
  const { a } = h.pairs[0] as VipPair;
  const random = prng(seed * 7919);
  let hungAt = Number.NaN;
  const failAfter = between(random, 10_000, 30_000);
  void h.clock.sleep(failAfter).then(() => {
    h.world.hang(a.instanceId);
    hungAt = h.clock.now();
  });
  await h.run(RUN_MS);
  const call = h.world.calls.find((c) => c.operation === 'AssignPrivateIpAddresses');
  return call ? call.at - hungAt : Number.POSITIVE_INFINITY;
}

interface Legacy {
  /** Whether the peer answers at this moment, from the standby's point of view. */
  readonly peerAnswers: () => boolean;
  readonly clock: SimClock;
  readonly random: () => number;
  readonly ec2LatencyMs: readonly [number, number];
}

/**
 * vip_monitor.sh as the issue describes it: the standby runs `ping -c 3 -W 1 <peer>` (one echo a
 * second, the last waited for 1 s), takes over when all three are lost, and sleeps 2 s between
 * checks. Returns when it takes over (the assign call has been sent), or never.
 */
async function legacyMonitor(l: Legacy, stop: () => boolean): Promise<number | undefined> {
  const { clock } = l;
  while (!stop()) {
    let answered = 0;
    for (let i = 0; i < 3; i += 1) {
      if (l.peerAnswers()) answered += 1;
      await clock.sleep(1_000);
    }
    if (answered === 0) {
      await clock.sleep(between(l.random, l.ec2LatencyMs[0], l.ec2LatencyMs[1]));
      return clock.now();
    }
    await clock.sleep(2_000);
  }
  return undefined;
}

async function legacyDetection(seed: number): Promise<number> {
  const h = probeHarness({ seed, ...LATENCY });
  const { a } = h.pairs[0] as VipPair;
  const random = prng(seed * 104_729);
  // The monitor started some time before; its phase relative to the failure is random.
  await h.clock.drive(h.clock.sleep(between(random, 0, 4_000)));
  const started = h.clock.now();
  const failAt = started + between(random, 10_000, 30_000);
  void h.clock.sleep(failAt - started).then(() => h.world.hang(a.instanceId));
  let done = false;
  const tookOver = await h.clock.drive(
    legacyMonitor({ peerAnswers: () => h.world.isReachable(a.instanceId), clock: h.clock, random, ec2LatencyMs: LATENCY.ec2LatencyMs }, () => done || h.clock.now() > failAt + 60_000),
  );
  done = true;
  return tookOver === undefined ? Number.POSITIVE_INFINITY : tookOver - failAt;
}

/** Blind stretches of 3–10 s covering about 5 % of the time, on the world clock. */
function blindStretches(clock: SimClock, random: () => number, set: (blind: boolean) => void): void {
  const cycle = async () => {
    for (;;) {
      await clock.sleep(between(random, 60_000, 200_000));
      set(true);
      await clock.sleep(between(random, 3_000, 10_000));
      set(false);
    }
  };
  void cycle();
}

async function ourFalseFailovers(rounds: number): Promise<{ moves: number; rounds: number; blindRounds: number }> {
  const h = probeHarness({ seed: 42, lossRate: 0.01, ...LATENCY });
  blindStretches(h.clock, prng(4242), (blind) => {
    h.sensor.blind = blind;
  });
  let blindRounds = 0;
  while (h.rounds.length < rounds) {
    await h.run(RUN_MS, () => {
      if (h.sensor.blind) blindRounds += 1;
    });
  }
  const moves = h.world.calls.filter((c) => c.operation === 'AssignPrivateIpAddresses').length;
  return { moves, rounds: h.rounds.length, blindRounds };
}

async function legacyFalseFailovers(checks: number): Promise<number> {
  const h = probeHarness({ seed: 43 });
  const random = prng(4343);
  let blind = false;
  blindStretches(h.clock, prng(4242), (b) => {
    blind = b;
  });
  let takeovers = 0;
  let done = 0;
  // Each check is 3 pings with 1 % loss each; a takeover swaps the roles and the new standby carries on.
  const monitor = async () => {
    while (done < checks) {
      let answered = 0;
      for (let i = 0; i < 3; i += 1) {
        if (!blind && random() >= 0.01) answered += 1;
        await h.clock.sleep(1_000);
      }
      done += 1;
      if (answered === 0) takeovers += 1;
      await h.clock.sleep(2_000);
    }
  };
  await h.clock.drive(monitor());
  return takeovers;
}

export async function run(): Promise<string> {
  const out: string[] = ['## Probing (scripts/bench/probe.ts)', ''];
  out.push('Simulated VpcWorld, discrete-event clock, seeded PRNG; defaults: 2 s rounds, fall 2, rise 3, 1 s TCP timeout, 15 s SSM sweep.', '');

  out.push('### AWS calls per round (one 57 s run, two-node vip groups, no failures)', '');
  out.push('| groups | nodes | rounds | Lambda Invoke / round | metric flushes (EMF lines) / round | EC2 Describe* / round | SSM sweeps | SendCommand | checks run on probers / sweep | ListCommandInvocations / round | GetCommandInvocation / round |');
  out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const groups of [1, 10, 50, 200]) out.push(await callsPerRound(groups));
  out.push(
    '',
    'SendCommand and ListCommandInvocations grow with batches of 50 probers (or 300 checks summed over their blocks), not with nodes. Each prober runs only its own block (its group\'s peers), so its output stays far below the 2,500 bytes the listing shows, and GetCommandInvocation is needed only for output that may have been cut or has stderr.',
    '',
  );

  const trials = 200;
  const ours: number[] = [];
  const legacy: number[] = [];
  for (let seed = 1; seed <= trials; seed += 1) {
    ours.push(await ourDetection(seed));
    legacy.push(await legacyDetection(seed));
  }
  ours.sort((x, y) => x - y);
  legacy.sort((x, y) => x - y);
  out.push(`### Detection time: silent failure (hang) at a random moment to the switch call (${trials} trials)`, '');
  out.push('Injected latencies: SSM round trip 1–3 s, EC2 calls 100–300 ms, sensor invoke 20–80 ms.', '');
  out.push('| loop | p50 (s) | p99 (s) | min (s) | max (s) | goal |');
  out.push('|---|---:|---:|---:|---:|---|');
  out.push(`| vpc-failover probe (sensor + SSM peers, fall 2) | ${s(percentile(ours, 50))} | ${s(percentile(ours, 99))} | ${s(ours[0] ?? NaN)} | ${s(ours.at(-1) ?? NaN)} | p50 ≤ 5, p99 ≤ 8 |`);
  out.push(`| legacy vip_monitor.sh (ping -c 3 -W 1, sleep 2) | ${s(percentile(legacy, 50))} | ${s(percentile(legacy, 99))} | ${s(legacy[0] ?? NaN)} | ${s(legacy.at(-1) ?? NaN)} | issue measured ~6.8 median, 3.3–8.2 |`);
  out.push('');

  const rounds = 10_000;
  const ff = await ourFalseFailovers(rounds);
  const legacyFf = await legacyFalseFailovers(rounds);
  out.push(`### False failovers: ${rounds.toLocaleString('en')} rounds, 1 % loss per probe, one vantage point blind in 3–10 s stretches (~5 % of the time)`, '');
  out.push('| loop | rounds / checks | rounds with the blind vantage | false failovers |');
  out.push('|---|---:|---:|---:|');
  out.push(`| vpc-failover probe (the sensor is the blind one) | ${ff.rounds} | ${ff.blindRounds} | ${ff.moves} |`);
  out.push(`| legacy vip_monitor.sh (its only vantage, the standby, is the blind one) | ${rounds} | — | ${legacyFf} |`);
  return out.join('\n');
}
