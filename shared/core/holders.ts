/**
 * Who holds what right now. A "slot" is one thing that points at one node: the VIP, the Elastic IP,
 * or one route table's route. Status and decide() both read holders through here.
 */
import type { Group, Member } from './groups.js';
import type { NatGateway, Route, RouteDestination, RouteTable } from './model.js';
import { DEFAULT_IPV4_ROUTE, destinationText, sameDestination } from './routes.js';

export interface Slot {
  /** The VIP, the allocation ID or the route table ID. */
  readonly scope: string;
  /** The member the slot points at; undefined when it points nowhere or outside the group. */
  readonly holder?: Member;
  /** A nat group's table that points at one of the group's NAT gateways (its last resort): that gateway. */
  readonly gateway?: NatGateway;
  /** The slot points at a dead target (a blackhole route) or at nothing. */
  readonly broken: boolean;
  /** The route as found (a NAT table's default route), for choosing ReplaceRoute over CreateRoute. */
  readonly route?: Route;
  readonly table?: RouteTable;
  /** A NAT table's AZ, or `any`. */
  readonly az?: string;
  /** What the slot points at, in words, for status. */
  readonly pointsAt: string;
}

const byInstance = (members: readonly Member[], id: string | undefined) => members.find((m) => m.instance.instanceId === id);
const byEni = (members: readonly Member[], id: string | undefined) => members.find((m) => m.eni.networkInterfaceId === id);

function routeSlot(group: Group, table: RouteTable, destination: RouteDestination, az?: string): Slot {
  const gateways = group.kind === 'nat' ? (group.gateways ?? []) : [];
  const route = table.routes.find((r) => sameDestination(r.destination, destination));
  const base = { scope: table.routeTableId, table, ...(az === undefined ? {} : { az }) };
  if (!route) return { ...base, broken: true, pointsAt: `no ${destinationText(destination)} route` };
  const target = route.target;
  const holder =
    target.kind === 'eni'
      ? (byEni(group.members, target.networkInterfaceId) ?? byInstance(group.members, target.instanceId))
      : target.kind === 'instance'
        ? byInstance(group.members, target.instanceId)
        : undefined;
  const gateway = target.kind === 'nat-gateway' ? gateways.find((g) => g.natGatewayId === target.natGatewayId) : undefined;
  const pointsAt =
    target.kind === 'eni'
      ? target.networkInterfaceId
      : target.kind === 'instance'
        ? target.instanceId
        : target.kind === 'nat-gateway'
          ? `${target.natGatewayId}${gateway ? ` (NAT gateway, ${gateway.state})` : ''}`
          : target.description;
  return {
    ...base,
    route,
    broken: route.state === 'blackhole',
    ...(holder ? { holder } : {}),
    ...(gateway ? { gateway } : {}),
    pointsAt: route.state === 'blackhole' ? `${pointsAt} (blackhole)` : pointsAt,
  };
}

export function slotsOf(group: Group): Slot[] {
  switch (group.kind) {
    case 'vip': {
      const holder = group.members.find((m) =>
        m.instance.networkInterfaces.some((eni) => eni.privateIps.some((ip) => ip.address === group.vip && !ip.primary)),
      );
      return [{ scope: group.vip, broken: !holder, pointsAt: holder ? holder.instance.instanceId : 'no member', ...(holder ? { holder } : {}) }];
    }
    case 'eip': {
      const association = group.address.association;
      const holder = byEni(group.members, association?.networkInterfaceId) ?? byInstance(group.members, association?.instanceId);
      return [
        {
          scope: group.allocationId,
          broken: !association,
          pointsAt: association?.instanceId ?? association?.networkInterfaceId ?? 'not associated',
          ...(holder ? { holder } : {}),
        },
      ];
    }
    case 'nat':
      return group.tables.map(({ table, az }) => routeSlot(group, table, DEFAULT_IPV4_ROUTE, az));
    case 'overlay':
      return group.tables.map((table) => routeSlot(group, table, { kind: 'ipv4', value: group.cidr }));
  }
}

/**
 * The member a single-holder group (vip, eip, overlay) points at. Overlay tables should agree; after a
 * partial failure they may not, and the most common working target counts as the holder. A tie goes
 * to the member `rank` puts first (decide passes the health: a healthy member before one judged
 * unhealthy, so a split is never settled onto the failed side), then to priority and ID.
 */
export function groupHolder(group: Group, slots: readonly Slot[] = slotsOf(group), rank: (member: Member) => number = () => 0): Member | undefined {
  const counts = new Map<Member, number>();
  for (const s of slots) if (s.holder && !s.broken) counts.set(s.holder, (counts.get(s.holder) ?? 0) + 1);
  const id = (m: Member) => m.instance.instanceId;
  return [...counts].sort(([a, x], [b, y]) => y - x || rank(a) - rank(b) || a.priority - b.priority || id(a).localeCompare(id(b)))[0]?.[0];
}
