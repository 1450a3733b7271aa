/**
 * The common HA topologies, tagged per the project's tag contract:
 * instances carry `failover:group`, `failover:kind`, `failover:vip` | `failover:eip` |
 * `failover:overlay-ip`, optional `failover:priority` and `failover:ports`; route tables carry
 * `NATAZ=<az>|any` or `failover:overlay=<group>`; Elastic IPs carry `failover:group=<group>`. In
 * every pair, A is the current holder.
 *
 * Each builder creates its own VPC (10.<n>.0.0/16, n counting VPCs in the world), so several
 * groups can share one world.
 */
import type { GroupKind } from '../shared/core/model.js';
import type { Tags, VpcWorldOptions } from './core.js';
import type { InstanceInfo } from './model.js';
import { VpcWorld } from './world.js';

export interface HaFixtureOptions {
  /** Build into this world instead of a new one. */
  readonly world?: VpcWorld;
  /** Options for the new world (ignored with `world`). */
  readonly worldOptions?: VpcWorldOptions;
  /** Defaults to `<kind>-pair`. */
  readonly group?: string;
  /** `failover:priority` of A and B; null leaves the tag out. Default [1, 2]. */
  readonly priorities?: readonly [number, number] | null;
  /** `failover:ports`, e.g. '22,443'. Absent by default. */
  readonly ports?: string;
  /** Extra tags (or overrides) for A and B. */
  readonly tagsA?: Tags;
  readonly tagsB?: Tags;
  /** Source/destination check of both nodes; NAT and overlay default to false (already prepared), VIP/EIP to true. */
  readonly sourceDestCheck?: boolean;
}

export interface HaPair {
  readonly world: VpcWorld;
  readonly group: string;
  readonly kind: GroupKind;
  readonly vpcId: string;
  /** The current holder. */
  readonly a: InstanceInfo;
  /** The standby. */
  readonly b: InstanceInfo;
}

export interface VipPair extends HaPair {
  readonly kind: 'vip';
  readonly subnetId: string;
  /** The floating secondary private IP, held by A in EC2 and up in A's OS (as /32). */
  readonly vip: string;
}

export interface EipPair extends HaPair {
  readonly kind: 'eip';
  readonly subnetA: string;
  readonly subnetB: string;
  readonly allocationId: string;
  readonly publicIp: string;
  /** The public route table (0.0.0.0/0 to the internet gateway). */
  readonly publicRouteTable: string;
}

export interface NatPair extends HaPair {
  readonly kind: 'nat';
  readonly publicSubnets: { readonly a: string; readonly b: string };
  readonly privateSubnets: { readonly a: string; readonly b: string; readonly c: string };
  /** Private tables: NATAZ=<az a> and NATAZ=<az b> route 0.0.0.0/0 to A and B; NATAZ=any to A. */
  readonly routeTables: { readonly a: string; readonly b: string; readonly any: string };
  readonly publicRouteTable: string;
  readonly azs: { readonly a: string; readonly b: string };
}

export interface OverlayPair extends HaPair {
  readonly kind: 'overlay';
  /** e.g. `100.64.0.1/32`, routed to A's ENI in both overlay tables. */
  readonly overlayCidr: string;
  readonly routeTables: readonly [string, string];
}

interface Base {
  readonly world: VpcWorld;
  readonly group: string;
  readonly vpcId: string;
  /** `10.<n>`: the first two octets of the fixture's VPC. */
  readonly net: string;
  readonly index: number;
}

function start(kind: GroupKind, options: HaFixtureOptions): Base {
  const world = options.world ?? new VpcWorld(options.worldOptions);
  const index = world.vpcs.size;
  const net = `10.${index}`;
  const vpcId = world.addVpc({ cidr: `${net}.0.0/16`, tags: { Name: `${kind}-vpc` } });
  return { world, group: options.group ?? `${kind}-pair`, vpcId, net, index };
}

function nodeTags(base: Base, kind: GroupKind, options: HaFixtureOptions, node: 'a' | 'b', specific: Tags): Tags {
  const priorities = options.priorities === undefined ? [1, 2] : options.priorities;
  const priority = priorities?.[node === 'a' ? 0 : 1];
  return {
    Name: `${base.group}-${node}`,
    'failover:group': base.group,
    'failover:kind': kind,
    ...specific,
    ...(priority === undefined ? {} : { 'failover:priority': String(priority) }),
    ...(options.ports === undefined ? {} : { 'failover:ports': options.ports }),
    ...(node === 'a' ? options.tagsA : options.tagsB),
  };
}

