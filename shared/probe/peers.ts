/**
 * Probing from peer members over SSM: which instances run the probe script, against whom, in as
 * few SendCommand calls as possible, and how their output becomes opinions about each node.
 *
 * SendCommand runs one script on up to 50 instances, so every prober in a batch runs the same
 * script and probes every target in it; only results about a prober's own group count. Groups are
 * packed into batches until either limit (50 instances, MAX_PROBE_CHECKS checks) would be passed.
 */
import { SSM_MAX_INSTANCES_PER_COMMAND } from '../aws/ssm.js';
import type { HostResult } from '../core/ports.js';
import { egressForwarding, natForwarding, parseProbeOutput, type ProbeCheckLine } from './parse.js';
import { MAX_PROBE_CHECKS, type EgressTarget, type ProbeTarget } from './script.js';
import { type Observation, combinePeers, combinePorts } from './verdicts.js';

/** A member as the probes see it. */
export interface ProbeNode {
  readonly id: string;
  readonly group: string;
  readonly ip: string;
  readonly ports: readonly number[];
  /** NAT members check their own path to the outside (egress). */
  readonly nat: boolean;
}

/** One group's share of a batch: who probes, and whom. */
export interface PeerUnit {
  readonly group: string;
  readonly probers: readonly string[];
  readonly targets: readonly ProbeNode[];
  /** Whether the NAT probers check themselves: egress (when endpoints are configured) and forwarding configuration. */
  readonly egress: boolean;
}

export interface PeerBatch {
  readonly probers: readonly string[];
  readonly targets: readonly ProbeTarget[];
  /** Group of each prober and target, to keep only same-group opinions. */
  readonly groupOf: ReadonlyMap<string, string>;
  /** NAT probers whose egress result counts, and the target id their egress lines are credited to. */
  readonly egressCredit?: string;
  /** The target id the forwarding-configuration lines are credited to (each NAT prober reports on itself). */
  readonly forwardingCredit?: string;
  readonly natProbers: readonly string[];
}

const checksOf = (node: ProbeNode, egress: number): number => 1 + new Set(node.ports).size + egress;

/**
 * Packs units into batches of at most 50 probers and `maxChecks` checks. Egress endpoints and the
 * forwarding-configuration check ride on one target per batch, so each prober runs them once
 * whatever the number of NAT groups. `forwarding: false` leaves the latter out.
 */
export function planBatches(
  units: readonly PeerUnit[],
  egress: readonly EgressTarget[],
  maxChecks = MAX_PROBE_CHECKS,
  forwarding = true,
): PeerBatch[] {
  interface Draft {
    probers: Set<string>;
    targets: ProbeNode[];
    checks: number;
    groupOf: Map<string, string>;
    nat: Set<string>;
    egress: boolean;
    forwarding: boolean;
  }
  const drafts: Draft[] = [];
  const fresh = (): Draft => ({ probers: new Set(), targets: [], checks: 0, groupOf: new Map(), nat: new Set(), egress: false, forwarding: false });
  let current = fresh();
  for (const unit of units) {
    const wantsEgress = unit.egress && egress.length > 0;
    const wantsForwarding = unit.egress && forwarding;
    const selfChecks = (draft: Draft) => (wantsEgress && !draft.egress ? egress.length : 0) + (wantsForwarding && !draft.forwarding ? 1 : 0);
    const checks = unit.targets.reduce((n, t) => n + checksOf(t, 0), 0) + selfChecks(current);
    const fits = current.probers.size + unit.probers.length <= SSM_MAX_INSTANCES_PER_COMMAND && current.checks + checks <= maxChecks;
    if (!fits && current.probers.size > 0) {
      drafts.push(current);
      current = fresh();
    }
    for (const p of unit.probers) current.probers.add(p);
    for (const t of unit.targets) current.targets.push(t);
    for (const id of [...unit.probers, ...unit.targets.map((t) => t.id)]) current.groupOf.set(id, unit.group);
    current.checks += selfChecks(current);
    if (wantsEgress || wantsForwarding) for (const t of unit.targets) if (t.nat && unit.probers.includes(t.id)) current.nat.add(t.id);
    if (wantsEgress) current.egress = true;
    if (wantsForwarding) current.forwarding = true;
    current.checks += unit.targets.reduce((n, t) => n + checksOf(t, 0), 0);
  }
  if (current.probers.size > 0) drafts.push(current);

  return drafts.map((d) => {
    const [first] = d.targets;
    const credit = d.egress && first ? first.id : undefined;
    const forwardingCredit = d.forwarding && first ? first.id : undefined;
    return {
      probers: [...d.probers],
      targets: d.targets.map((t) => ({
        id: t.id,
        ip: t.ip,
        tcpPorts: [...t.ports],
        ...(t.id === credit ? { egress } : {}),
        ...(t.id === forwardingCredit ? { forwarding: true } : {}),
      })),
      groupOf: d.groupOf,
      natProbers: [...d.nat],
      ...(credit === undefined ? {} : { egressCredit: credit }),
      ...(forwardingCredit === undefined ? {} : { forwardingCredit }),
    };
  });
}

export interface PeerReading {
  /** Per target: the peers' combined opinion. */
  readonly opinions: ReadonlyMap<string, Observation>;
  /** Per NAT prober: its own egress check. */
  readonly egress: ReadonlyMap<string, Observation>;
  /** Per NAT prober: its own forwarding configuration (ip_forward, MASQUERADE/SNAT rule). */
  readonly forwarding: ReadonlyMap<string, Observation>;
  /** Round-trip times the peers measured (ICMP), per target. */
  readonly rttMs: ReadonlyMap<string, readonly number[]>;
}

const asObservation = (result: ProbeCheckLine['result']): Observation => (result === 'ok' ? 'ok' : result === 'fail' ? 'fail' : 'unknown');

/** Reads what the probers printed. A prober whose command did not succeed has no opinion. */
export function readBatch(batch: PeerBatch, results: readonly HostResult[]): PeerReading {
  const perTarget = new Map<string, Observation[]>();
  const egress = new Map<string, Observation>();
  const forwarding = new Map<string, Observation>();
  const rttMs = new Map<string, number[]>();
  for (const result of results) {
    if (result.status !== 'success') continue;
    const prober = result.instanceId;
    const lines = parseProbeOutput(result.stdout);
    const checks = lines.filter((l): l is ProbeCheckLine => l.kind === 'check');
    for (const target of batch.targets) {
      if (target.id === prober || batch.groupOf.get(target.id) !== batch.groupOf.get(prober)) continue;
      const mine = checks.filter((l) => l.id === target.id);
      const ports = mine.filter((l) => l.check === 'tcp').map((l) => asObservation(l.result));
      // A port the output does not mention (cut short) is no evidence.
      const opinion = ports.length === new Set(target.tcpPorts).size ? combinePorts(ports) : 'unknown';
      perTarget.set(target.id, [...(perTarget.get(target.id) ?? []), opinion]);
      const rtt = mine.find((l) => l.check === 'icmp')?.rttMs;
      if (rtt !== undefined) rttMs.set(target.id, [...(rttMs.get(target.id) ?? []), rtt]);
    }
    if (batch.egressCredit !== undefined && batch.natProbers.includes(prober)) {
      egress.set(prober, egressForwarding(lines, batch.egressCredit));
    }
    if (batch.forwardingCredit !== undefined && batch.natProbers.includes(prober)) forwarding.set(prober, natForwarding(lines, batch.forwardingCredit));
  }
  const opinions = new Map([...perTarget].map(([id, list]) => [id, combinePeers(list)]));
  return { opinions, egress, forwarding, rttMs };
}
