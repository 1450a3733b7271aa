/**
 * The probe loop. Each round asks the in-VPC sensor to TCP-probe every member at once, folds the
 * answers into rise/fall state, has peers confirm over SSM when the sensor first suspects a node
 * (and sweeps every node now and then), publishes the round's metrics, and hands the verdicts to
 * the core when one changed or periodically.
 *
 * - fast mode: rounds every `intervalMs` until the run's deadline; SSM probes run in the background
 *   and never hold up a round; a confirmation that lands between rounds reaches the core at once.
 * - economy mode: one round per run. The run reads the sweep the previous run sent, waits for its
 *   own confirmation if the sensor suspects a node, calls the core, and sends the next sweep
 *   without waiting for it.
 *
 * Any failure to see (sensor, SSM, metrics, observe) is logged and means "unknown". The rise/fall
 * state outlives the run: in memory while the execution environment stays warm, and in the state
 * table (`state`) across a cold start.
 */
import type { FailoverEngine, GroupResult, Log } from '../core/engine.js';
import type { Verdict, WorldSnapshot } from '../core/model.js';
import type { Clock, HostPort } from '../core/ports.js';
import { type ProbeMemory, type ProbeStatePort, newMemory, restore, toStored } from './memory.js';
import { PeerProbes, type PeerProbeSettings, seen } from './peer-probes.js';
import type { ProbeNode } from './peers.js';
import type { MetricDatum, MetricsPort, SensorPort } from './ports.js';
import type { TcpResult } from './tcp.js';
import { type Observation, combinePorts, initialState, step, verdictsOf } from './verdicts.js';

export { type ProbeMemory, newMemory } from './memory.js';

export interface ProbeSettings extends PeerProbeSettings {
  /** `fast`: rounds every `intervalMs` for the whole run; `economy`: one round per run. */
  readonly mode?: 'fast' | 'economy';
  readonly intervalMs: number;
  /** The sensor's connect timeout. */
  readonly tcpTimeoutMs: number;
  /** The core is called at least this often, even when no verdict changed. */
  readonly engineEveryMs: number;
  /** A snapshot older than this is refreshed before the core is called with it. */
  readonly snapshotMaxAgeMs: number;
  /**
   * Rounds buffered per metrics flush. Each flush is one EMF line per dimension set, stamped with its
   * newest value's time (so a flush every 30 s still puts samples in every minute, for the
   * heartbeat). A move, a change in the groups without a healthy member, and the end of a run flush at once.
   */
  readonly metricsFlushRounds: number;
}

export const DEFAULT_PROBE_SETTINGS: ProbeSettings = Object.freeze({
  mode: 'fast',
  intervalMs: 2_000,
  fall: 2,
  rise: 3,
  tcpTimeoutMs: 1_000,
  sweepMs: 15_000,
  engineEveryMs: 10_000,
  snapshotMaxAgeMs: 30_000,
  ssmTimeoutMs: 8_000,
  egress: [],
  metricsFlushRounds: 15,
});

/** A stored state older than this describes a world that has moved on; the nodes start unjudged. */
export const STATE_MAX_AGE_MS = 180_000;
/** How long an economy run may spend reading the sweep the previous run sent. */
const COLLECT_BUDGET_MS = 2_000;

/** The part of the core the loop uses. */
export type ProbeEngine = Pick<FailoverEngine, 'run' | 'observe' | 'discover' | 'remediate'>;

export interface ProbeLoopDeps {
  readonly engine: ProbeEngine;
  readonly sensor: SensorPort;
  readonly host: HostPort;
  readonly metrics: MetricsPort;
  readonly clock: Clock;
  readonly log: Log;
  readonly settings: ProbeSettings;
  /** Keeps the memory across cold starts; without it, a new execution environment starts blank. */
  readonly state?: ProbeStatePort;
  /** Called after every round (tests and the benchmark watch the loop through it). */
  readonly onRound?: (round: RoundReport) => void | Promise<void>;
}

export interface RunOptions {
  /** Aborts the AWS calls of the rounds at the run's end. */
  readonly signal?: AbortSignal;
  /** Bounds what happens after the rounds: the last flush, saving the state, releasing leases. */
  readonly settle?: AbortSignal;
}

export interface Move {
  readonly group: string;
  readonly from?: string;
  readonly to: string;
  readonly outcome: GroupResult['outcome'];
  /** From the start of the first failed round of the node moved away from, to the end of the move. */
  readonly detectionMs?: number;
}

export interface RoundReport {
  readonly index: number;
  readonly startedAt: number;
  readonly verdicts: Readonly<Record<string, Verdict>>;
  readonly engineCalled: boolean;
  readonly moves: readonly Move[];
}

export interface GroupSummary {
  readonly members: number;
  readonly healthy: number;
}