function azName(world: VpcWorld, letter: string): string {
  return `${world.options.region}${letter}`;
}

/** Two instances in one subnet; A holds the VIP `10.<n>.1.100` in EC2 and in its OS. */
export function buildVipPair(options: HaFixtureOptions = {}): VipPair {
  const base = start('vip', options);
  const { world, net, vpcId } = base;
  const subnetId = world.addSubnet({ vpc: vpcId, cidr: `${net}.1.0/24`, az: azName(world, 'a'), tags: { Name: 'vip-subnet' } });
  const vip = `${net}.1.100`;
  const specific = { 'failover:vip': vip };
  const sourceDestCheck = options.sourceDestCheck ?? true;
  const a = world.addInstance({ subnet: subnetId, privateIp: `${net}.1.10`, secondaryIps: [vip], sourceDestCheck, tags: nodeTags(base, 'vip', options, 'a', specific) });
  const b = world.addInstance({ subnet: subnetId, privateIp: `${net}.1.11`, sourceDestCheck, tags: nodeTags(base, 'vip', options, 'b', specific) });
  return { world, group: base.group, kind: 'vip', vpcId, subnetId, vip, a, b };
}

/** Two instances in two AZs; the Elastic IP is associated with A's primary address. */
export function buildEipPair(options: HaFixtureOptions = {}): EipPair {
  const base = start('eip', options);
  const { world, net, vpcId } = base;
  const subnetA = world.addSubnet({ vpc: vpcId, cidr: `${net}.1.0/24`, az: azName(world, 'a'), tags: { Name: 'public-a' } });
  const subnetB = world.addSubnet({ vpc: vpcId, cidr: `${net}.2.0/24`, az: azName(world, 'b'), tags: { Name: 'public-b' } });
  const igw = world.nextId('igw');
  const publicRouteTable = world.addRouteTable({ vpc: vpcId, tags: { Name: 'public' }, subnets: [subnetA, subnetB], routes: [{ destination: '0.0.0.0/0', target: { gatewayId: igw } }] });
  // The address carries its group's tag: a group never uses an Elastic IP that does not name it.
  const allocationId = world.addEip({ tags: { Name: `${base.group}-eip`, 'failover:group': base.group } });
  const specific = { 'failover:eip': allocationId };
  const sourceDestCheck = options.sourceDestCheck ?? true;
  const a = world.addInstance({ subnet: subnetA, privateIp: `${net}.1.10`, sourceDestCheck, tags: nodeTags(base, 'eip', options, 'a', specific) });
  const b = world.addInstance({ subnet: subnetB, privateIp: `${net}.2.10`, sourceDestCheck, tags: nodeTags(base, 'eip', options, 'b', specific) });
  world.associateEip(allocationId, { networkInterfaceId: a.networkInterfaceId });
  const publicIp = world.eips.get(allocationId)?.publicIp ?? '';
  return { world, group: base.group, kind: 'eip', vpcId, subnetA, subnetB, allocationId, publicIp, publicRouteTable, a, b };
}

/**
 * NAT instances A (AZ a) and B (AZ b) in public subnets. Private tables NATAZ=<a> and NATAZ=<b>
 * send 0.0.0.0/0 to their AZ's NAT; the NATAZ=any table (private subnet in AZ c) to A.
 */
