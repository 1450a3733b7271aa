/**
 * The probes that members run on each other over SSM: a confirmation when the sensor first
 * suspects a node (peers only, a suspect never vouches), and a sweep of every member now and then
 * (NATs also check their own egress and forwarding configuration, VIP members report whether the
 * VIP is up in their OS). What they find is folded into the probe memory as it arrives.
 *
 * In fast mode a sweep is awaited in the background of the run that sent it; in economy mode it is
 * sent at the end of one run and read at the start of the next, so no run waits for it.
 */
import type { Log } from '../core/engine.js';
import type { Clock, HostPort, HostResult, PendingCommand } from '../core/ports.js';
import { attempt, guarded, seen } from './contain.js';
import type { ProbeMemory } from './memory.js';
import { type PeerBatch, type PeerUnit, type ProbeNode, planPeerBatches, readBatch } from './peers.js';
import { type EgressTarget, probeBlocksScript } from './script.js';
import { type Thresholds, initialState, judge, noteEgress, noteForwarding, notePeers } from './verdicts.js';

export interface PeerProbeSettings extends Thresholds {
  /** How often every node is probed by its peers (and NATs check egress), whatever the sensor says. */
  readonly sweepMs: number;
  /** How long an SSM probe may take before its missing answers count as unknown. */
  readonly ssmTimeoutMs: number;
  readonly egress: readonly EgressTarget[];
  /** Whether NAT members also check their own forwarding configuration (ip_forward, MASQUERADE/SNAT). */
  readonly forwardingCheck?: boolean;
}

export interface PeerProbeDeps {
  readonly host: HostPort;
  readonly clock: Clock;
  readonly log: Log;
  readonly settings: PeerProbeSettings;
  readonly memory: ProbeMemory;
  /** Aborts the SSM calls still in flight at the run's deadline. */
  readonly signal?: AbortSignal;
}

export { seen } from './contain.js';

const SCRIPT_OPTIONS = { pingCount: 2, timeoutSeconds: 1 } as const;

export class PeerProbes {
  private readonly inflight = new Set<Promise<void>>();
  /** Nodes with an SSM confirmation under way, and when it was sent. */
  private readonly confirming = new Map<string, number>();
  private lastSweepAt = Number.NEGATIVE_INFINITY;
  private sweeping = false;
  private recheck = false;
  private rtt = new Map<string, readonly number[]>();
  readonly counters = { sweeps: 0, confirms: 0 };
  /** Called when a node turns unhealthy on the peers' word, between rounds. */
  onTurn: (() => void) | undefined;

  constructor(private readonly deps: PeerProbeDeps) {}

  /** Round-trip times the peers measured since the last call, per target. */
  takeRtt(): ReadonlyMap<string, readonly number[]> {
    const rtt = this.rtt;
    this.rtt = new Map();
    return rtt;
  }

