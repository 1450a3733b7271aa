/**
 * Discovery: turns one snapshot into HA groups, purely from tags. A group whose tags disagree
 * is returned as misconfigured, with every problem named, and is never moved.
 */
import type { ElasticIp, FailbackPolicy, GroupKind, Instance, NatGateway, NetworkInterface, RouteTable, Subnet, WorldSnapshot } from './model.js';
import { type Parsed, type RemediationPolicy, checkProbeBudget, parseAllocationId, parseCooldown, parseFailback, parseGroupName, parseNatAz, parseOverlayIp, parsePorts, parsePriority, parseRemediation, parseVip } from './tag-rules.js';
import { enforceOwnership } from './ownership.js';
import { TAG } from './tags.js';
import { cidrContains } from './validate.js';

export interface Member {
  readonly instance: Instance;
  /** Lower is preferred. Members without the tag sort after those with it. */
  readonly priority: number;
  /** The ENI that traffic for this group goes to. */
  readonly eni: NetworkInterface;
  /** `failover:ports`, the same on every member (a policy tag). */
  readonly ports: readonly number[];
}

export type { RemediationPolicy } from './tag-rules.js';

export interface GroupPolicy {
  readonly failback: FailbackPolicy;
  readonly cooldownMs: number;
  readonly remediate: RemediationPolicy;
}

interface GroupBase {
  readonly name: string;
  readonly members: readonly Member[];
  readonly policy: GroupPolicy;
}

export interface VipGroup extends GroupBase {
  readonly kind: 'vip';
  readonly vip: string;
  readonly subnet: Subnet;
}
export interface EipGroup extends GroupBase {
  readonly kind: 'eip';
  readonly allocationId: string;
  readonly address: ElasticIp;
}
export interface NatTable {
  readonly table: RouteTable;
  /** The AZ whose NAT the table prefers, or `any`. */
  readonly az: string;
}
export interface NatGroup extends GroupBase {
  readonly kind: 'nat';
  readonly vpcId: string;
  readonly tables: readonly NatTable[];
  /**
   * NAT gateways tagged `failover:group=<group>`: the last resort when no NAT instance can serve a
   * table, never probed, never remediated, never on the roster (nat-gateways.ts). Absent: none.
   */
  readonly gateways?: readonly NatGateway[];
  /** Tagged gateways left out (another VPC, private): named in status; the group still moves. */
  readonly gatewayProblems?: readonly string[];
}
export interface OverlayGroup extends GroupBase {
  readonly kind: 'overlay';
  readonly cidr: string;
  readonly tables: readonly RouteTable[];
}

export type Group = VipGroup | EipGroup | NatGroup | OverlayGroup;

/** A group that will not be moved until its tags are fixed. */
export interface MisconfiguredGroup {
  readonly name: string;
  readonly kind?: GroupKind;
  readonly instanceIds: readonly string[];
  readonly problems: readonly string[];
  /** Refused for an address it does not own (ownership.ts): people are told, not only status. */
  readonly notify?: boolean;
}

export interface Discovery {
  readonly groups: readonly Group[];
  readonly misconfigured: readonly MisconfiguredGroup[];
}

export interface DiscoveryDefaults {
  readonly cooldownMs: number;
  readonly failback: Readonly<Record<GroupKind, FailbackPolicy>>;
  /**
   * The VPCs this deployment may change (its IAM policy is scoped to them). A group elsewhere is
   * reported misconfigured instead of failing on AccessDenied in the middle of a failover.
   */
  readonly vpcIds?: readonly string[];
  /** The deployment's Region: a `NATAZ` value must name one of its zones. Absent: any Region's zone names pass. */
  readonly region?: string;
}

const KINDS: readonly GroupKind[] = ['vip', 'eip', 'nat', 'overlay'];
const UNRANKED = Number.MAX_SAFE_INTEGER;

/** The single value every member gives for a tag, or a problem naming the disagreement. */
function agreedTag(instances: readonly Instance[], key: string, problems: string[], required: boolean): string | undefined {
  const values = new Set(instances.map((i) => i.tags[key]).filter((v): v is string => v !== undefined));
  if (values.size > 1) {
    problems.push(`members disagree on tag ${key}: ${[...values].sort().join(', ')}`);
    return undefined;
  }
  const [value] = values;
  if (value === undefined || value.trim() === '') {
    if (required) problems.push(`tag ${key} is missing or empty`);
    return undefined;
  }
  return value.trim();
}

