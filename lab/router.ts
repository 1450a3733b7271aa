/**
 * The VPC router as `ip` commands: what the lab's router namespace must hold for the simulated
 * EC2's state. Pure: the fabric feeds these lines to `ip -batch`. Every value is validated before
 * it is put in a line.
 *
 * - Every ENI has a /32 host route and a permanent neighbour entry on its port (the VPC knows each
 *   ENI's MAC; it never ARPs), and a secondary address goes to whichever ENI holds it in EC2.
 * - Each route table is a kernel routing table; a packet is looked up in the table of the subnet
 *   of the ENI it came from (`ip rule iif <port>`), as the VPC routes by the source ENI's subnet, not
 *   by the packet's source address (a NAT's forwarded packets keep the client's address).
 * - The table's local route (the VPC CIDR) is a `throw`: lookup falls through to the host routes;
 *   so is a route to a peered VPC (one router serves every VPC of the lab).
 * - Below everything, each table drops what it has no route for (`tableFloor`): without it the
 *   lookup would fall through to the host routes too, and reach a VPC the table does not peer with.
 */
import type { RouteRec } from '../sim/core.js';
import type { WorldModel } from '../sim/model.js';
import { isIpv4, isMac, parseCidr } from '../shared/core/validate.js';
import { LabError } from './errors.js';

/** Where an ENI meets the router: the router's end of the ENI's veth. */
export interface Port {
  readonly eniId: string;
  /** The router-side device. */
  readonly dev: string;
  /** The ENI's primary private address and MAC. */
  readonly ip: string;
  readonly mac: string;
}

/** The router's link to the internet namespace (the internet gateway). */
export interface Uplink {
  readonly dev: string;
  /** The internet namespace's end of the link. */
  readonly gateway: string;
}

/** Where a route table sends a destination. */
export type Hop =
  | { readonly kind: 'local' }
  | { readonly kind: 'port'; readonly port: Port }
  | { readonly kind: 'internet' }
  /** A stopped or gone target, or one the lab does not model (a NAT gateway no namespace plays): dropped. */
  | { readonly kind: 'blackhole' };

const DEV = /^[a-z][a-z0-9_-]{0,14}$/;

function bad(what: string, value: unknown): never {
  throw new LabError(`refusing to build a router command: ${what} '${String(value)}'`, { context: { field: what } });
}

const dev = (value: string): string => (DEV.test(value) ? value : bad('device', value));
const ip = (value: string): string => (isIpv4(value) ? value : bad('address', value));
const mac = (value: string): string => (isMac(value) ? value : bad('MAC', value));
const cidr = (value: string): string => (parseCidr(value) ? value : bad('CIDR', value));
const table = (value: number): number => (Number.isInteger(value) && value > 0 && value < 2 ** 31 && value !== 253 && value !== 254 && value !== 255 ? value : bad('table', value));

/** Delivers `address` to the ENI behind `port`. */
export function hostRoute(address: string, port: Port): string[] {
  return [`route replace ${ip(address)}/32 dev ${dev(port.dev)}`, `neigh replace ${ip(address)} lladdr ${mac(port.mac)} dev ${dev(port.dev)} nud permanent`];
}

/** An address no ENI holds: dropped, and never answered by proxy ARP. */
export function noHost(address: string): string[] {
  return [`route replace blackhole ${ip(address)}/32`];
}

/** One route of a route table, as a replace (idempotent). */
export function tableRoute(tableId: number, destination: string, hop: Hop, uplink: Uplink): string {
  const where = `table ${table(tableId)}`;
  switch (hop.kind) {
    case 'local':
      return `route replace ${where} throw ${cidr(destination)}`;
    case 'port':
      return `route replace ${where} ${cidr(destination)} via ${ip(hop.port.ip)} dev ${dev(hop.port.dev)} onlink`;
    case 'internet':
      return `route replace ${where} ${cidr(destination)} via ${ip(uplink.gateway)} dev ${dev(uplink.dev)} onlink`;
    case 'blackhole':
      return `route replace ${where} blackhole ${cidr(destination)}`;
  }
}

export function tableRouteDeleted(tableId: number, destination: string): string {
  // Metric 0: EC2's route, never the floor under a deleted default route.
  return `route del table ${table(tableId)} ${cidr(destination)} metric 0`;
}

/** The floor's metric: above the 0 of every route EC2 gives the table, so any of them wins. */
const FLOOR_METRIC = 65_535;

/** The last resort of a table, below any default route EC2 gives it: drop. */
export function tableFloor(tableId: number): string {
  return `route replace table ${table(tableId)} blackhole 0.0.0.0/0 metric ${FLOOR_METRIC}`;
}

/** Packets from the ENI behind `port` are routed by `tableId`. Added once: rules survive a link going down. */
export function portRule(port: Port, tableId: number, priority: number): string {
  return `rule add iif ${dev(port.dev)} lookup ${table(tableId)} priority ${table(priority)}`;
}

/** Where the route sends traffic now, in the lab's terms. */
export function hopOf(world: WorldModel, route: RouteRec, ports: ReadonlyMap<string, Port>): Hop {
  const target = route.target;
  if (target.kind === 'gateway') {
    // A peering connection reaches the peer VPC's ENIs, whose host routes this router also holds.
    if (target.gatewayId === 'local' || target.gatewayId.startsWith('pcx-')) return { kind: 'local' };
    return target.gatewayId.startsWith('igw-') ? { kind: 'internet' } : { kind: 'blackhole' };
  }
  // A NAT gateway the lab plays (its port is listed under the gateway's ID) forwards; any other is not modelled.
  if (target.kind === 'nat-gateway') {
    const port = ports.get(target.natGatewayId);
    return port ? { kind: 'port', port } : { kind: 'blackhole' };
  }
  if (world.routeState(route) === 'blackhole') return { kind: 'blackhole' };
  const port = ports.get(target.networkInterfaceId);
  return port ? { kind: 'port', port } : { kind: 'blackhole' };
}

/** The route table that routes a subnet: its explicit association, else its VPC's main table. */
export function tableOfSubnet(world: WorldModel, subnetId: string): string | undefined {
  const tables = [...world.routeTables.values()];
  const explicit = tables.find((t) => t.associations.some((a) => a.subnetId === subnetId));
  if (explicit) return explicit.id;
  const vpcId = world.subnets.get(subnetId)?.vpcId;
  return tables.find((t) => t.vpcId === vpcId && t.associations.some((a) => a.main))?.id;
}

/**
 * Everything the router should carry for the world as it is now (addresses as Describe* shows
 * them): host routes for every port and secondary address, every table's routes. Replaces only,
 * so it can be run again after a link came back (a link going down drops its routes).
 */
export function renderRouter(world: WorldModel, ports: ReadonlyMap<string, Port>, tables: ReadonlyMap<string, number>, uplink: Uplink): string[] {
  const lines: string[] = [];
  // A NAT gateway's port is listed twice (its ENI, its ID): one host route each.
  for (const port of new Set(ports.values())) lines.push(...hostRoute(port.ip, port));
  for (const eni of world.enis.values()) {
    const port = ports.get(eni.id);
    for (const address of world.secondariesOf(eni.id, 'visible')) lines.push(...(port ? hostRoute(address, port) : noHost(address)));
  }
  for (const [rtbId, tableId] of tables) {
    for (const route of world.routeTable(rtbId).routes) lines.push(tableRoute(tableId, route.destination, hopOf(world, route, ports), uplink));
    lines.push(tableFloor(tableId));
  }
  return lines;
}