export function buildNatPair(options: HaFixtureOptions = {}): NatPair {
  const base = start('nat', options);
  const { world, net, vpcId } = base;
  const azs = { a: azName(world, 'a'), b: azName(world, 'b') };
  const publicSubnets = {
    a: world.addSubnet({ vpc: vpcId, cidr: `${net}.1.0/24`, az: azs.a, tags: { Name: 'public-a' } }),
    b: world.addSubnet({ vpc: vpcId, cidr: `${net}.2.0/24`, az: azs.b, tags: { Name: 'public-b' } }),
  };
  const privateSubnets = {
    a: world.addSubnet({ vpc: vpcId, cidr: `${net}.11.0/24`, az: azs.a, tags: { Name: 'private-a' } }),
    b: world.addSubnet({ vpc: vpcId, cidr: `${net}.12.0/24`, az: azs.b, tags: { Name: 'private-b' } }),
    c: world.addSubnet({ vpc: vpcId, cidr: `${net}.13.0/24`, az: azName(world, 'c'), tags: { Name: 'private-c' } }),
  };
  const igw = world.nextId('igw');
  const publicRouteTable = world.addRouteTable({ vpc: vpcId, tags: { Name: 'public' }, subnets: [publicSubnets.a, publicSubnets.b], routes: [{ destination: '0.0.0.0/0', target: { gatewayId: igw } }] });
  const sourceDestCheck = options.sourceDestCheck ?? false;
  const a = world.addInstance({ subnet: publicSubnets.a, privateIp: `${net}.1.10`, sourceDestCheck, tags: nodeTags(base, 'nat', options, 'a', {}) });
  const b = world.addInstance({ subnet: publicSubnets.b, privateIp: `${net}.2.10`, sourceDestCheck, tags: nodeTags(base, 'nat', options, 'b', {}) });
  const defaultVia = (eni: string) => [{ destination: '0.0.0.0/0', target: { networkInterfaceId: eni } }];
  const routeTables = {
    a: world.addRouteTable({ vpc: vpcId, tags: { Name: 'private-a', NATAZ: azs.a }, subnets: [privateSubnets.a], routes: defaultVia(a.networkInterfaceId) }),
    b: world.addRouteTable({ vpc: vpcId, tags: { Name: 'private-b', NATAZ: azs.b }, subnets: [privateSubnets.b], routes: defaultVia(b.networkInterfaceId) }),
    any: world.addRouteTable({ vpc: vpcId, tags: { Name: 'private-c', NATAZ: 'any' }, subnets: [privateSubnets.c], routes: defaultVia(a.networkInterfaceId) }),
  };
  return { world, group: base.group, kind: 'nat', vpcId, publicSubnets, privateSubnets, routeTables, publicRouteTable, azs, a, b };
}

/** Two routers in two AZs; two tables tagged `failover:overlay=<group>` route the overlay /32 to A. */
export function buildOverlayPair(options: HaFixtureOptions = {}): OverlayPair {
  const base = start('overlay', options);
  const { world, net, vpcId } = base;
  const subnetA = world.addSubnet({ vpc: vpcId, cidr: `${net}.1.0/24`, az: azName(world, 'a'), tags: { Name: 'overlay-a' } });
  const subnetB = world.addSubnet({ vpc: vpcId, cidr: `${net}.2.0/24`, az: azName(world, 'b'), tags: { Name: 'overlay-b' } });
  const overlayCidr = `100.64.${base.index}.1/32`;
  const specific = { 'failover:overlay-ip': overlayCidr };
  const sourceDestCheck = options.sourceDestCheck ?? false;
  const a = world.addInstance({ subnet: subnetA, privateIp: `${net}.1.10`, sourceDestCheck, tags: nodeTags(base, 'overlay', options, 'a', specific) });
  const b = world.addInstance({ subnet: subnetB, privateIp: `${net}.2.10`, sourceDestCheck, tags: nodeTags(base, 'overlay', options, 'b', specific) });
  const routes = [{ destination: overlayCidr, target: { networkInterfaceId: a.networkInterfaceId } }];
  const routeTables = [
    world.addRouteTable({ vpc: vpcId, tags: { Name: 'overlay-a', 'failover:overlay': base.group }, subnets: [subnetA], routes }),
    world.addRouteTable({ vpc: vpcId, tags: { Name: 'overlay-b', 'failover:overlay': base.group }, subnets: [subnetB], routes }),
  ] as const;
  return { world, group: base.group, kind: 'overlay', vpcId, overlayCidr, routeTables, a, b };
}

/** One of the four topologies by kind. */
export function buildHaWorld(kind: 'vip', options?: HaFixtureOptions): VipPair;
export function buildHaWorld(kind: 'eip', options?: HaFixtureOptions): EipPair;
export function buildHaWorld(kind: 'nat', options?: HaFixtureOptions): NatPair;
export function buildHaWorld(kind: 'overlay', options?: HaFixtureOptions): OverlayPair;
export function buildHaWorld(kind: GroupKind, options?: HaFixtureOptions): VipPair | EipPair | NatPair | OverlayPair;
export function buildHaWorld(kind: GroupKind, options: HaFixtureOptions = {}): VipPair | EipPair | NatPair | OverlayPair {
  switch (kind) {
    case 'vip':
      return buildVipPair(options);
    case 'eip':
      return buildEipPair(options);
    case 'nat':
      return buildNatPair(options);
    case 'overlay':
      return buildOverlayPair(options);
  }
}