const idsOf = (instances: readonly Instance[]): string => instances.map((i) => i.instanceId).sort().join(', ');

/**
 * A policy tag (failback, cooldown, remediate, ports) is honoured only when every member carries
 * the same value: a member cannot set the group's policy by carrying a tag the others lack, and a
 * member that lacks one the others carry makes the group misconfigured. Undefined when no member
 * carries it (the deployment's default applies) or when the members do not agree.
 */
function policyTag<T>(instances: readonly Instance[], key: string, parse: (raw: string) => Parsed<T>, problems: string[]): T | undefined {
  const carrying = instances.filter((i) => i.tags[key] !== undefined);
  if (carrying.length === 0) return undefined;
  if (carrying.length < instances.length) {
    const lacking = instances.filter((i) => i.tags[key] === undefined);
    problems.push(`tag ${key} is on ${idsOf(carrying)} but not on ${idsOf(lacking)}: a policy tag must carry the same value on every member`);
    return undefined;
  }
  const values = new Set(carrying.map((i) => (i.tags[key] ?? '').trim()));
  if (values.size > 1) {
    problems.push(`members disagree on tag ${key}: ${[...values].sort().join(', ')}`);
    return undefined;
  }
  const parsed = parse([...values][0] ?? '');
  if ('problem' in parsed) {
    problems.push(parsed.problem);
    return undefined;
  }
  return parsed.value;
}

/** A required identity tag's agreed value, run through its validator. */
function requiredTag<T>(instances: readonly Instance[], key: string, parse: (raw: string) => Parsed<T>, problems: string[]): T | undefined {
  const raw = agreedTag(instances, key, problems, true);
  if (raw === undefined) return undefined;
  const parsed = parse(raw);
  if ('problem' in parsed) problems.push(parsed.problem);
  return 'value' in parsed ? parsed.value : undefined;
}

const NO_PORTS: readonly number[] = [];

function memberPriority(instance: Instance, problems: string[]): number {
  const raw = instance.tags[TAG.priority];
  if (raw === undefined) return UNRANKED;
  const parsed = parsePriority(raw.trim());
  if ('value' in parsed) return parsed.value;
  problems.push(`${instance.instanceId}: ${parsed.problem}`);
  return UNRANKED;
}

function parsePolicy(instances: readonly Instance[], kind: GroupKind, defaults: DiscoveryDefaults, problems: string[]): GroupPolicy & { ports: readonly number[] } {
  const failback = policyTag(instances, TAG.failback, parseFailback, problems);
  const cooldownMs = policyTag(instances, TAG.cooldown, parseCooldown, problems);
  const remediate = policyTag(instances, TAG.remediate, parseRemediation, problems);
  const ports = policyTag(instances, TAG.ports, parsePorts, problems);
  return {
    failback: failback ?? defaults.failback[kind],
    cooldownMs: cooldownMs ?? defaults.cooldownMs,
    remediate: remediate ?? 'off',
    ports: ports ?? NO_PORTS,
  };
}

function primaryEni(instance: Instance): NetworkInterface | undefined {
  return instance.networkInterfaces.find((eni) => eni.deviceIndex === 0) ?? instance.networkInterfaces[0];
}

/** Members that are gone for good no longer count: they cannot hold or receive anything. */
const isEnrolled = (instance: Instance): boolean => instance.state !== 'terminated' || instance.networkInterfaces.length > 0;

