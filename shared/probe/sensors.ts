/**
 * The sensor fleet's placement: which sensor probes the members of which VPC, and which sensors
 * check egress from behind a NAT. Pure; where each sensor runs is learned by the adapter
 * (shared/aws/sensor-fleet.ts) from Lambda's own record of the function, never from a tag.
 *
 * - Members are probed by a sensor in their own VPC: the main sensor (the stack's `sensor`) in
 *   its VPC, and in every other VPC the first fleet sensor there (by name). A VPC with no sensor
 *   has no vantage point: its groups are named (`uncovered`) and their members are never judged
 *   by the sensor, only by EC2's state, status checks and events.
 * - A sensor placed in exactly one subnet checks egress through that subnet's route. One placed in
 *   several subnets (Lambda picks one per invocation) cannot say which route it took, so it checks
 *   no egress. The main sensor checks egress only when it is asked to (`egress`), since its default
 *   security group lets it reach private addresses only.
 * - A main sensor whose placement could not be read (yet) probes every group, as a single-sensor
 *   deployment always did: a fleet sensor's security group need not let it reach the members, so
 *   one is never promoted for want of a read. The adapter reads it again at the next run.
 */
import type { SensorPort } from './ports.js';

export interface SensorSite {
  /** The function's name. */
  readonly name: string;
  readonly port: SensorPort;
  /** The stack's own sensor (`VPCF_SENSOR_FUNCTION`); the others are the fleet (`VPCF_SENSOR_FLEET`). */
  readonly main: boolean;
  /** Where Lambda runs it (GetFunctionConfiguration's VpcConfig, DescribeSubnets); absent while unknown. */
  readonly placement?: SensorPlacement;
  /** Whether it checks egress through its subnet's route (fleet sensors do). */
  readonly egress: boolean;
  /** Why its placement is not known (the read failed, or it is not in a VPC). */
  readonly problem?: string;
}

export interface SensorPlacement {
  readonly vpcId: string;
  readonly subnets: readonly { readonly subnetId: string; readonly availabilityZone?: string }[];
}

/** A sensor that checks egress from behind a NAT: one subnet, so one route. */
export interface EgressSite {
  readonly name: string;
  readonly port: SensorPort;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly availabilityZone?: string;
}

export interface Placement {
  /** The sensor that probes members in this VPC, if any. */
  memberSensor(vpcId: string | undefined): SensorSite | undefined;
  readonly egress: readonly EgressSite[];
  /** Sensors whose placement is unknown or unusable for what they are for, with why (for the log). */
  readonly idle: readonly { readonly name: string; readonly why: string }[];
}

/** Places the sites. `sites` is the main sensor (if any) and the fleet, in any order. */
export function placeSensors(sites: readonly SensorSite[]): Placement {
  const byName = [...sites].sort((a, b) => Number(b.main) - Number(a.main) || a.name.localeCompare(b.name));
  const perVpc = new Map<string, SensorSite>();
  for (const site of byName) {
    const vpc = site.placement?.vpcId;
    if (vpc !== undefined && !perVpc.has(vpc)) perVpc.set(vpc, site);
  }
  // Today's single sensor, where nothing says otherwise: the main sensor with no known placement.
  const fallback = byName.find((s) => s.main && s.placement === undefined);
  const egress: EgressSite[] = [];
  const idle: { name: string; why: string }[] = [];
  if (fallback?.problem !== undefined) idle.push({ name: fallback.name, why: `its placement could not be read (${fallback.problem}): it probes every group, whatever its VPC` });
  for (const site of byName) {
    if (!site.egress) continue;
    const p = site.placement;
    const subnet = p?.subnets.length === 1 ? p.subnets[0] : undefined;
    if (!p || !subnet) {
      const unknown = site.problem === undefined ? 'its placement is not known yet' : `its placement could not be read (${site.problem})`;
      idle.push({ name: site.name, why: p ? `placed in ${p.subnets.length} subnets: an egress sensor needs exactly one` : unknown });
      continue;
    }
    egress.push({ name: site.name, port: site.port, vpcId: p.vpcId, subnetId: subnet.subnetId, ...(subnet.availabilityZone === undefined ? {} : { availabilityZone: subnet.availabilityZone }) });
  }
  return {
    memberSensor: (vpcId) => fallback ?? (vpcId === undefined ? undefined : perVpc.get(vpcId)),
    egress,
    idle,
  };
}

/** The sensors a deployment has, with what is known of where each runs (shared/aws/sensor-fleet.ts). */
export interface SensorFleetPort {
  /** Never fails for one sensor: a sensor whose placement cannot be read comes without one. */
  sites(options?: { readonly signal?: AbortSignal }): Promise<readonly SensorSite[]>;
}
