/**
 * Routes as the NAT planning sees them: destinations compared by kind and value, which routes of a
 * table travel with a NAT member, and in which order the tables switch. Pure.
 */
import type { Member } from './groups.js';
import type { Action, NatGateway, Route, RouteDestination, RouteTarget, SwitchTarget } from './model.js';

/** The IPv4 default route: the one route a NAT table must have, created when it is missing. */
export const DEFAULT_IPV4_ROUTE: RouteDestination = Object.freeze({ kind: 'ipv4', value: '0.0.0.0/0' });

export const sameDestination = (a: RouteDestination, b: RouteDestination): boolean => a.kind === b.kind && a.value === b.value;

/** The destination as an operator writes it: `0.0.0.0/0`, `::/0`, `pl-0123…`. */
export const destinationText = (d: RouteDestination): string => d.value;

/** Whether the route sends its traffic to this member: its ENI (any of them), or its instance. */
export function routesVia(route: Route, member: Member): boolean {
  const target = route.target;
  if (target.kind === 'eni') {
    return target.networkInterfaceId === member.eni.networkInterfaceId || (target.instanceId !== undefined && target.instanceId === member.instance.instanceId);
  }
  return target.kind === 'instance' && target.instanceId === member.instance.instanceId;
}

/** Whether the route sends its traffic to this NAT gateway. */
export const routesViaGateway = (route: Route, gateway: NatGateway): boolean => route.target.kind === 'nat-gateway' && route.target.natGatewayId === gateway.natGatewayId;

/** NAT64's well-known prefix (RFC 6052): a NAT gateway translates it to IPv4 (with DNS64 on the subnet). */
export const NAT64_PREFIX = '64:ff9b::/96';

/**
 * Whether the target can carry traffic for this destination. A NAT instance's ENI carries every
 * kind (IPv4, IPv6 and prefix lists alike). A NAT gateway translates IPv4, and IPv6 only to the
 * NAT64 prefix `64:ff9b::/96`: any other IPv6 route (`::/0` first of all, which belongs to an
 * egress-only internet gateway) stays where it is and is named instead. A prefix list stays too:
 * its address family is not in the route (it takes DescribeManagedPrefixLists), and an IPv6 one
 * through a NAT gateway would fail the call in the middle of a failover.
 */
export function carries(target: SwitchTarget, destination: RouteDestination): boolean {
  switch (target.kind) {
    case 'eni':
    case 'eni-private-ip':
      return true;
    case 'nat-gateway':
      return destination.kind === 'ipv4' || (destination.kind === 'ipv6' && destination.value.toLowerCase() === NAT64_PREFIX);
  }
}

/** A switch target as people read it: `eni-… (i-…)` or `nat-…`. */
export function targetText(target: SwitchTarget): string {
  switch (target.kind) {
    case 'eni':
    case 'eni-private-ip':
      return `${target.networkInterfaceId} (${target.instanceId})`;
    case 'nat-gateway':
      return target.natGatewayId;
  }
}

/** Whether a route as read back goes where the switch sent it. */
export function reaches(route: RouteTarget, target: SwitchTarget): boolean {
  switch (target.kind) {
    case 'eni':
    case 'eni-private-ip':
      return route.kind === 'eni' && route.networkInterfaceId === target.networkInterfaceId;
    case 'nat-gateway':
      return route.kind === 'nat-gateway' && route.natGatewayId === target.natGatewayId;
  }
}

/**
 * The order in which a NAT group's tables switch, so that within EC2's rate limit the traffic that
 * lost its own AZ's NAT moves first: tables of the failed member's AZ, then `any`, then the others.
 */
export function switchRank(tableAz: string, failedAz: string | undefined): number {
  if (failedAz !== undefined && tableAz === failedAz) return 0;
  return tableAz === 'any' ? 1 : 2;
}

/** Route actions sorted by rank, then table, with each table's default route first; other actions keep their place ahead. */
export function orderRouteActions(actions: readonly Action[], rankOf: (routeTableId: string) => number): Action[] {
  const isRoute = (a: Action): a is Extract<Action, { type: 'replace-route' | 'create-route' }> => a.type === 'replace-route' || a.type === 'create-route';
  const others = actions.filter((a) => !isRoute(a));
  const routes = actions.filter(isRoute).map((action, index) => ({ action, index }));
  routes.sort(
    (x, y) =>
      rankOf(x.action.routeTableId) - rankOf(y.action.routeTableId) ||
      x.action.routeTableId.localeCompare(y.action.routeTableId) ||
      Number(!sameDestination(x.action.destination, DEFAULT_IPV4_ROUTE)) - Number(!sameDestination(y.action.destination, DEFAULT_IPV4_ROUTE)) ||
      x.index - y.index,
  );
  return [...others, ...routes.map((r) => r.action)];
}
