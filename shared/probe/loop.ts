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
 * Any failure to see (sensor, SSM, metrics, observe, the core), thrown or rejected, is logged and
 * means "unknown" for what it was about: one group's bad tags or one failing call never ends a run
 * or blinds the other groups (see contain.ts). The rise/fall
 * state outlives the run: in memory while the execution environment stays warm, and in the state
 * table (`state`) across a cold start.
 */
import type { FailoverEngine, Log } from '../core/engine.js';
import type { Verdict, WorldSnapshot } from '../core/model.js';
import type { Clock, HostPort } from '../core/ports.js';
import { attempt, guarded } from './contain.js';
import { type ProbeMemory, type ProbeStatePort, newMemory, restore, toStored } from './memory.js';
import { PeerProbes } from './peer-probes.js';
import { type GroupSummary, type Move, type ProbeSettings, type RoundReport, type RunOptions, type RunSummary, STATE_MAX_AGE_MS } from './run-types.js';
import type { ProbeNode } from './peers.js';
import type { MetricDatum, MetricsPort, SensorPort } from './ports.js';
import { SensorRound, failureOf, sensorObservation } from './sensor-round.js';
import { type Placement, type SensorFleetPort, type SensorSite, placeSensors } from './sensors.js';
import { type EgressReading, foldEgress } from './egress.js';
import { egressRound } from './egress-round.js';
import { noteBehind, releaseBehind, releaseOnReturn } from './behind.js';
import type { TcpResult } from './tcp.js';
import { initialState, judge, step, unverifiedNat, verdictsOf } from './verdicts.js';

export { type ProbeMemory, newMemory } from './memory.js';
export { DEFAULT_PROBE_SETTINGS, STATE_MAX_AGE_MS, type GroupSummary, type Move, type ProbeSettings, type RoundReport, type RunOptions, type RunSummary } from './run-types.js';

/** How long an economy run may spend reading the sweep the previous run sent. */
const COLLECT_BUDGET_MS = 2_000;

/** The part of the core the loop uses. */
export type ProbeEngine = Pick<FailoverEngine, 'run' | 'observe' | 'discover' | 'remediate'>;

export interface ProbeLoopDeps {
  readonly engine: ProbeEngine;
  /** The main sensor; with no `fleet`, it probes every group, as a single-sensor deployment does. */
  readonly sensor: SensorPort;
  /** Every sensor and where it runs: members probed by their own VPC's sensor, egress checked from behind the NATs (sensors.ts). */
  readonly fleet?: SensorFleetPort;
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
  /** The core's last call left a group refused for want of a healthy target: the next one looks at the world sooner. */
  private wanting = false;
  private call: { signal?: AbortSignal } = {};
  private settle: { signal?: AbortSignal } = {};
  private peers: PeerProbes;
  /** One per sensor, so each keeps its own record of what it already said. */
  private readonly sensorRounds = new Map<string, SensorRound>();
  private placement: Placement;
  /** Groups already named this run for having no sensor in their VPC. */
  private uncovered = new Map<string, string>();
  private runStartedAt = 0;
  /** Saves of the state during the run, one at a time and in order (saveIfChanged). */
  private saving: Promise<void> = Promise.resolve();
  private saveQueued = false;

  constructor(
    private readonly deps: ProbeLoopDeps,
    private readonly memory: ProbeMemory = newMemory(),
  ) {
    this.peers = this.newPeers();
    this.placement = placeSensors([this.mainSite()]);
  }

  private mainSite(): SensorSite {
    return { name: 'sensor', port: this.deps.sensor, main: true, egress: false };
  }

  private sensorRound(site: SensorSite): SensorRound {
    let round = this.sensorRounds.get(site.name);
    if (!round) this.sensorRounds.set(site.name, (round = new SensorRound(site.port, this.deps.log)));
    return round;
  }

