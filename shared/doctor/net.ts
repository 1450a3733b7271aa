/**
 * How the VPC evaluates a TCP connection, as the Amazon VPC documentation describes it:
 * security groups are stateful and allow-only (any rule that matches lets the flow in, and its
 * replies out); network ACLs are stateless, apply only where traffic crosses a subnet boundary,
 * and are evaluated in ascending rule number, the first rule that matches deciding.
 */
import type { Route } from '../core/model.js';
import { ipv4ToInt, parseCidr } from '../core/validate.js';
import type { AclEntry, RouteTableFacts, SecurityGroupFacts, SgRule } from './model.js';

/** An inclusive range of IPv4 addresses as integers. */
export interface AddressRange {
  readonly first: number;
  readonly last: number;
}

export function rangeOf(cidrOrIp: string): AddressRange | undefined {
  const parsed = parseCidr(cidrOrIp.includes('/') ? cidrOrIp : `${cidrOrIp}/32`);
  if (!parsed) return undefined;
  const size = 2 ** (32 - parsed.prefixLength);
  const first = Math.floor(ipv4ToInt(parsed.base) / size) * size;
  return { first, last: first + size - 1 };
}

const covers = (outer: AddressRange, inner: AddressRange) => outer.first <= inner.first && inner.last <= outer.last;
const overlaps = (a: AddressRange, b: AddressRange) => a.first <= b.last && b.first <= a.last;

/** The ephemeral ports a reply goes back to: the range the VPC documentation recommends NACLs open. */
export const EPHEMERAL = { from: 1024, to: 65535 } as const;

/** Whether a protocol field means TCP. `-1` is every protocol. */
const isTcp = (protocol: string) => protocol === '-1' || protocol === 'tcp' || protocol === '6';

/** Whether one rule lets TCP to `port` from (or to) the peer: a sensor SG, or every address of `peer`. */
export function ruleAdmits(rule: SgRule, port: number, peer: { readonly groupIds: readonly string[]; readonly range?: AddressRange }): boolean {
  if (!isTcp(rule.protocol)) return false;
  if (rule.protocol !== '-1' && !(rule.fromPort !== undefined && rule.toPort !== undefined && rule.fromPort <= port && port <= rule.toPort)) return false;
  if (rule.groupIds.some((id) => peer.groupIds.includes(id))) return true;
  const range = peer.range;
  return range !== undefined && rule.cidrs.some((cidr) => {
    const allowed = rangeOf(cidr);
    return allowed !== undefined && covers(allowed, range);
  });
}

/** Whether any of these security groups admits the peer on `port` in that direction. */
export function groupsAdmit(groups: readonly SecurityGroupFacts[], direction: 'ingress' | 'egress', port: number, peer: { readonly groupIds: readonly string[]; readonly range?: AddressRange }): boolean {
  return groups.some((group) => group[direction].some((rule) => ruleAdmits(rule, port, peer)));
}

/** A NACL's answer for a range of addresses and ports: `partial` when a deny catches some of them first. */
export type AclVerdict = { readonly verdict: 'allow' } | { readonly verdict: 'deny' | 'partial'; readonly ruleNumber: number };

/**
 * Evaluates the entries of one direction for TCP between every address of `peer` and the ports
 * `ports`. A rule that covers them all decides; a deny that covers only some makes the answer
 * `partial` (some sensor addresses or reply ports are dropped); an allow that covers only some
 * decides nothing. Nothing matching is the ACL's final `*` deny.
 */
export function evaluateAcl(entries: readonly AclEntry[], egress: boolean, peer: AddressRange, ports: { readonly from: number; readonly to: number }): AclVerdict {
  let partialDeny: number | undefined;
  for (const entry of [...entries].filter((e) => e.egress === egress && isTcp(e.protocol)).sort((a, b) => a.ruleNumber - b.ruleNumber)) {
    const range = rangeOf(entry.cidr);
    if (!range || !overlaps(range, peer)) continue;
    const entryPorts = entry.protocol === '-1' || entry.ports === undefined ? { from: 0, to: 65535 } : entry.ports;
    if (entryPorts.to < ports.from || ports.to < entryPorts.from) continue;
    const whole = covers(range, peer) && entryPorts.from <= ports.from && ports.to <= entryPorts.to;
    if (!whole) {
      if (entry.action === 'deny') partialDeny ??= entry.ruleNumber;
      continue;
    }
    if (entry.action === 'deny') return { verdict: 'deny', ruleNumber: entry.ruleNumber };
    return partialDeny === undefined ? { verdict: 'allow' } : { verdict: 'partial', ruleNumber: partialDeny };
  }
  return partialDeny === undefined ? { verdict: 'deny', ruleNumber: 32767 } : { verdict: 'partial', ruleNumber: partialDeny };
}

/** The table that routes a subnet: its explicit association, else the VPC's main table. */
export function tableOfSubnet(tables: readonly RouteTableFacts[], subnetId: string, vpcId: string): RouteTableFacts | undefined {
  return tables.find((t) => t.subnetIds.includes(subnetId)) ?? tables.find((t) => t.main && t.vpcId === vpcId);
}

/** The most specific route for an address (longest prefix match), or undefined. */
export function routeFor(routes: readonly Route[], ip: string): Route | undefined {
  const address = rangeOf(ip);
  if (!address) return undefined;
  // Members have IPv4 addresses: only IPv4 CIDR destinations can match (prefix lists are not resolved here).
  const cidrOf = (route: Route) => (route.destination.kind === 'ipv4' ? route.destination.value : '');
  return routes
    .filter((route) => {
      const range = rangeOf(cidrOf(route));
      return range !== undefined && covers(range, address);
    })
    .sort((a, b) => (parseCidr(cidrOf(b))?.prefixLength ?? 0) - (parseCidr(cidrOf(a))?.prefixLength ?? 0))[0];
}

/** Whether a route goes to an internet gateway (the path a NAT instance's own subnet needs). */
export const isInternetGateway = (route: Route | undefined): boolean => route?.target.kind === 'other' && route.target.description.startsWith('igw-') && route.state === 'active';