export function discover(world: WorldSnapshot, defaults: DiscoveryDefaults): Discovery {
  const byGroup = new Map<string, Instance[]>();
  const misconfigured: MisconfiguredGroup[] = [];
  for (const instance of world.instances) {
    const name = instance.tags[TAG.group]?.trim();
    if (name === undefined || !isEnrolled(instance)) continue;
    const parsed = parseGroupName(name);
    if ('problem' in parsed) {
      misconfigured.push({
        name: name || '(empty)',
        instanceIds: [instance.instanceId],
        problems: [`${instance.instanceId}: tag ${TAG.group} must be 1 to 64 of A-Z a-z 0-9 _ . : -, got '${instance.tags[TAG.group]}'`],
      });
      continue;
    }
    byGroup.set(name, [...(byGroup.get(name) ?? []), instance]);
  }

  const built: Group[] = [];
  for (const [name, instances] of [...byGroup].sort(([a], [b]) => a.localeCompare(b))) {
    const result = buildGroup(name, instances, world, defaults);
    if ('problems' in result) misconfigured.push(result);
    else built.push(result);
  }
  // NATAZ tables carry no group name, so two NAT groups in one VPC would fight over the same routes.
  const natVpcs = built.filter((g) => g.kind === 'nat').map((g) => g.vpcId);
  const groups = built.filter((g) => {
    if (g.kind !== 'nat' || natVpcs.filter((v) => v === g.vpcId).length === 1) return true;
    misconfigured.push({
      name: g.name,
      kind: 'nat',
      instanceIds: g.members.map((m) => m.instance.instanceId).sort(),
      problems: [`more than one nat group in ${g.vpcId}: NATAZ route tables cannot tell them apart`],
    });
    return false;
  });
  const owned = enforceOwnership(groups, world);
  return attachGateways(owned.kept, [...misconfigured, ...owned.refused], world);
}

function buildGroup(name: string, instances: Instance[], world: WorldSnapshot, defaults: DiscoveryDefaults): Group | MisconfiguredGroup {
  const problems: string[] = [];
  const instanceIds = instances.map((i) => i.instanceId).sort();
  const kindTag = agreedTag(instances, TAG.kind, problems, true);
  const kind = KINDS.find((k) => k === kindTag);
  if (kindTag !== undefined && kind === undefined) problems.push(`tag ${TAG.kind} must be one of ${KINDS.join(', ')}, got '${kindTag}'`);
  if (kind === undefined) return { name, instanceIds, problems };

  const vpcs = new Set(instances.map((i) => i.vpcId));
  if (vpcs.size > 1) problems.push(`members are in more than one VPC: ${[...vpcs].sort().join(', ')}`);
  const outside = defaults.vpcIds ? [...vpcs].filter((v) => !defaults.vpcIds?.includes(v)) : [];
  if (outside.length > 0) problems.push(`${outside.sort().join(', ')} is not in this deployment's vpcIds param: its IAM policy may not change it`);
  const { ports, ...policy } = parsePolicy(instances, kind, defaults, problems);
  const budget = checkProbeBudget(kind, instances.map(() => ports));
  if (budget !== undefined) problems.push(budget);
  const base = (eniOf: (i: Instance) => NetworkInterface | undefined, missing = 'has no network interface'): Member[] =>
    instances
      .map((instance): Member | undefined => {
        const eni = eniOf(instance);
        if (!eni) {
          problems.push(`${instance.instanceId}: ${missing}`);
          return undefined;
        }
        return { instance, eni, priority: memberPriority(instance, problems), ports };
      })
      .filter((m): m is Member => m !== undefined);

  const [vpcId = ''] = vpcs;
  switch (kind) {
    case 'vip': {
      const vip = requiredTag(instances, TAG.vip, parseVip, problems);
      if (vip === undefined) return { name, kind, instanceIds, problems };
      const subnetOf = (eni: NetworkInterface) => world.subnets.find((s) => s.subnetId === eni.subnetId);
      const members = base(
        (i) => i.networkInterfaces.find((eni) => cidrContains(subnetOf(eni)?.cidrBlock ?? '', vip)),
        `has no network interface in a subnet that contains VIP ${vip}`,
      );
      const subnet = members[0] && subnetOf(members[0].eni);
      if (problems.length > 0 || !subnet) return { name, kind, instanceIds, problems };
      return { name, kind, members, policy, vip, subnet };
    }
    case 'eip': {
      const allocationId = requiredTag(instances, TAG.eip, parseAllocationId, problems);
      const address = allocationId === undefined ? undefined : world.addresses.find((a) => a.allocationId === allocationId);
      if (allocationId !== undefined && !address) problems.push(`Elastic IP ${allocationId} not found in this region`);
      const members = base(primaryEni);
      if (problems.length > 0 || allocationId === undefined || !address) return { name, kind, instanceIds, problems };
      return { name, kind, members, policy, allocationId, address };
    }
    case 'nat': {
      const members = base(primaryEni);
      const tables = world.routeTables
        .filter((t) => t.vpcId === vpcId && t.tags[TAG.natAz] !== undefined)
        .map((table) => ({ table, az: (table.tags[TAG.natAz] ?? '').trim() }));
      for (const { table, az } of tables) {
        const parsed = parseNatAz(az, table.routeTableId, defaults.region);
        if ('problem' in parsed) problems.push(parsed.problem);
      }
      if (problems.length > 0) return { name, kind, instanceIds, problems };
      return { name, kind, members, policy, vpcId, tables };
    }
    case 'overlay': {
      const cidr = requiredTag(instances, TAG.overlayIp, parseOverlayIp, problems);
      const tables = world.routeTables.filter((t) => t.tags[TAG.overlayTable]?.trim() === name);
      const foreign = tables.filter((t) => t.vpcId !== vpcId);
      if (foreign.length > 0) problems.push(`route tables outside the members' VPC: ${foreign.map((t) => t.routeTableId).join(', ')}`);
      if (tables.length === 0) problems.push(`no route table is tagged ${TAG.overlayTable}=${name}`);
      const members = base(primaryEni);
      if (problems.length > 0 || cidr === undefined) return { name, kind, instanceIds, problems };
      return { name, kind, members, policy, cidr, tables };
    }
  }
}

