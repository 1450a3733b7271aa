/**
 * Routes as the NAT planning sees them: destinations compared by kind and value, which routes of a
 * table travel with a NAT member, and in which order the tables switch. Pure.
 */
import type { Member } from './groups.js';
import type { Action, Route, RouteDestination, SwitchTarget } from './model.js';

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

/**
 * Whether the target can carry traffic for this destination. A NAT instance's ENI carries every
 * kind (IPv4, IPv6 and prefix lists alike). This is the seam for the NAT Gateway member: a gateway
 * carries IPv4 only, so a route it cannot carry (`::/0`) stays where it is and is named instead.
 */
export function carries(target: SwitchTarget, _destination: RouteDestination): boolean {
  switch (target.kind) {
    case 'eni':
    case 'eni-private-ip':
      return true;
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
