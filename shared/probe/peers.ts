/**
 * Probing from peer members over SSM: which instances run the probe script, against whom, in as
 * few SendCommand calls as possible, and how their output becomes opinions about each node.
 *
 * SendCommand runs one script on up to 50 instances with the same parameters, so the script holds
 * one block per prober (`probeBlocksScript`) and each host runs only the block of the address it
 * has: its own group's peers, and for a NAT its own egress and forwarding checks. Groups are packed
 * into batches until either limit (50 probers, MAX_SCRIPT_CHECKS checks in all blocks) would be passed.
 * A group whose blocks cannot be built is left out by name, never its neighbours.
 */
import { SSM_MAX_INSTANCES_PER_COMMAND } from '../aws/ssm.js';
import { FailoverError } from '../errors.js';
import type { HostResult } from '../core/ports.js';
import { egressForwarding, natForwarding, parseProbeOutput, type ProbeAddressLine, type ProbeCheckLine, type ProbeSelfLine } from './parse.js';
import { MAX_SCRIPT_CHECKS, type EgressTarget, type ProbeBlock, checkProbeBlock } from './script.js';
import { type Observation, combinePeers, combinePorts } from './verdicts.js';

/** A member as the probes see it. */
export interface ProbeNode {
  readonly id: string;
  readonly group: string;
  /** Its primary private IPv4 address: where peers reach it, and how its own host finds its block. */
  readonly ip: string;
  readonly ports: readonly number[];
  /** NAT members check their own path to the outside (egress). */
  readonly nat: boolean;
  /** Its VPC: the sensor of that VPC probes it (sensors.ts). */
  readonly vpc?: string;
  /** Its ENIs, which a route may name: a sensor's egress check is credited through them (egress.ts). */
  readonly enis?: readonly string[];
}

/** One group's share of a batch: who probes, and whom. */
export interface PeerUnit {
  readonly group: string;
  readonly probers: readonly ProbeNode[];
  readonly targets: readonly ProbeNode[];
  /** Whether the NAT probers check themselves: egress (when endpoints are configured) and forwarding configuration. */
  readonly egress: boolean;
  /** Addresses every prober reports the presence of on its own interfaces (the group's VIP). */
  readonly addresses?: readonly string[];
}

export interface PeerBatch {
  /** The instances the command goes to: one per block. */
  readonly probers: readonly string[];
  /** One per prober, ready for `probeBlocksScript`. */
  readonly blocks: readonly ProbeBlock[];
  /** Group of each prober and target, to keep only same-group opinions. */
  readonly groupOf: ReadonlyMap<string, string>;
  /** NAT probers whose blocks carry their own egress or forwarding checks. */
  readonly natProbers: readonly string[];
}

const checksOf = (node: ProbeNode): number => 1 + new Set(node.ports).size;

/** A prober's block, or undefined when it would have nothing to do. */
function blockOf(unit: PeerUnit, prober: ProbeNode, egress: readonly EgressTarget[], forwarding: boolean): { block: ProbeBlock; checks: number } | undefined {
  const targets = unit.targets.filter((t) => t.id !== prober.id);
  const self = unit.egress && prober.nat;
  const ownEgress = self ? egress : [];
  const ownForwarding = self && forwarding;
  const addresses = unit.addresses ?? [];
  const checks = targets.reduce((n, t) => n + checksOf(t), 0) + ownEgress.length + (ownForwarding ? 1 : 0) + addresses.length;
  if (checks === 0) return undefined;
  return {
    checks,
    block: {
      proberId: prober.id,
      proberIp: prober.ip,
      targets: targets.map((t) => ({ id: t.id, ip: t.ip, tcpPorts: [...t.ports] })),
      ...(ownEgress.length > 0 ? { egress: [...ownEgress] } : {}),
      ...(ownForwarding ? { forwarding: true } : {}),
      ...(addresses.length > 0 ? { addresses: [...addresses] } : {}),
    },
  };
}

/** A group left out of a sweep or confirmation: its members' peer opinions are unknown this time. */
export interface DroppedGroup {
  readonly group: string;
  /** What could not be built, naming the field and the limit (`block.targets: 172 checks is more than 150`). */
  readonly reason: string;
}

export interface PeerPlan {
  readonly batches: readonly PeerBatch[];
  readonly dropped: readonly DroppedGroup[];
}

interface PlannedBlock {
  readonly block: ProbeBlock;
  readonly checks: number;
  readonly nat: boolean;
}

/**
 * A unit's blocks, each checked as the script builder will check it; undefined (with the reason)
 * when any block could not be built: then the whole group is left out, never its neighbours.
 */
function unitBlocks(unit: PeerUnit, egress: readonly EgressTarget[], forwarding: boolean): PlannedBlock[] | DroppedGroup {
  const planned: PlannedBlock[] = [];
  for (const prober of unit.probers) {
    const b = blockOf(unit, prober, egress, forwarding);
    if (!b) continue;
    try {
      checkProbeBlock(b.block, `${unit.group}.${prober.id}`);
    } catch (error) {
      const field = error instanceof FailoverError ? error.context['field'] : undefined;
      return { group: unit.group, reason: `${error instanceof Error ? error.message : String(error)}${field ? ` (${field})` : ''}` };
    }
    planned.push({ ...b, nat: (b.block.egress ?? []).length > 0 || b.block.forwarding === true });
  }
  return planned;
}

/**
 * Packs units into batches of at most 50 probers and `maxChecks` checks (summed over the blocks),
 * one block per prober. A NAT prober's block also carries its egress endpoints and, unless
 * `forwarding` is false, its forwarding-configuration check. A prober with nothing to check is left out.
 *
 * A group whose blocks cannot be built (past MAX_PROBE_CHECKS, a bad value) is left out and named in
 * `dropped`; a group too big for one batch is spread over several, one block never split. So one
 * group's tags cost only its own peer probes.
 */
