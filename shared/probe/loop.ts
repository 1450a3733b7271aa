/**
 * The probe loop: rounds every `intervalMs` until the run's deadline. Each round asks the in-VPC
 * sensor to TCP-probe every member at once, folds the answers into rise/fall state, starts SSM peer
 * probes when the sensor first suspects a node (and sweeps every node now and then), publishes the
 * round's metrics in one batch, and hands the verdicts to the core when one changed or periodically.
 *
 * SSM commands run in the background and never hold up a round; what they find is folded in when
 * they return. Any failure to see (sensor, SSM, metrics, observe) is logged and means "unknown".
 */
import { FailoverError } from '../errors.js';
import type { FailoverEngine, GroupResult, Log } from '../core/engine.js';
import type { Verdict, WorldSnapshot } from '../core/model.js';
import type { Clock, HostPort } from '../core/ports.js';
import { type PeerBatch, type PeerUnit, type ProbeNode, planBatches, readBatch } from './peers.js';
import type { MetricDatum, MetricsPort, SensorPort } from './ports.js';
import { probeBlocksScript, type EgressTarget } from './script.js';
import type { TcpResult } from './tcp.js';
import { type NodeState, type Observation, type Thresholds, combinePorts, initialState, judge, noteEgress, noteForwarding, notePeers, step, verdictsOf } from './verdicts.js';

export interface ProbeSettings extends Thresholds {
  readonly intervalMs: number;
  /** The sensor's connect timeout. */
  readonly tcpTimeoutMs: number;
  /** How often every node is probed by its peers (and NATs check egress), whatever the sensor says. */
  readonly sweepMs: number;
  /** The core is called at least this often, even when no verdict changed. */
  readonly engineEveryMs: number;
  /** A snapshot older than this is refreshed before the core is called with it. */
  readonly snapshotMaxAgeMs: number;
  /** How long an SSM probe may take before its missing answers count as unknown. */
  readonly ssmTimeoutMs: number;
  readonly egress: readonly EgressTarget[];
  /**
   * Whether NAT members also check their own forwarding configuration (ip_forward and a
   * MASQUERADE/SNAT rule) in the sweep's command. Default on; off for NATs that translate somewhere
   * the host's ruleset does not show (another namespace, eBPF).
   */
  readonly forwardingCheck?: boolean;
  /**
   * Rounds buffered per PutMetricData (each datum keeps its round's timestamp). A move, a change in
   * the groups without a healthy member, and the end of a run flush at once.
   */
  readonly metricsFlushRounds: number;
}