  /** Where the sensors run, read once a run (the adapter caches what it learned). */
  private async place(): Promise<void> {
    const { fleet, log } = this.deps;
    if (!fleet) return;
    const sites = await attempt(() => fleet.sites(this.call), log, 'sensor placement', [this.mainSite()]);
    this.placement = placeSensors(sites);
    for (const { name, why } of this.placement.idle) log.warn('a sensor of the fleet checks no egress this run', { sensor: name, why });
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
    this.uncovered = new Map();
    this.runStartedAt = clock.now();
    await this.load();
    await this.place();
    const moves: Move[] = [];
    let index = 0;
    if (settings.mode === 'economy') {
      // Sent a minute ago, so long finished: one read, briefly retried, never the whole run.
      await attempt(() => this.peers.collectPending(Math.min(until, clock.now() + COLLECT_BUDGET_MS)), this.deps.log, 'SSM sweep', undefined);
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
    if (settings.mode === 'economy') await attempt(() => this.peers.sendSweep(this.allNodes(), this.addresses), this.deps.log, 'SSM sweep', undefined);
    await this.flush();
    const uncovered = [...this.uncovered].map(([group, vpcId]) => ({ group, vpcId }));
    this.memory.uncovered = uncovered.map((u) => u.group);
    await this.saving;
    this.memory.savedVerdicts = this.currentVerdicts();
    await this.save(this.settle);
    return { rounds: index, moves, ...this.counters, ...this.peers.counters, groups: this.groupSummary(), ...this.latency(), ...(uncovered.length > 0 ? { uncovered } : {}) };
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
    const stored = await attempt(() => state.load(this.call), log, 'loading the probe state', undefined);
    if (restore(this.memory, stored, clock.now(), STATE_MAX_AGE_MS, this.natChecks())) log.info('probe state restored after a cold start', { nodes: this.memory.states.size });
  }

  /** Whether NAT members get forwarding checks (egress endpoints, or the configuration check) for a verdict to wait for. */
  private natChecks(): boolean {
    const { settings } = this.deps;
    return settings.egress.length > 0 || settings.forwardingCheck !== false;
  }

  private async save(options: { signal?: AbortSignal }): Promise<void> {
    const { state, clock, log } = this.deps;
    if (!state) return;
    await attempt(() => state.save(toStored(this.memory, this.runStartedAt, clock.now()), options), log, 'saving the probe state', undefined);
  }

  /**
   * Saves the state as soon as a verdict changes, not only at the end of the run: failover and
   * on-event take the verdicts from the table (view.ts), and a member judged down early in a run
   * must not look healthy to them for the rest of it (soak seed 6109: a manual failover onto a
   * standby the probe had judged down 54 s before). Never holds up a round: one save at a time,
   * in order, and a change while one waits rides on it. An economy run saves seconds later anyway.
   */
  private saveIfChanged(verdicts: Readonly<Record<string, Verdict>>): void {
    const { state, settings } = this.deps;
    if (!state || settings.mode === 'economy') return;
    const saved = this.memory.savedVerdicts;
    if (saved && sameVerdicts(verdicts, saved)) return;
    this.memory.savedVerdicts = verdicts;
    if (this.saveQueued) return;
    this.saveQueued = true;
    this.saving = this.saving.then(() => {
      this.saveQueued = false;
      return this.save(this.call);
    });
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
      this.saveIfChanged(verdicts);
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
    const fresh = await attempt(() => this.deps.engine.observe(until, this.call), this.deps.log, 'observe', undefined);
    if (fresh) {
      // A snapshot the groups cannot be read from is no snapshot: the last good one stays.
      guarded(() => {
        this.learn(fresh);
        this.snapshot = fresh;
      }, this.deps.log, 'discovery');
    }
    return this.snapshot;
  }

  /** Members that can be probed (running, in a well-configured group), and each VIP group's address. */
  private learn(world: WorldSnapshot): void {
    const groups = new Map<string, ProbeNode[]>();
    const addresses = new Map<string, readonly string[]>();
    const members = new Set<string>();
    for (const group of this.deps.engine.discover(world).groups) {
      const nodes: ProbeNode[] = [];
      for (const m of group.members) {
        members.add(m.instance.instanceId);
        if (m.instance.state !== 'running') continue;
        const ip = m.eni.privateIps.find((p) => p.primary)?.address ?? m.instance.privateIp;
        const enis = m.instance.networkInterfaces.map((e) => e.networkInterfaceId);
        nodes.push({ id: m.instance.instanceId, group: group.name, ip, ports: m.ports, nat: group.kind === 'nat', vpc: m.instance.vpcId, enis });
      }
      groups.set(group.name, nodes);
      if (group.kind === 'vip') addresses.set(group.name, [group.vip]);
    }
    this.groupsSeen = groups;
    this.addresses = addresses;
    // A node outside every group (its tag removed, say) is not probed, so what memory says of it goes
    // stale: a NAT may stop forwarding meanwhile. Forgotten, it is judged afresh if it comes back, a
    // NAT only once a forwarding check passes (seed 14017: retagged, it was failed back to at once).
    for (const id of this.memory.states.keys()) if (!members.has(id)) this.memory.states.delete(id);
  }

  private async round(index: number, startedAt: number, until: number, waitForPeers: boolean): Promise<RoundReport> {
    const { settings, clock, log } = this.deps;
    const world = this.snapshot ?? (await this.observe(until));
    const nodes = world ? this.allNodes() : [];
    const probed = nodes.filter((n) => n.ports.length > 0);
    const { states } = this.memory;

    for (const [id, s] of states) if (s.behind?.down) states.set(id, judge(releaseBehind(s, startedAt, settings.egressHoldMs), settings));
    const [results, readings] = await Promise.all([
      this.probeMembers(probed),
      world ? this.probeEgress(world, nodes, startedAt, until) : Promise.resolve([]),
    ]);
    this.foldEgress(readings, startedAt);
    const suspects: ProbeNode[] = [];
    for (const node of probed) {
      const mine = results.filter((r) => r.id === node.id);
      const observation = mine.length === 0 ? 'unknown' : sensorObservation(mine);
      const before = states.get(node.id) ?? (node.nat && this.natChecks() ? unverifiedNat(startedAt) : initialState);
      states.set(node.id, judge(releaseOnReturn(before, step(before, observation, startedAt, settings, failureOf(mine))), settings));
      if (observation === 'fail') suspects.push(node);
      this.sensorMs.push(...mine.filter((r) => r.result === 'ok').map((r) => r.ms));
    }

    guarded(() => this.peers.confirm(suspects, nodes, until), log, 'SSM confirmation');
    if (waitForPeers) await this.peers.settled();
    else guarded(() => this.peers.sweepIfDue(nodes, this.addresses, until), log, 'SSM sweep');

    this.nodeIds = new Set(nodes.map((n) => n.id));
    const verdicts = this.currentVerdicts();
    this.saveIfChanged(verdicts);
    let engineCalled = false;
    const moves: Move[] = this.betweenRounds.splice(0);
    if (world && (waitForPeers || !sameVerdicts(verdicts, this.lastSent) || clock.now() - this.lastEngineAt >= settings.engineEveryMs)) {
      engineCalled = true;
      moves.push(...(await this.callEngine(verdicts, until)));
    }
    await this.publish(nodes, moves, startedAt);
    return { index, startedAt, verdicts, engineCalled, moves };
  }

  /** Each member by its own VPC's sensor; a member whose VPC has none is not probed, and its group is named. */
  private async probeMembers(probed: readonly ProbeNode[]): Promise<readonly TcpResult[]> {
    const bySite = new Map<SensorSite, ProbeNode[]>();
    for (const node of probed) {
      const site = this.placement.memberSensor(node.vpc);
      if (site) bySite.set(site, [...(bySite.get(site) ?? []), node]);
      else if (!this.uncovered.has(node.group)) {
        this.uncovered.set(node.group, node.vpc ?? 'unknown');
        this.deps.log.warn('no sensor in this group\'s VPC: its members are not probed by TCP, and are judged on EC2 state, status checks and events only', { group: node.group, vpcId: node.vpc ?? 'unknown' });
      }
    }
    const { tcpTimeoutMs } = this.deps.settings;
    const answers = await Promise.all([...bySite].map(([site, nodes]) => this.sensorRound(site).probe(nodes, tcpTimeoutMs, this.call)));
    return answers.flat();
  }

  private probeEgress(world: WorldSnapshot, nodes: readonly ProbeNode[], startedAt: number, until: number): Promise<readonly EgressReading[]> {
    const { settings, log } = this.deps;
    const nats = nodes.filter((n) => n.nat).map((n) => ({ id: n.id, enis: n.enis ?? [] }));
    if (nats.length === 0) return Promise.resolve([]);
    const inputs = { sites: this.placement.egress, endpoints: settings.egress, timeoutMs: settings.tcpTimeoutMs, world, nats, startedAt, call: this.call, observe: () => this.observe(until) };
    return attempt(() => egressRound(inputs, log), log, 'egress checks', [] as readonly EgressReading[]);
  }

  /** Credits the round's egress checks to the NATs the sensors' routes crossed (behind.ts). */
  private foldEgress(readings: readonly EgressReading[], at: number): void {
    const { states } = this.memory;
    const { settings, log } = this.deps;
    for (const [id, v] of foldEgress(readings)) {
      const before = states.get(id) ?? initialState;
      const behind = noteBehind(before.behind, v.observation, at, settings, v.proven);
      const after = judge({ ...before, nat: true, ...(behind ? { behind } : {}) }, settings);
      states.set(id, after);
      if (after.behind?.down && !before.behind?.down) log.warn('a NAT does not forward for the sensors behind it', { instanceId: id, sensors: v.sites, why: after.why });
    }
  }

  private async callEngine(verdicts: Readonly<Record<string, Verdict>>, until: number): Promise<Move[]> {
    const { engine, clock, settings, log } = this.deps;
    // A member's EC2 status checks (which only an observe shows) may have passed since: a group
    // waiting for a target should not wait out a whole snapshot age on top of its detection.
    const maxAge = this.wanting ? Math.min(settings.snapshotMaxAgeMs, settings.engineEveryMs) : settings.snapshotMaxAgeMs;
    if (!this.snapshot || clock.now() - this.snapshot.observedAt > maxAge) await this.observe(until);
    const snapshot = this.snapshot;
    if (!snapshot) return [];
    this.counters.engineCalls += 1;
    this.lastEngineAt = clock.now();
    const { states, os } = this.memory;
    const probeReasons = Object.fromEntries([...states].filter(([id, s]) => this.nodeIds.has(id) && s.verdict === 'unhealthy').map(([id, s]) => [id, s.why]));
    // A member this snapshot shows first (tagged since the round) has had no round yet: it is
    // unknown to this call, not judged on EC2 status alone, which says nothing of a NAT's forwarding (seed 14017).
    const unprobed = this.allNodes().filter((n) => !this.nodeIds.has(n.id) && verdicts[n.id] === undefined);
    const probes = unprobed.length === 0 ? verdicts : { ...verdicts, ...Object.fromEntries(unprobed.map((n) => [n.id, 'unknown' as const])) };
    const results = await attempt(
      () => engine.run({ intent: { type: 'reconcile' }, trigger: 'probe', probes, probeReasons, os: Object.fromEntries(os), snapshot, deadline: until, ...this.call, ...(this.settle.signal ? { settle: this.settle.signal } : {}) }),
      log,
      'failover core',
      undefined,
    );
    if (!results) return [];
    this.lastSent = verdicts;
    // Refused with a plan: decide found nothing healthy to move to (a misconfigured group has no plan, and waits for people).
    this.wanting = results.some((r) => r.outcome === 'refused' && r.plan !== undefined);
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
    const done = await attempt(
      () => engine.remediate({ snapshot, probes: verdicts, probeReasons, deadline: until, ...this.call, ...(this.settle.signal ? { settle: this.settle.signal } : {}) }),
      log,
      'remediation',
      [],
    );
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
    if (data.length > 0) await attempt(() => this.deps.metrics.put(data, this.settle), this.deps.log, 'publishing metrics', undefined);
  }
}