/**
 * Hands each tagged gateway to the nat group its `failover:group` tag names. A gateway tagged for a
 * group that is not a nat group (or that no instance makes) is reported as a problem of that name;
 * one outside the group's VPC, or a private one (it reaches no internet), is left out and named in
 * the group's `gatewayProblems`: the group itself still moves between its instances.
 */
function attachGateways(groups: readonly Group[], misconfigured: readonly MisconfiguredGroup[], world: WorldSnapshot): { groups: Group[]; misconfigured: MisconfiguredGroup[] } {
  const tagged = (world.natGateways ?? []).filter((g) => (g.tags[TAG.group]?.trim() ?? '') !== '');
  const extra: MisconfiguredGroup[] = [];
  const joined = new Map<string, { gateways: NatGateway[]; problems: string[] }>();
  for (const gateway of [...tagged].sort((a, b) => a.natGatewayId.localeCompare(b.natGatewayId))) {
    const name = gateway.tags[TAG.group]?.trim() ?? '';
    const id = gateway.natGatewayId;
    const group = groups.find((g) => g.name === name);
    if (!group || group.kind !== 'nat') {
      const kind = group?.kind ?? misconfigured.find((m) => m.name === name)?.kind;
      const why = kind === undefined ? `no instance makes a group '${name}'` : kind === 'nat' ? `nat group '${name}' is misconfigured` : `'${name}' is a ${kind} group`;
      if (kind === 'nat') continue; // the group is refused anyway; its own problems say why
      extra.push({ name, instanceIds: [], problems: [`NAT gateway ${id} is tagged ${TAG.group}=${name}, but ${why}: a NAT gateway joins only a nat group`] });
      continue;
    }
    const entry = joined.get(name) ?? { gateways: [], problems: [] };
    joined.set(name, entry);
    if (gateway.vpcId !== group.vpcId) entry.problems.push(`NAT gateway ${id} is in ${gateway.vpcId}, not in the group's VPC ${group.vpcId}: never a target`);
    else if (gateway.connectivity === 'private') entry.problems.push(`NAT gateway ${id} is a private NAT gateway, which reaches no internet: never a target`);
    else entry.gateways.push(gateway);
  }
  const withGateways = groups.map((g): Group => {
    const entry = g.kind === 'nat' ? joined.get(g.name) : undefined;
    if (!entry || g.kind !== 'nat') return g;
    const nat: NatGroup = { ...g, gateways: entry.gateways, ...(entry.problems.length > 0 ? { gatewayProblems: entry.problems } : {}) };
    return nat;
  });
  return { groups: withGateways, misconfigured: [...misconfigured, ...extra] };
}