export interface RunSummary {
  readonly rounds: number;
  readonly engineCalls: number;
  readonly observes: number;
  readonly sweeps: number;
  readonly confirms: number;
  readonly moves: readonly Move[];
  /** Members and healthy members per group at the end of the run (the dashboard reads these from the log). */
  readonly groups: Readonly<Record<string, GroupSummary>>;
  /** The sensor's handshake times this run, median and largest, in ms. */
  readonly sensorMs?: { readonly p50: number; readonly max: number };
}

/** What a node's failed ports say, in words: `no TCP on 443`. */
const failureOf = (results: readonly TcpResult[]): string | undefined => {
  const failed = results.filter((r) => r.result === 'fail').map((r) => r.port);
  return failed.length === 0 ? undefined : `no TCP on ${[...new Set(failed)].join(',')}`;
};

const sensorObservation = (results: readonly TcpResult[]): Observation =>
  combinePorts(results.map((r) => (r.result === 'ok' ? 'ok' : r.result === 'fail' ? 'fail' : 'unknown')));

const sameVerdicts = (a: Readonly<Record<string, Verdict>>, b: Readonly<Record<string, Verdict>>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

const median = (values: readonly number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;

export class ProbeLoop {
  private snapshot: WorldSnapshot | undefined;
  private lastEngineAt = Number.NEGATIVE_INFINITY;
  private lastSent: Readonly<Record<string, Verdict>> = {};
  private counters = { engineCalls: 0, observes: 0 };
  private wake: (() => void) | undefined;
  /** Moves made between rounds, reported (and published) with the next round. */
  private readonly betweenRounds: Move[] = [];
  private nodeIds = new Set<string>();
  private groupsSeen = new Map<string, ProbeNode[]>();
  /** VIPs per group, which the sweep asks each member to report on. */
  private addresses = new Map<string, readonly string[]>();
  private sensorMs: number[] = [];
  private buffered: MetricDatum[] = [];
  private bufferedRounds = 0;
  private lastWithoutHealthy = 0;
  private call: { signal?: AbortSignal } = {};
  private settle: { signal?: AbortSignal } = {};
  private peers: PeerProbes;

  constructor(
    private readonly deps: ProbeLoopDeps,
    private readonly memory: ProbeMemory = newMemory(),
  ) {
    this.peers = this.newPeers();
  }

  private newPeers(): PeerProbes {
    const { host, clock, log, settings } = this.deps;
    const peers = new PeerProbes({ host, clock, log, settings, memory: this.memory, ...this.call });
    peers.onTurn = () => this.wake?.();
    return peers;
  }

  /** Runs until `until` (epoch ms): rounds in fast mode, one round in economy mode; then flushes and saves. */
  async run(until: number, options: RunOptions = {}): Promise<RunSummary> {
    const { clock, settings } = this.deps;
    this.call = options.signal ? { signal: options.signal } : {};
    this.settle = options.settle ? { signal: options.settle } : {};
    this.peers = this.newPeers();
    const runStartedAt = clock.now();
    await this.load();
    const moves: Move[] = [];
    let index = 0;
    if (settings.mode === 'economy') {
      // Sent a minute ago, so long finished: one read, briefly retried, never the whole run.
      await this.peers.collectPending(Math.min(until, clock.now() + COLLECT_BUDGET_MS));
      const report = await this.round(0, clock.now(), until, true);
      moves.push(...report.moves);
      await this.deps.onRound?.(report);
      index = 1;
    } else {
      while (clock.now() + settings.tcpTimeoutMs < until && !options.signal?.aborted) {
        const startedAt = clock.now();
        const report = await this.round(index, startedAt, until, false);
        moves.push(...report.moves);
        await this.deps.onRound?.(report);
        index += 1;
        const next = startedAt + settings.intervalMs;
        if (next + settings.tcpTimeoutMs >= until) break;
        await this.waitUntil(next, until);
      }
    }
    await this.peers.settled();
    moves.push(...this.betweenRounds.splice(0));
    if (settings.mode === 'economy') await this.peers.sendSweep(this.allNodes(), this.addresses);
    await this.flush();
    await this.save(runStartedAt);
    return { rounds: index, moves, ...this.counters, ...this.peers.counters, groups: this.groupSummary(), ...this.latency() };
  }

  private groupSummary(): Record<string, GroupSummary> {
    const { states } = this.memory;
    return Object.fromEntries(
      [...this.groupsSeen].map(([group, nodes]) => [group, { members: nodes.length, healthy: nodes.filter((n) => states.get(n.id)?.verdict === 'healthy').length }]),
    );
  }

  private latency(): { sensorMs?: { p50: number; max: number } } {
    const ms = this.sensorMs.splice(0);
    return ms.length === 0 ? {} : { sensorMs: { p50: median(ms), max: Math.max(...ms) } };
  }

  private async load(): Promise<void> {
    const { state, clock, log } = this.deps;
    if (!state || this.memory.loaded) return;
    this.memory.loaded = true;
    const stored = await state.load(this.call).catch(seen(log, 'loading the probe state', undefined));
    if (restore(this.memory, stored, clock.now(), STATE_MAX_AGE_MS)) log.info('probe state restored after a cold start', { nodes: this.memory.states.size });
  }

  private async save(runStartedAt: number): Promise<void> {
    const { state, clock, log } = this.deps;
    if (!state) return;
    await state.save(toStored(this.memory, runStartedAt, clock.now()), this.settle).catch(seen(log, 'saving the probe state', undefined));
  }

  /**
   * Sleeps until the next round, but a peer confirmation that lands in between turns a suspect
   * into a verdict at once: waiting for the next round would add up to a whole interval.
   */
  private async waitUntil(next: number, until: number): Promise<void> {
    const { clock } = this.deps;
    while (clock.now() < next) {
      const woken = new Promise<'woken'>((resolve) => {
        this.wake = () => resolve('woken');
      });
      const outcome = await Promise.race([clock.sleep(next - clock.now()).then(() => 'slept' as const), woken]);
      this.wake = undefined;
      if (outcome === 'slept') return;
      const verdicts = this.currentVerdicts();
      if (!sameVerdicts(verdicts, this.lastSent)) this.betweenRounds.push(...(await this.callEngine(verdicts, until)));
    }
  }

  private currentVerdicts(): Record<string, Verdict> {
    return verdictsOf(new Map([...this.memory.states].filter(([id]) => this.nodeIds.has(id))));
  }

  private allNodes(): ProbeNode[] {
    return [...this.groupsSeen.values()].flat();
  }

  private async observe(until: number): Promise<WorldSnapshot | undefined> {
    this.counters.observes += 1;
    const fresh = await this.deps.engine.observe(until, this.call).catch(seen(this.deps.log, 'observe', undefined));
    if (fresh) {
      this.snapshot = fresh;
      this.learn(fresh);
    }
    return this.snapshot;
  }

  /** Members that can be probed (running, in a well-configured group), and each VIP group's address. */
  private learn(world: WorldSnapshot): void {
    const groups = new Map<string, ProbeNode[]>();
    const addresses = new Map<string, readonly string[]>();
    for (const group of this.deps.engine.discover(world).groups) {
      const nodes: ProbeNode[] = [];
      for (const m of group.members) {
        if (m.instance.state !== 'running') continue;
        const ip = m.eni.privateIps.find((p) => p.primary)?.address ?? m.instance.privateIp;
        nodes.push({ id: m.instance.instanceId, group: group.name, ip, ports: m.ports, nat: group.kind === 'nat' });
      }
      groups.set(group.name, nodes);
      if (group.kind === 'vip') addresses.set(group.name, [group.vip]);
    }
    this.groupsSeen = groups;
    this.addresses = addresses;
  }

  private async round(index: number, startedAt: number, until: number, waitForPeers: boolean): Promise<RoundReport> {
    const { sensor, settings, clock, log } = this.deps;
    const world = this.snapshot ?? (await this.observe(until));
    const nodes = world ? this.allNodes() : [];
    const probed = nodes.filter((n) => n.ports.length > 0);
    const { states } = this.memory;

    const response =
      probed.length === 0
        ? { results: [] }
        : await sensor
            .probe({ targets: probed.map((n) => ({ id: n.id, ip: n.ip, ports: [...n.ports] })), timeoutMs: settings.tcpTimeoutMs }, this.call)
            .catch(seen(log, 'sensor', { results: [] as TcpResult[] }));
    const suspects: ProbeNode[] = [];
    for (const node of probed) {
      const mine = response.results.filter((r) => r.id === node.id);
      const observation = mine.length === 0 ? 'unknown' : sensorObservation(mine);
      states.set(node.id, step(states.get(node.id) ?? initialState, observation, startedAt, settings, failureOf(mine)));
      if (observation === 'fail') suspects.push(node);
      this.sensorMs.push(...mine.filter((r) => r.result === 'ok').map((r) => r.ms));
    }

    this.peers.confirm(suspects, nodes, until);
    if (waitForPeers) await this.peers.settled();
    else this.peers.sweepIfDue(nodes, this.addresses, until);

    this.nodeIds = new Set(nodes.map((n) => n.id));
    const verdicts = this.currentVerdicts();
    let engineCalled = false;
    const moves: Move[] = this.betweenRounds.splice(0);
    if (world && (waitForPeers || !sameVerdicts(verdicts, this.lastSent) || clock.now() - this.lastEngineAt >= settings.engineEveryMs)) {
      engineCalled = true;
      moves.push(...(await this.callEngine(verdicts, until)));
    }
    await this.publish(nodes, moves, startedAt);
    return { index, startedAt, verdicts, engineCalled, moves };
  }

  private async callEngine(verdicts: Readonly<Record<string, Verdict>>, until: number): Promise<Move[]> {
    const { engine, clock, settings, log } = this.deps;
    if (!this.snapshot || clock.now() - this.snapshot.observedAt > settings.snapshotMaxAgeMs) await this.observe(until);
    const snapshot = this.snapshot;
    if (!snapshot) return [];
    this.counters.engineCalls += 1;
    this.lastEngineAt = clock.now();
    const { states, os } = this.memory;
    const probeReasons = Object.fromEntries([...states].filter(([id, s]) => this.nodeIds.has(id) && s.verdict === 'unhealthy').map(([id, s]) => [id, s.why]));
    const results = await engine
      .run({ intent: { type: 'reconcile' }, trigger: 'probe', probes: verdicts, probeReasons, os: Object.fromEntries(os), snapshot, deadline: until, ...this.call, ...(this.settle.signal ? { settle: this.settle.signal } : {}) })
      .catch(seen(log, 'failover core', undefined));
    if (!results) return [];
    this.lastSent = verdicts;
    const now = clock.now();
    const moves: Move[] = [];
    for (const r of results.filter((x) => x.outcome === 'changed' || x.outcome === 'partial')) {
      const seenMoves = new Set<string>();
      for (const m of r.plan?.moves ?? []) {
        const key = `${m.from ?? ''}>${m.to}`;
        if (seenMoves.has(key)) continue;
        seenMoves.add(key);
        const since = m.from === undefined ? undefined : states.get(m.from)?.failingSince;
        moves.push({ group: r.group, ...(m.from === undefined ? {} : { from: m.from }), to: m.to, outcome: r.outcome, ...(since === undefined ? {} : { detectionMs: now - since }) });
      }
      const detectionMs = moves.find((m) => m.group === r.group)?.detectionMs;
      log.info('probe verdicts changed a group', { group: r.group, outcome: r.outcome, reason: r.reason, ...(detectionMs === undefined ? {} : { detectionMs }) });
    }
    // The world changed under our snapshot: look again before the next decision.
    if (results.some((r) => r.outcome === 'changed' || r.outcome === 'partial')) this.snapshot = undefined;
    // Fencing only ever follows traffic: with a fresh picture after a move, the node it left is no holder.
    else await this.remediate(snapshot, verdicts, probeReasons, until);
    return moves;
  }

  private async remediate(snapshot: WorldSnapshot, verdicts: Readonly<Record<string, Verdict>>, probeReasons: Readonly<Record<string, string>>, until: number): Promise<void> {
    const { engine, log } = this.deps;
    const done = await engine
      .remediate({ snapshot, probes: verdicts, probeReasons, deadline: until, ...this.call, ...(this.settle.signal ? { settle: this.settle.signal } : {}) })
      .catch(seen(log, 'remediation', []));
    // A remediated node changes state (reboot, stop): look again before the next decision.
    if (done.some((r) => r.outcome === 'applied')) this.snapshot = undefined;
  }

  /**
   * One undimensioned series, written every round: its maximum is the number of groups without a
   * healthy member (the alarm), its sample count is the rounds per minute, and its absence is the
   * probe not running (the dead-man alarm). Detection times are written only when a move happens.
   * Per-group figures go to the run's log line instead, where they cost no metric series.
   */
  private async publish(nodes: readonly ProbeNode[], moves: readonly Move[], at: number): Promise<void> {
    const { states } = this.memory;
    let withoutHealthy = 0;
    for (const group of new Set(nodes.map((n) => n.group))) {
      const judged = nodes.filter((n) => n.group === group && states.get(n.id)?.verdict !== undefined);
      if (judged.length > 0 && !judged.some((n) => states.get(n.id)?.verdict === 'healthy')) withoutHealthy += 1;
    }
    this.buffered.push({ name: 'GroupsWithoutHealthyMember', unit: 'Count', dimensions: {}, value: withoutHealthy, timestamp: at });
    for (const m of moves) {
      if (m.detectionMs !== undefined) this.buffered.push({ name: 'DetectionTime', unit: 'Milliseconds', dimensions: {}, value: m.detectionMs, timestamp: at });
    }
    this.bufferedRounds += 1;
    const alarmChanged = withoutHealthy !== this.lastWithoutHealthy;
    this.lastWithoutHealthy = withoutHealthy;
    if (moves.length > 0 || alarmChanged || this.bufferedRounds >= this.deps.settings.metricsFlushRounds) await this.flush();
  }

  private async flush(): Promise<void> {
    const data = this.buffered;
    this.buffered = [];
    this.bufferedRounds = 0;
    if (data.length > 0) await this.deps.metrics.put(data, this.settle).catch(seen(this.deps.log, 'publishing metrics', undefined));
  }
}