  /** Waits for every SSM probe still under way (each bounded by its own deadline). */
  async settled(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  /** Sends the peers of newly suspected nodes to look, in one batch, without waiting for the answer. */
  confirm(suspects: readonly ProbeNode[], nodes: readonly ProbeNode[], until: number): void {
    const { states } = this.deps.memory;
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
    const batches = this.plan(units, 'SSM confirmation');
    if (batches.length === 0) return;
    const sentAt = this.deps.clock.now();
    for (const unit of units) for (const t of unit.targets) this.confirming.set(t.id, sentAt);
    this.counters.confirms += 1;
    this.launch(batches, sentAt, until, () => {
      for (const unit of units) for (const t of unit.targets) if (this.confirming.get(t.id) === sentAt) this.confirming.delete(t.id);
    });
  }

  /**
   * Batches for these units. A group whose script could not be built is left out with a warning
   * naming it and the limit; its peers' opinions stay unknown, and every other group is probed.
   */
  private plan(units: readonly PeerUnit[], what: string, forwarding = true): readonly PeerBatch[] {
    const { settings, log } = this.deps;
    const { batches, dropped } = planPeerBatches(units, settings.egress, undefined, forwarding);
    for (const d of dropped) log.warn(`${what}: group left out, its members are unknown to their peers this time`, { group: d.group, problem: d.reason });
    return batches;
  }

  /** In fast mode: sweeps when one is due (or a NAT's failed self-check wants looking at again). */
  sweepIfDue(nodes: readonly ProbeNode[], addresses: ReadonlyMap<string, readonly string[]>, until: number): void {
    const { clock, settings } = this.deps;
    const due = clock.now() - this.lastSweepAt >= settings.sweepMs || this.recheck;
    if (!due || this.sweeping) return;
    const natOnly = this.recheck && clock.now() - this.lastSweepAt < settings.sweepMs;
    const batches = this.sweepBatches(nodes, addresses, natOnly);
    this.recheck = false;
    if (batches.length === 0) return;
    const sentAt = clock.now();
    if (!natOnly) this.lastSweepAt = sentAt;
    this.sweeping = true;
    this.counters.sweeps += 1;
    this.launch(batches, sentAt, until, () => {
      this.sweeping = false;
    });
  }

  /** In economy mode: sends a sweep for the next run to read, and waits for nothing. */
  async sendSweep(nodes: readonly ProbeNode[], addresses: ReadonlyMap<string, readonly string[]>): Promise<void> {
    const batches = this.sweepBatches(nodes, addresses, false);
    if (batches.length === 0) return;
    const { host, log, memory, signal } = this.deps;
    const probers = batches.flatMap((b) => b.probers);
    // One script per batch; a batch's probers only ever read their own block.
    const sent = await Promise.all(
      batches.map((b) => attempt(() => host.start(b.probers, probeBlocksScript(b.blocks, SCRIPT_OPTIONS), signal ? { signal } : {}), log, 'SSM sweep', undefined as PendingCommand | undefined, this.about(b))),
    );
    const commands = sent.flatMap((c) => c?.commands ?? []);
    if (commands.length === 0) return;
    this.counters.sweeps += 1;
    memory.pending = {
      command: { sentAt: Math.min(...sent.map((c) => c?.sentAt ?? Number.POSITIVE_INFINITY)), commands, refused: sent.flatMap((c) => c?.refused ?? []) },
      batches,
    };
    log.debug('sweep sent for the next run', { probers: probers.length, commands: commands.length });
  }

  /** In economy mode: reads the sweep the last run sent, if there is one, until `deadline`. */
  async collectPending(deadline: number): Promise<void> {
    const { host, log, memory, signal } = this.deps;
    const pending = memory.pending;
    if (!pending) return;
    memory.pending = undefined;
    const results = await attempt(() => host.collect(pending.command, deadline, signal ? { signal } : {}), log, 'SSM sweep', [] as readonly HostResult[]);
    for (const batch of pending.batches) {
      const mine = new Set(batch.probers);
      guarded(() => this.fold(batch, results.filter((r) => mine.has(r.instanceId)), pending.command.sentAt), log, 'reading the SSM sweep', this.about(batch));
    }
  }

  private sweepBatches(nodes: readonly ProbeNode[], addresses: ReadonlyMap<string, readonly string[]>, natOnly: boolean): PeerBatch[] {
    const { settings } = this.deps;
    const groups = [...new Set(nodes.filter((n) => !natOnly || n.nat).map((n) => n.group))];
    const units: PeerUnit[] = groups.flatMap((group) => {
      const members = nodes.filter((n) => n.group === group);
      const nat = members.some((m) => m.nat);
      const targets = members.filter((m) => m.ports.length > 0 || nat);
      const selfChecks = settings.egress.length > 0 || settings.forwardingCheck !== false;
      const watched = natOnly ? [] : (addresses.get(group) ?? []);
      return members.length > 1 || (nat && selfChecks) || watched.length > 0 ? [{ group, probers: members, targets, egress: nat, addresses: watched }] : [];
    });
    return units.length === 0 ? [] : [...this.plan(units, 'SSM sweep', settings.forwardingCheck !== false)];
  }

  /** The groups a batch is about, for the log line of its failure. */
  private about(batch: PeerBatch): Record<string, unknown> {
    return { groups: [...new Set(batch.groupOf.values())] };
  }

  private launch(batches: readonly PeerBatch[], sentAt: number, until: number, done: () => void): void {
    const { host, settings, log, signal } = this.deps;
    const deadline = Math.min(until, sentAt + settings.ssmTimeoutMs);
    // Each batch on its own: a script that cannot be built, a host call that throws or a fold that
    // fails costs that batch's groups only, and nothing here can reject (it runs in the background).
    const work: Promise<void> = Promise.all(
      batches.map(async (batch) => {
        const results = await attempt(() => host.run(batch.probers, probeBlocksScript(batch.blocks, SCRIPT_OPTIONS), deadline, signal ? { signal } : {}), log, 'SSM probe', [] as readonly HostResult[], this.about(batch));
        guarded(() => this.fold(batch, results, sentAt), log, 'reading the SSM probe', this.about(batch));
      }),
    )
      .then(() => undefined)
      .catch(seen(log, 'SSM probe', undefined))
      .finally(() => {
        guarded(done, log, 'ending an SSM probe');
        this.inflight.delete(work);
      });
    this.inflight.add(work);
  }

  private fold(batch: PeerBatch, results: readonly HostResult[], sentAt: number): void {
    const { memory, settings, log } = this.deps;
    const { states } = memory;
    const reading = readBatch(batch, results);
    if (reading.unidentified.length > 0) {
      // Their opinions count as unknown. A prober that never finds its block (its primary IP is not
      // on the host, or it has neither `ip`, `hostname -I` nor /proc) never helps, so say so.
      log.warn('probers did not find their own block in the probe script; treated as unknown', { probers: reading.unidentified });
    }
    let turned = false;
    for (const [id, verdict] of reading.opinions) {
      const before = states.get(id) ?? initialState;
      const after = judge(notePeers(before, { verdict, sentAt }), settings);
      states.set(id, after);
      if (after.verdict === 'unhealthy' && before.verdict !== 'unhealthy') turned = true;
    }
    // A node's two forwarding checks of one sweep are noted together, then judged: a NAT back from
    // down is judged on the whole sweep, never on its egress alone (verdicts.ts).
    for (const id of new Set([...reading.egress.keys(), ...reading.forwarding.keys()])) {
      const [egress, forwarding] = [reading.egress.get(id), reading.forwarding.get(id)];
      let next = states.get(id) ?? initialState;
      if (egress !== undefined) next = noteEgress(next, egress, settings, sentAt);
      if (forwarding !== undefined) next = noteForwarding(next, forwarding, settings, sentAt);
      states.set(id, judge(next, settings));
      // A failed forwarding check is checked again at once rather than at the next sweep.
      if ((egress === 'fail' && !next.egressDown) || (egress === 'ok' && next.egressDown)) this.recheck = true;
      if ((forwarding === 'fail' && !next.forwardingDown) || (forwarding === 'ok' && next.forwardingDown)) this.recheck = true;
    }
    for (const [id, addresses] of reading.addresses) {
      const known = memory.os.get(id);
      if (!known || known.at <= sentAt) memory.os.set(id, { at: sentAt, addresses: { ...known?.addresses, ...addresses } });
    }
    this.rtt = new Map([...this.rtt, ...reading.rttMs]);
    if (turned) this.onTurn?.();
  }
}
