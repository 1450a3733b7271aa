/**
 * The sensors' egress checks, as pure functions: what a sensor in a private subnet is asked, what
 * its answer says, which NAT member it is about, and how one round's answers fold into a result per
 * NAT (behind.ts keeps the streaks).
 *
 * The credit comes from the snapshot the core observes, never from a guess: the route table whose
 * explicit association holds the sensor's subnet, its 0.0.0.0/0 route, and the NAT member that
 * route targets (its ENI or its instance). A subnet no tagged table is associated with, a route to
 * a NAT gateway or to anything outside the NAT groups, credits nobody: its answer can still prove
 * the endpoints up for the others.
 */
import type { RouteTable, WorldSnapshot } from '../core/model.js';
import { DEFAULT_IPV4_ROUTE, sameDestination } from '../core/routes.js';
import type { EgressTarget } from './script.js';
import type { TcpResult, TcpTarget } from './tcp.js';
import type { Observation } from './verdicts.js';

/** A NAT member as the credit needs it: its instance and the ENIs a route may name. */
export interface NatMember {
  readonly id: string;
  readonly enis: readonly string[];
}

/** Who a sensor's egress check is about. */
export type EgressCredit =
  | { readonly kind: 'member'; readonly id: string; readonly routeTableId: string }
  /** The check crosses no NAT member: a gateway, something outside the groups, or no tagged table. */
  | { readonly kind: 'none'; readonly path: string };

/** The sensor's targets for the endpoints: ids `egress-0`, `egress-1`, … (the sensor's schema wants probe ids). */
export function egressTargets(endpoints: readonly EgressTarget[]): TcpTarget[] {
  return endpoints.map((e, i) => ({ id: `egress-${i}`, ip: e.host, ports: [e.port] }));
}

/**
 * One sensor's answer: any endpoint that completed the handshake means the path works; every one
 * failing with evidence (timeout, refused, unreachable) means it does not; anything less is unknown.
 */
export function egressObservation(results: readonly TcpResult[], asked: number): Observation {
  if (results.some((r) => r.result === 'ok')) return 'ok';
  const failed = new Set(results.filter((r) => r.result === 'fail').map((r) => r.id));
  return asked > 0 && failed.size === asked ? 'fail' : 'unknown';
}

/** The tagged table explicitly associated with the subnet, if the snapshot has one. */
export function tableOf(snapshot: Pick<WorldSnapshot, 'routeTables'>, subnetId: string): RouteTable | undefined {
  return snapshot.routeTables.find((t) => (t.subnetIds ?? []).includes(subnetId));
}

/** Who the subnet's default route sends traffic to, in this snapshot. */
export function creditOf(snapshot: Pick<WorldSnapshot, 'routeTables'>, subnetId: string, nats: readonly NatMember[]): EgressCredit {
  const table = tableOf(snapshot, subnetId);
  if (!table) return { kind: 'none', path: `no tagged route table is associated with ${subnetId}` };
  const route = table.routes.find((r) => sameDestination(r.destination, DEFAULT_IPV4_ROUTE));
  if (!route) return { kind: 'none', path: `${table.routeTableId} has no 0.0.0.0/0` };
  const target = route.target;
  const member = nats.find((n) =>
    target.kind === 'eni' ? n.enis.includes(target.networkInterfaceId) || target.instanceId === n.id : target.kind === 'instance' && target.instanceId === n.id,
  );
  if (member) return { kind: 'member', id: member.id, routeTableId: table.routeTableId };
  const path = target.kind === 'nat-gateway' ? target.natGatewayId : target.kind === 'other' ? target.description : target.kind === 'eni' ? target.networkInterfaceId : target.instanceId;
  return { kind: 'none', path: `${table.routeTableId} → ${path}` };
}

/**
 * The credit at the time of the check: the snapshot read before it and the one read after it must
 * agree, or the route moved under the check and nobody is credited (a NAT that just became the
 * target is never blamed on the one before it, nor the other way round).
 */
export function creditAcross(before: EgressCredit, after: EgressCredit | undefined): EgressCredit {
  if (after === undefined) return before;
  const same = before.kind === after.kind && (before.kind === 'none' || (after.kind === 'member' && before.id === after.id));
  return same ? before : { kind: 'none', path: 'the route changed during the check' };
}

export interface EgressReading {
  readonly site: string;
  readonly observation: Observation;
  readonly credit: EgressCredit;
}

export interface EgressVerdict {
  readonly observation: Observation;
  /** The endpoints answered this round through a path that does not cross this member. */
  readonly proven: boolean;
  /** The sensors whose checks were credited to it. */
  readonly sites: readonly string[];
}

/**
 * One round's readings, per credited NAT member: `ok` if any sensor behind it got out, else `fail`
 * if any failed, else unknown. A member's failure is proven when a reading not credited to it got out.
 */
export function foldEgress(readings: readonly EgressReading[]): ReadonlyMap<string, EgressVerdict> {
  const out = new Map<string, EgressVerdict>();
  const members = new Set(readings.flatMap((r) => (r.credit.kind === 'member' ? [r.credit.id] : [])));
  for (const id of members) {
    const mine = readings.filter((r) => r.credit.kind === 'member' && r.credit.id === id);
    const observations = mine.map((r) => r.observation);
    const observation: Observation = observations.includes('ok') ? 'ok' : observations.includes('fail') ? 'fail' : 'unknown';
    const proven = readings.some((r) => r.observation === 'ok' && !(r.credit.kind === 'member' && r.credit.id === id));
    out.set(id, { observation, proven, sites: mine.map((r) => r.site) });
  }
  return out;
}
