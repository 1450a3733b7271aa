/**
 * The probe loop wired to a VpcWorld as the probe function wires it to AWS: the real EC2 and SSM
 * adapters over the world's clients, the real core, CloudWatch metrics through a mocked client,
 * an in-memory lease, the world-backed sensor, and a discrete-event clock shared by all of them.
 */
import { GetFunctionConfigurationCommand, InvokeCommand, type InvokeCommandInput, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { createEc2Port } from '../../../shared/aws/ec2.js';
import { createSsmHostPort } from '../../../shared/aws/ssm.js';
import { createRemediationPort } from '../../../shared/aws/remediation.js';
import { FailoverEngine } from '../../../shared/core/engine.js';
import { DEFAULT_REMEDIATION, type RemediationSettings } from '../../../shared/core/remediate.js';
import type { GroupKind } from '../../../shared/core/model.js';
import type { Log } from '../../../shared/core/engine.js';
import type { Ec2Port, HostPort, MetricsPort, Notice } from '../../../shared/core/ports.js';
import { type ProbeRuntime, createProbeRuntime } from '../../../shared/probe/wiring.js';
import type { ProbeStatePort, StoredProbeState } from '../../../shared/probe/memory.js';
import { DEFAULT_PROBE_SETTINGS, type ProbeEngine, type ProbeSettings, type RoundReport, type RunSummary, ProbeLoop, newMemory } from '../../../shared/probe/loop.js';
import type { SensorPort, SensorRequest } from '../../../shared/probe/ports.js';
import type { DynaliteHandle } from '../../../sim/dynalite.js';
import { type ManualClock, manualClock } from '../../../sim/clock.js';
import { type WiredRuntime, quietLog, recordedMetrics, runtimeFor, testClientConfig } from '../../support/harness.js';
import { memoryStore } from '../../support/memory-store.js';
import { type HaPair, type NatPair, type VipPair, VpcWorld, buildHaWorld } from '../../../sim/world.js';
import { installProbeHandler } from '../../../sim/probe-handler.js';
import { between, prng } from '../../../sim/prng.js';
import { simClock } from '../../../sim/sim-clock.js';
import { type WorldSensor, worldSensor } from '../../../sim/sensor.js';
import { type WorldEgressSensor, worldEgressSensor } from '../../../sim/egress-sensor.js';
import type { SensorFleetPort, SensorSite } from '../../../shared/probe/sensors.js';

export interface HarnessOptions {
  readonly kind?: GroupKind;
  readonly groups?: number;
  /** `failover:ports` of every member. Default '443'. */
  readonly ports?: string;
  readonly tags?: Record<string, string>;
  readonly settings?: Partial<ProbeSettings>;
  readonly seed?: number;
  /** Chance that one probe (sensor connect or peer check) is lost. */
  readonly lossRate?: number;
  /** Script run time on the instance, on top of the world's 500 ms delivery. Default 0. */
  readonly ssmDurationMs?: readonly [number, number];
  /** Latency of each EC2 port call. Default none. */
  readonly ec2LatencyMs?: readonly [number, number];
  readonly cooldownMs?: number;
  /** Keep the probe state in a store that outlives the memory (as the state table does). */
  readonly persist?: boolean;
  /** Where the loop and the core log; quiet by default. */
  readonly log?: Log;
  /** Wraps what the loop is given (to inject failures, or to hand it groups discovery would refuse). */
  readonly wrap?: HarnessWraps;
  /** Remediation timings (the engine's defaults otherwise). */
  readonly remediation?: Partial<RemediationSettings>;
  /**
   * NAT pairs: a fleet sensor in each AZ's private subnet (a and b) of the first pair, checking egress
   * from behind its NAT; the main sensor placed in that VPC.
   */
  readonly egressSensors?: boolean;
}

/** Each receives the port the harness built and returns the one the loop gets. */
export interface HarnessWraps {
  readonly engine?: (engine: FailoverEngine) => ProbeEngine;
  readonly host?: (host: HostPort) => HostPort;
  readonly sensor?: (sensor: SensorPort) => SensorPort;
  readonly metrics?: (metrics: MetricsPort) => MetricsPort;
  readonly state?: (state: ProbeStatePort) => ProbeStatePort;
  /** The sensor fleet the loop gets, built around the world-backed main sensor. */
  readonly fleet?: (sensor: SensorPort) => SensorFleetPort;
}

/** A ProbeStatePort that keeps its one item as JSON, as the table does, so what is saved must survive serialization. */
export function memoryProbeState(): ProbeStatePort & { saved: number; item?: string } {
  const state: ProbeStatePort & { saved: number; item?: string } = {
    saved: 0,
    async load() {
      return state.item === undefined ? undefined : (JSON.parse(state.item) as StoredProbeState);
    },
    async save(stored) {
      const current = state.item === undefined ? undefined : (JSON.parse(state.item) as StoredProbeState);
      if (current && current.runStartedAt > stored.runStartedAt) return;
      state.item = JSON.stringify(stored);
      state.saved += 1;
    },
  };
  return state;
}

export { quietLog };

function withLatency(port: Ec2Port, sleep: () => Promise<void>): Ec2Port {
  return {
    observe: async () => (await sleep(), port.observe()),
    enrollment: async (maxAgeMs) => (await sleep(), port.enrollment(maxAgeMs)),
    apply: async (action) => (await sleep(), port.apply(action)),
    readBack: async (query) => (await sleep(), port.readBack(query)),
  };
}

export function probeHarness(options: HarnessOptions = {}) {
  const random = prng(options.seed ?? 1);
  const clock = simClock(1_700_000_000_000, random);
  // AWS pages hold up to 1,000 items; the world's small default page exists to catch adapters that ignore NextToken.
  const world = new VpcWorld({ clock, pageSize: 1000 });
  const kind = options.kind ?? 'vip';
  const pairs: HaPair[] = Array.from({ length: options.groups ?? 1 }, (_, i) =>
    buildHaWorld(kind, { world, group: `${kind}-${i}`, ports: options.ports ?? '443', ...(options.tags ? { tagsA: options.tags, tagsB: options.tags } : {}) }),
  );
  const [ssmMin, ssmMax] = options.ssmDurationMs ?? [0, 0];
  const probes = installProbeHandler(world, { random, lossRate: options.lossRate ?? 0, durationMs: () => between(random, ssmMin, ssmMax) });
  const sensor = worldSensor(world, clock, { random, lossRate: options.lossRate ?? 0, latencyMs: () => between(random, 20, 80) });
  const metrics = recordedMetrics();
  const store = memoryStore();
  const egressSensors = new Map<string, WorldEgressSensor>();
  let fleet: SensorFleetPort | undefined;
  const first = pairs[0] as NatPair | undefined;
  if (options.egressSensors && first?.kind === 'nat') {
    const placed = (subnetId: string) => ({ vpcId: first.vpcId, subnets: [{ subnetId, availabilityZone: world.subnets.get(subnetId)?.az ?? '' }] });
    const sites: SensorSite[] = [{ name: 'sensor', port: sensor, main: true, egress: false, placement: placed(first.privateSubnets.a) }];
    for (const az of ['a', 'b'] as const) {
      const subnetId = first.privateSubnets[az];
      const egress = worldEgressSensor(world, clock, subnetId, { forwards: (id) => probes.forwardsFor(id), random, lossRate: options.lossRate ?? 0, latencyMs: () => between(random, 20, 80) });
      egressSensors.set(az, egress);
      sites.push({ name: `sensor-${az}`, port: egress, main: false, egress: true, placement: placed(subnetId) });
    }
    fleet = { sites: async () => sites };
  }
  if (options.wrap?.fleet) fleet = options.wrap.fleet(sensor);
  const { ec2: ec2Client, ssm, autoscaling } = world.clients();
  const remediation = createRemediationPort({ ec2: ec2Client, autoscaling });
  /** Every notice the engine sent, in order. */
  const notices: Notice[] = [];
  const [ec2Min, ec2Max] = options.ec2LatencyMs ?? [0, 0];
  const ec2 = withLatency(createEc2Port(ec2Client, { clock }), () => (ec2Max > 0 ? clock.sleep(between(random, ec2Min, ec2Max)) : Promise.resolve()));
  const host = createSsmHostPort(ssm, { clock });
  let memory = newMemory();
  const state = options.persist ? memoryProbeState() : undefined;
  const rounds: RoundReport[] = [];
  const settings: ProbeSettings = { ...DEFAULT_PROBE_SETTINGS, ...options.settings };
  let runs = 0;

  /**
   * One scheduled run of `ms`, like the probe function's. `cold`: in a new execution environment,
   * with nothing in memory. `signal`: aborts the run's AWS calls, as the function does at its deadline.
   */
  const log = options.log ?? quietLog;
  const wrap = options.wrap ?? {};

  /** The core as a run builds it, over the same world, store and clock. */
  function engine(owner: string): FailoverEngine {
    return new FailoverEngine({
      ec2,
      host,
      lease: store,
      journal: store,
      clock,
      log,
      remediation,
      notifier: { notify: async (notice) => void notices.push(notice) },
      settings: {
        owner,
        cooldownMs: options.cooldownMs ?? 60_000,
        failback: { vip: 'manual', eip: 'manual', overlay: 'manual', nat: 'auto' },
        leaseTtlMs: 30_000,
        applyConcurrency: 4,
        verifyIntervalMs: 500,
        verifyTimeoutMs: 15_000,
        journalLimit: 20,
        remediation: { ...DEFAULT_REMEDIATION, ...options.remediation },
      },
    });
  }

  async function run(ms: number, onRound?: (round: RoundReport) => void, runOptions: { cold?: boolean; signal?: AbortSignal } = {}): Promise<RunSummary> {
    runs += 1;
    if (runOptions.cold) memory = newMemory();
    const core = engine(`probe:run-${runs}`);
    const loopState = state && wrap.state ? wrap.state(state) : state;
    const loop = new ProbeLoop(
      {
        engine: wrap.engine ? wrap.engine(core) : core,
        sensor: wrap.sensor ? wrap.sensor(sensor) : sensor,
        ...(fleet ? { fleet } : {}),
        host: wrap.host ? wrap.host(host) : host,
        metrics: wrap.metrics ? wrap.metrics(metrics) : metrics,
        clock,
        log,
        settings,
        ...(loopState ? { state: loopState } : {}),
        onRound: (round) => {
          rounds.push(round);
          onRound?.(round);
        },
      },
      memory,
    );
    return clock.drive(loop.run(clock.now() + ms, runOptions.signal ? { signal: runOptions.signal } : {}));
  }

  return {
    clock,
    world,
    pairs,
    probes,
    sensor,
    egressSensors,
    store,
    get memory() {
      return memory;
    },
    state,
    rounds,
    settings,
    run,
    engine,
    metrics,
    random,
    notices,
  };
}

export interface WiredProbe extends Omit<WiredRuntime, 'runtime'> {
  readonly runtime: ProbeRuntime;
  readonly clock: ManualClock;
  readonly world: VpcWorld;
  readonly pair: VipPair;
  /** What answers the sensor function's Invoke: the world, as the sensor in the VPC would see it. */
  readonly sensor: WorldSensor;
  readonly lambda: AwsClientStub<LambdaClient>;

  /** Every Invoke input, in order. */
  invokes(): InvokeCommandInput[];
  /** The sensor requests as they went over the wire (decoded Invoke payloads). */
  sensorRequests(): SensorRequest[];
}

export const SENSOR_FUNCTION = 'vpc-failover-test-sensor';

/**
 * The probe function's runtime as createRuntime builds it in Lambda: one VIP pair (ports 443 and
 * 8443) in a VpcWorld, dynalite for the lease and journal, the sensor behind a mocked Lambda
 * client that answers from the world, CloudWatch recorded, and a manual clock shared by all.
 */
export async function wiredProbe(db: DynaliteHandle, env: Record<string, string> = {}): Promise<WiredProbe> {
  const clock = manualClock();
  const world = new VpcWorld({ clock });
  const pair = buildHaWorld('vip', { world, group: 'web', ports: '443,8443' });
  installProbeHandler(world);
  const sensor = worldSensor(world, clock);
  const lambdaClient = new LambdaClient(testClientConfig);
  const lambda = mockClient(lambdaClient);
  const decode = (input: InvokeCommandInput): SensorRequest => JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as SensorRequest;
  lambda.on(InvokeCommand).callsFake(async (input: InvokeCommandInput): Promise<InvokeCommandOutput> => {
    const response = await sensor.probe(decode(input));
    // The SDK hands back a Uint8Array subclass; the adapter only decodes it.
    return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(response)) as InvokeCommandOutput['Payload'], $metadata: {} };
  });
  // Where Lambda runs the sensor: in the pair's VPC and subnet.
  lambda.on(GetFunctionConfigurationCommand, { FunctionName: SENSOR_FUNCTION }).resolves({ FunctionName: SENSOR_FUNCTION, VpcConfig: { VpcId: pair.vpcId, SubnetIds: [pair.subnetId], SecurityGroupIds: ['sg-0123456789abcdef0'] } });
  const core = await runtimeFor(world, clock, db, { env: { VPCF_SENSOR_FUNCTION: SENSOR_FUNCTION, ...env }, tablePrefix: 'vpcf-probe' });
  const runtime = createProbeRuntime({ env: core.env, clients: { ...core.clients, lambda: lambdaClient }, clock, log: core.log, writeMetrics: core.emf.write });
  const invokes = () => lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
  return { ...core, runtime, clock, world, pair, sensor, lambda, invokes, sensorRequests: () => invokes().map(decode) };
}
