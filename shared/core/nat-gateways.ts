/**
 * NAT gateways as a nat group's last resort: which tagged gateways join which group, and which of
 * them serves a route table's AZ best. Pure.
 *
 * A gateway is a member of another kind than an instance, kept in `NatGroup.gateways` and never in
 * `members`: everything that walks `members` (the probe, peers, the sensor, remediation, the
 * roster) only ever sees instances, and the compiler keeps it so. Its health is its `State`.
 */
import type { NatGateway } from './model.js';

/** Whether the gateway forwards now: `available` only (pending, deleting, deleted, failed never do). */
export const isServing = (gateway: NatGateway): boolean => gateway.state === 'available';

/**
 * How well a gateway serves a table of this AZ; lower is better. A zonal gateway in the table's own
 * AZ first, then a regional one (it serves every AZ), then a zonal one in another AZ: that traffic
 * crosses AZs, which is charged per GB each way. A table for `any` AZ prefers the regional one.
 */
export function gatewayTier(gateway: NatGateway, tableAz: string): number {
  if (gateway.mode === 'regional') return tableAz === 'any' ? 0 : 1;
  if (tableAz !== 'any' && gateway.availabilityZone === tableAz) return 0;
  return 2;
}

/** The serving gateways for a table of this AZ, best first (tier, then ID). */
export function rankGateways(gateways: readonly NatGateway[], tableAz: string): NatGateway[] {
  return gateways.filter(isServing).sort((a, b) => gatewayTier(a, tableAz) - gatewayTier(b, tableAz) || a.natGatewayId.localeCompare(b.natGatewayId));
}

/** The gateway in words, for a plan's reason: what it is and, across AZs, what it costs. */
export function describeGateway(gateway: NatGateway, tableAz: string): string {
  if (gateway.mode === 'regional') return `${gateway.natGatewayId}, the regional NAT gateway`;
  const where = gateway.availabilityZone ?? 'an AZ not read';
  const base = `${gateway.natGatewayId}, the zonal NAT gateway in ${where}`;
  return tableAz === 'any' || gateway.availabilityZone === tableAz ? base : `${base} (traffic from ${tableAz} crosses AZs, charged per GB)`;
}