export function planPeerBatches(units: readonly PeerUnit[], egress: readonly EgressTarget[], maxChecks = MAX_SCRIPT_CHECKS, forwarding = true): PeerPlan {
  interface Draft {
    blocks: ProbeBlock[];
    checks: number;
    groupOf: Map<string, string>;
    nat: string[];
  }
  const batches: Draft[] = [];
  const dropped: DroppedGroup[] = [];
  const fresh = (): Draft => ({ blocks: [], checks: 0, groupOf: new Map(), nat: [] });
  let current = fresh();
  const close = () => {
    if (current.blocks.length > 0) batches.push(current);
    current = fresh();
  };
  for (const unit of units) {
    const planned = unitBlocks(unit, egress, forwarding);
    if (!Array.isArray(planned)) {
      dropped.push(planned);
      continue;
    }
    if (planned.length === 0) continue;
    const checks = planned.reduce((n, b) => n + b.checks, 0);
    const fits = (blocks: number, more: number) => current.blocks.length + blocks <= SSM_MAX_INSTANCES_PER_COMMAND && current.checks + more <= maxChecks;
    // A unit goes into one batch when it can; one too big for any batch is spread block by block.
    const whole = planned.length <= SSM_MAX_INSTANCES_PER_COMMAND && checks <= maxChecks;
    if (whole && !fits(planned.length, checks)) close();
    for (const b of planned) {
      if (!whole && !fits(1, b.checks)) close();
      current.blocks.push(b.block);
      current.checks += b.checks;
      if (b.nat) current.nat.push(b.block.proberId);
      for (const id of [...unit.probers.map((p) => p.id), ...unit.targets.map((t) => t.id)]) current.groupOf.set(id, unit.group);
    }
  }
  close();
  return {
    batches: batches.map((d) => ({ probers: d.blocks.map((b) => b.proberId), blocks: d.blocks, groupOf: d.groupOf, natProbers: d.nat })),
    dropped,
  };
}

/** `planPeerBatches` without the groups it left out. */
export function planBatches(units: readonly PeerUnit[], egress: readonly EgressTarget[], maxChecks = MAX_SCRIPT_CHECKS, forwarding = true): PeerBatch[] {
  return [...planPeerBatches(units, egress, maxChecks, forwarding).batches];
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
  /** Per prober: the addresses of its block, and whether each was on its own interfaces. */
  readonly addresses: ReadonlyMap<string, Readonly<Record<string, boolean>>>;
  /** Probers whose command ran but whose host did not find its own block (or ran another's): their opinions are unknown. */
  readonly unidentified: readonly string[];
}

const asObservation = (result: ProbeCheckLine['result']): Observation => (result === 'ok' ? 'ok' : result === 'fail' ? 'fail' : 'unknown');

/**
 * Reads what the probers printed. Each prober's output counts only for its own block, and only if
 * it says it ran that block (`vpcf probe self=<its id>`): a host that ran no block or another's has
 * no opinion, and neither has a prober whose command did not succeed.
 */
export function readBatch(batch: PeerBatch, results: readonly HostResult[]): PeerReading {
  const perTarget = new Map<string, Observation[]>();
  const egress = new Map<string, Observation>();
  const forwarding = new Map<string, Observation>();
  const rttMs = new Map<string, number[]>();
  const addresses = new Map<string, Record<string, boolean>>();
  const unidentified: string[] = [];
  for (const result of results) {
    if (result.status !== 'success') continue;
    const prober = result.instanceId;
    const block = batch.blocks.find((b) => b.proberId === prober);
    if (block === undefined) continue;
    const lines = parseProbeOutput(result.stdout);
    const selves = lines.filter((l): l is ProbeSelfLine => l.kind === 'self');
    const identified = selves.length === 1 && selves[0]?.prober === prober;
    if (!identified) unidentified.push(prober);
    const checks = identified ? lines.filter((l): l is ProbeCheckLine => l.kind === 'check') : [];
    for (const target of block.targets) {
      if (target.id === prober || batch.groupOf.get(target.id) !== batch.groupOf.get(prober)) continue;
      const mine = checks.filter((l) => l.id === target.id);
      const ports = mine.filter((l) => l.check === 'tcp').map((l) => asObservation(l.result));
      // A port the output does not mention (cut short) is no evidence.
      const opinion = ports.length === new Set(target.tcpPorts).size ? combinePorts(ports) : 'unknown';
      perTarget.set(target.id, [...(perTarget.get(target.id) ?? []), opinion]);
      const rtt = mine.find((l) => l.check === 'icmp')?.rttMs;
      if (rtt !== undefined) rttMs.set(target.id, [...(rttMs.get(target.id) ?? []), rtt]);
    }
    const own = identified ? lines : [];
    if ((block.egress ?? []).length > 0) egress.set(prober, egressForwarding(own, prober));
    if (block.forwarding === true) forwarding.set(prober, natForwarding(own, prober));
    // Only the addresses its block asked about, and only lines about itself: a cut output says nothing.
    const seen = own.filter((l): l is ProbeAddressLine => l.kind === 'address' && l.id === prober && (block.addresses ?? []).includes(l.target));
    if (seen.length > 0) addresses.set(prober, Object.fromEntries(seen.map((l) => [l.target, l.present])));
  }
  const opinions = new Map([...perTarget].map(([id, list]) => [id, combinePeers(list)]));
  return { opinions, egress, forwarding, rttMs, addresses, unidentified };
}