export const DEFAULT_PROBE_SETTINGS: ProbeSettings = Object.freeze({
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

/** The part of the core the loop uses. */
export type ProbeEngine = Pick<FailoverEngine, 'run' | 'observe' | 'discover'>;

export interface ProbeLoopDeps {
  readonly engine: ProbeEngine;
  readonly sensor: SensorPort;
  readonly host: HostPort;
  readonly metrics: MetricsPort;
  readonly clock: Clock;
  readonly log: Log;
  readonly settings: ProbeSettings;
  /** Called after every round (tests and the benchmark watch the loop through it). */
  readonly onRound?: (round: RoundReport) => void | Promise<void>;
}

/** What outlives one run in a warm execution environment: the per-node state. */
export interface ProbeMemory {
  readonly states: Map<string, NodeState>;
}

export const newMemory = (): ProbeMemory => ({ states: new Map() });

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

export interface RunSummary {
  readonly rounds: number;
  readonly engineCalls: number;
  readonly observes: number;
  readonly sweeps: number;
  readonly confirms: number;
  readonly moves: readonly Move[];
}

const sensorObservation = (results: readonly TcpResult[]): Observation =>
  combinePorts(results.map((r) => (r.result === 'ok' ? 'ok' : r.result === 'fail' ? 'fail' : 'unknown')));

const sameVerdicts = (a: Readonly<Record<string, Verdict>>, b: Readonly<Record<string, Verdict>>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** Known failures are logged and mean "could not see"; anything else is a bug and propagates. */
function seen<T>(log: Log, what: string, fallback: T): (error: unknown) => T {
  return (error) => {
    if (!(error instanceof FailoverError)) throw error;
    log.warn(`${what} failed; treated as unknown`, { error: error.message, context: error.context });
    return fallback;
  };
}

export class ProbeLoop {
  private snapshot: WorldSnapshot | undefined;
  private readonly inflight = new Set<Promise<void>>();
  /** Nodes with an SSM confirmation under way, and when it was sent. */
  private readonly confirming = new Map<string, number>();
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private sweeping = false;
  private egressRecheck = false;
  private lastEngineAt = Number.NEGATIVE_INFINITY;
  private lastSent: Readonly<Record<string, Verdict>> = {};
  private counters = { engineCalls: 0, observes: 0, sweeps: 0, confirms: 0 };

  constructor(
    private readonly deps: ProbeLoopDeps,
    private readonly memory: ProbeMemory = newMemory(),
  ) {}

  /** Runs rounds until `until` (epoch ms), then waits for SSM probes still under way (bounded by `until`). */
  async run(until: number): Promise<RunSummary> {
    const { clock, settings } = this.deps;
    const moves: Move[] = [];
    let index = 0;
    while (clock.now() + settings.tcpTimeoutMs < until) {
      const startedAt = clock.now();
      const report = await this.round(index, startedAt, until);
      moves.push(...report.moves);
      await this.deps.onRound?.(report);
      index += 1;
      const next = startedAt + settings.intervalMs;
      if (next + settings.tcpTimeoutMs >= until) break;
      await this.waitUntil(next, until);
    }
    await Promise.all([...this.inflight]);
    moves.push(...this.betweenRounds.splice(0));
    await this.flush();
    return { rounds: index, moves, ...this.counters };
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

  private wake: (() => void) | undefined;
  /** Moves made between rounds, reported (and published) with the next round. */
  private readonly betweenRounds: Move[] = [];
  private nodeIds = new Set<string>();

  private currentVerdicts(): Record<string, Verdict> {
    return verdictsOf(new Map([...this.memory.states].filter(([id]) => this.nodeIds.has(id))));
  }

  private async observe(until: number): Promise<WorldSnapshot | undefined> {
    this.counters.observes += 1;
    const fresh = await this.deps.engine.observe(until).catch(seen(this.deps.log, 'observe', undefined));
    if (fresh) this.snapshot = fresh;
    return this.snapshot;
  }

  /** Members that can be probed: running, in a healthy-configured group, with ports to probe. */
  private nodes(world: WorldSnapshot): ProbeNode[] {
    const nodes: ProbeNode[] = [];
    for (const group of this.deps.engine.discover(world).groups) {
      for (const m of group.members) {
        if (m.instance.state !== 'running') continue;
        const ip = m.eni.privateIps.find((p) => p.primary)?.address ?? m.instance.privateIp;
        nodes.push({ id: m.instance.instanceId, group: group.name, ip, ports: m.ports, nat: group.kind === 'nat' });
      }
    }
    return nodes;
  }

  private async round(index: number, startedAt: number, until: number): Promise<RoundReport> {
    const { sensor, settings, clock, log } = this.deps;
    const world = this.snapshot ?? (await this.observe(until));
    const nodes = world ? this.nodes(world) : [];
    const probed = nodes.filter((n) => n.ports.length > 0);
    const { states } = this.memory;

    const response = probed.length === 0
      ? { results: [] }
      : await sensor
          .probe({ targets: probed.map((n) => ({ id: n.id, ip: n.ip, ports: [...n.ports] })), timeoutMs: settings.tcpTimeoutMs })
          .catch(seen(log, 'sensor', { results: [] as TcpResult[] }));
    const suspects: ProbeNode[] = [];
    const sensorMs = new Map<string, number[]>();
    for (const node of probed) {
      const mine = response.results.filter((r) => r.id === node.id);
      const observation = mine.length === 0 ? 'unknown' : sensorObservation(mine);
      const before = states.get(node.id) ?? initialState;
      const after = step(before, observation, startedAt, settings);
      states.set(node.id, after);
      if (observation === 'fail') suspects.push(node);
      const ok = mine.filter((r) => r.result === 'ok').map((r) => r.ms);
      if (ok.length > 0) sensorMs.set(node.group, [...(sensorMs.get(node.group) ?? []), ...ok]);
    }

    this.confirm(suspects, nodes, until);
    const sweepDue = clock.now() - this.lastSweepAt >= settings.sweepMs || this.egressRecheck;
    if (sweepDue && !this.sweeping) this.sweep(nodes, until, this.egressRecheck && clock.now() - this.lastSweepAt < settings.sweepMs);

    this.nodeIds = new Set(nodes.map((n) => n.id));
    const verdicts = this.currentVerdicts();
    let engineCalled = false;
    const moves: Move[] = this.betweenRounds.splice(0);
    if (world && (!sameVerdicts(verdicts, this.lastSent) || clock.now() - this.lastEngineAt >= settings.engineEveryMs)) {
      engineCalled = true;
      moves.push(...(await this.callEngine(verdicts, until)));
    }
    await this.publish(nodes, sensorMs, moves, startedAt);
    return { index, startedAt, verdicts, engineCalled, moves };
  }

  /** Sends the peers of newly suspected nodes to look, in one batch, without waiting for the answer. */
  private confirm(suspects: readonly ProbeNode[], nodes: readonly ProbeNode[], until: number): void {
    const { states } = this.memory;
    const suspected = new Set(suspects.map((s) => s.id));
    const wanted = suspects.filter((s) => {
      const st = states.get(s.id) ?? initialState;
      const since = st.failingSince ?? 0;
      const answered = st.peer !== undefined && st.peer.sentAt >= since;
      return !answered && !this.confirming.has(s.id);
    });
    const byGroup = new Map<string, ProbeNode[]>();
    for (const s of wanted) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), s]);
    const units: PeerUnit[] = [];
    for (const [group, targets] of byGroup) {
      // A suspect cannot vouch for anyone, and a hung prober would hold the whole command to its deadline.
      const probers = nodes.filter((n) => n.group === group && !suspected.has(n.id) && states.get(n.id)?.verdict !== 'unhealthy');
      if (probers.length > 0) units.push({ group, probers, targets, egress: false });
    }
    if (units.length === 0) return;
    const sentAt = this.deps.clock.now();
    for (const unit of units) for (const t of unit.targets) this.confirming.set(t.id, sentAt);
    this.counters.confirms += 1;
    this.launch(planBatches(units, this.deps.settings.egress), sentAt, until, () => {
      for (const unit of units) for (const t of unit.targets) if (this.confirming.get(t.id) === sentAt) this.confirming.delete(t.id);
    });
  }

  /** Every member probes its peers; NAT members also check their path to the outside. */
  private sweep(nodes: readonly ProbeNode[], until: number, natOnly: boolean): void {
    const { settings, clock } = this.deps;
    const groups = [...new Set(nodes.filter((n) => !natOnly || n.nat).map((n) => n.group))];
    const units: PeerUnit[] = groups.flatMap((group) => {
      const members = nodes.filter((n) => n.group === group);
      const nat = members.some((m) => m.nat);
      const targets = members.filter((m) => m.ports.length > 0 || nat);
      const selfChecks = settings.egress.length > 0 || settings.forwardingCheck !== false;
      return members.length > 1 || (nat && selfChecks) ? [{ group, probers: members, targets, egress: nat }] : [];
    });
    this.egressRecheck = false;
    if (units.length === 0) return;
    const sentAt = clock.now();
    if (!natOnly) this.lastSweepAt = sentAt;
    this.sweeping = true;
    this.counters.sweeps += 1;
    this.launch(planBatches(units, settings.egress, undefined, settings.forwardingCheck !== false), sentAt, until, () => {
      this.sweeping = false;
    });
  }

  private launch(batches: readonly PeerBatch[], sentAt: number, until: number, done: () => void): void {
    const { host, settings, log } = this.deps;
    const deadline = Math.min(until, sentAt + settings.ssmTimeoutMs);
    const work: Promise<void> = Promise.all(
      batches.map(async (batch) => {
        const results = await host.run(batch.probers, probeBlocksScript(batch.blocks, { pingCount: 2, timeoutSeconds: 1 }), deadline).catch(seen(log, 'SSM probe', []));
        this.fold(batch, results, sentAt);
      }),
    )
      .then(() => undefined)
      .finally(() => {
      done();
      this.inflight.delete(work);
    });
    this.inflight.add(work);
  }

  private fold(batch: PeerBatch, results: Parameters<typeof readBatch>[1], sentAt: number): void {
    const { states } = this.memory;
    const { settings } = this.deps;
    const reading = readBatch(batch, results);
    if (reading.unidentified.length > 0) {
      // Their opinions count as unknown. A prober that never finds its block (its primary IP is not
      // on the host, or it has neither `ip`, `hostname -I` nor /proc) never helps, so say so.
      this.deps.log.warn('probers did not find their own block in the probe script; treated as unknown', { probers: reading.unidentified });
    }
    let turned = false;
    for (const [id, verdict] of reading.opinions) {
      const before = states.get(id) ?? initialState;
      const after = judge(notePeers(before, { verdict, sentAt }), settings);
      states.set(id, after);
      if (after.verdict === 'unhealthy' && before.verdict !== 'unhealthy') turned = true;
    }
    if (turned) this.wake?.();
    for (const [id, result] of reading.egress) {
      const next = judge(noteEgress(states.get(id) ?? initialState, result, settings), settings);
      states.set(id, next);
      // A failed forwarding check is checked again at once rather than at the next sweep.
      if ((result === 'fail' && !next.egressDown) || (result === 'ok' && next.egressDown)) this.egressRecheck = true;
    }
    for (const [id, result] of reading.forwarding) {
      const next = judge(noteForwarding(states.get(id) ?? initialState, result, settings), settings);
      states.set(id, next);
      if ((result === 'fail' && !next.forwardingDown) || (result === 'ok' && next.forwardingDown)) this.egressRecheck = true;
    }
    this.peerRtt = new Map([...this.peerRtt, ...reading.rttMs]);
  }

  private peerRtt = new Map<string, readonly number[]>();

  private async callEngine(verdicts: Readonly<Record<string, Verdict>>, until: number): Promise<Move[]> {
    const { engine, clock, settings, log } = this.deps;
    if (!this.snapshot || clock.now() - this.snapshot.observedAt > settings.snapshotMaxAgeMs) await this.observe(until);
    const snapshot = this.snapshot;
    if (!snapshot) return [];
    this.counters.engineCalls += 1;
    this.lastEngineAt = clock.now();
    const results = await engine
      .run({ intent: { type: 'reconcile' }, trigger: 'probe', probes: verdicts, snapshot, deadline: until })
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
        const since = m.from === undefined ? undefined : this.memory.states.get(m.from)?.failingSince;
        moves.push({ group: r.group, ...(m.from === undefined ? {} : { from: m.from }), to: m.to, outcome: r.outcome, ...(since === undefined ? {} : { detectionMs: now - since }) });
      }
      log.info('probe verdicts moved a group', { group: r.group, outcome: r.outcome, reason: r.reason });
    }
    // The world changed under our snapshot: look again before the next decision.
    if (moves.length > 0) this.snapshot = undefined;
    return moves;
  }

  private async publish(nodes: readonly ProbeNode[], sensorMs: ReadonlyMap<string, number[]>, moves: readonly Move[], at: number): Promise<void> {
    const { states } = this.memory;
    const data: MetricDatum[] = [];
    const groups = [...new Set(nodes.map((n) => n.group))];
    let withoutHealthy = 0;
    for (const group of groups) {
      const judged = nodes.filter((n) => n.group === group && states.get(n.id)?.verdict !== undefined);
      for (const n of judged) {
        data.push({ name: 'NodeHealthy', unit: 'None', dimensions: { Group: group, InstanceId: n.id }, value: states.get(n.id)?.verdict === 'healthy' ? 1 : 0, timestamp: at });
      }
      if (judged.length > 0) {
        const healthy = judged.filter((n) => states.get(n.id)?.verdict === 'healthy').length;
        data.push({ name: 'HealthyMembers', unit: 'Count', dimensions: { Group: group }, value: healthy, timestamp: at });
        data.push({ name: 'NoHealthyMember', unit: 'Count', dimensions: { Group: group }, value: healthy === 0 ? 1 : 0, timestamp: at });
        if (healthy === 0) withoutHealthy += 1;
      }
      const sensor = sensorMs.get(group);
      if (sensor && sensor.length > 0) data.push({ name: 'ProbeLatency', unit: 'Milliseconds', dimensions: { Group: group, Vantage: 'sensor' }, values: sensor, timestamp: at });
      const peer = nodes.filter((n) => n.group === group).flatMap((n) => this.peerRtt.get(n.id) ?? []);
      if (peer.length > 0) data.push({ name: 'ProbeLatency', unit: 'Milliseconds', dimensions: { Group: group, Vantage: 'peers' }, values: peer, timestamp: at });
    }
    this.peerRtt = new Map();
    // One undimensioned series, so a single alarm covers every group (and a silent probe, as missing data).
    data.push({ name: 'GroupsWithoutHealthyMember', unit: 'Count', dimensions: {}, value: withoutHealthy, timestamp: at });
    for (const m of moves) {
      data.push({ name: 'Failovers', unit: 'Count', dimensions: { Group: m.group }, value: 1, timestamp: at });
      if (m.detectionMs !== undefined) data.push({ name: 'DetectionTime', unit: 'Milliseconds', dimensions: { Group: m.group }, value: m.detectionMs, timestamp: at });
    }
    this.buffered.push(...data);
    this.bufferedRounds += 1;
    const alarmChanged = withoutHealthy !== this.lastWithoutHealthy;
    this.lastWithoutHealthy = withoutHealthy;
    if (moves.length > 0 || alarmChanged || this.bufferedRounds >= this.deps.settings.metricsFlushRounds) await this.flush();
  }

  private buffered: MetricDatum[] = [];
  private bufferedRounds = 0;
  private lastWithoutHealthy = 0;

  private async flush(): Promise<void> {
    const data = this.buffered;
    this.buffered = [];
    this.bufferedRounds = 0;
    if (data.length > 0) await this.deps.metrics.put(data).catch(seen(this.deps.log, 'PutMetricData', undefined));
  }
}
