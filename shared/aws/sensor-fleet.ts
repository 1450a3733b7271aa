/**
 * The sensor fleet over Lambda and EC2: each sensor is invoked through lambda-sensor.ts, and where
 * it runs is read from Lambda's own record of the function (GetFunctionConfiguration's VpcConfig),
 * then each subnet's Availability Zone from DescribeSubnets. What the deployment says about a
 * sensor is never trusted for its placement: the function's configuration is.
 *
 * Placements are kept for `ttlMs` (a redeploy can move a sensor while the probe stays warm); a
 * sensor whose placement could not be read is asked again at the next call, and meanwhile comes
 * without one, with the reason (sensors.ts decides what that means).
 */
import { DescribeSubnetsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CallOptions, Clock } from '../core/ports.js';
import type { SensorPort } from '../probe/ports.js';
import type { SensorFleetPort, SensorPlacement, SensorSite } from '../probe/sensors.js';
import { createLambdaSensor } from './lambda-sensor.js';
import { toAwsCallError } from './translate.js';

export interface SensorFleetOptions {
  /** The stack's own sensor (VPCF_SENSOR_FUNCTION). */
  readonly main?: string;
  /** The fleet (VPCF_SENSOR_FLEET): sensors placed per subnet, which also check egress from behind the NATs. */
  readonly fleet: readonly string[];
  readonly clock: Clock;
  /** How long a placement read is kept. Default 15 minutes. */
  readonly ttlMs?: number;
}

interface Known {
  readonly at: number;
  readonly placement?: SensorPlacement;
  readonly problem?: string;
}

const DEFAULT_TTL_MS = 900_000;

/** @returns a port whose `sites` never rejects for one sensor's sake. */
export function createSensorFleet(lambda: LambdaClient, ec2: EC2Client, options: SensorFleetOptions): SensorFleetPort {
  const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
  const names = [...(options.main === undefined ? [] : [options.main]), ...options.fleet.filter((n) => n !== options.main)];
  const ports = new Map<string, SensorPort>(names.map((n) => [n, createLambdaSensor(lambda, n)]));
  const known = new Map<string, Known>();

  async function vpcConfigOf(name: string, call: CallOptions): Promise<{ vpcId: string; subnetIds: string[] } | string> {
    try {
      const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }), { abortSignal: call.signal });
      const vpcId = out.VpcConfig?.VpcId;
      const subnetIds = out.VpcConfig?.SubnetIds ?? [];
      if (vpcId === undefined || vpcId === '' || subnetIds.length === 0) return 'the function is not attached to a VPC';
      return { vpcId, subnetIds };
    } catch (error) {
      return toAwsCallError('GetFunctionConfiguration', error, { functionName: name }).message;
    }
  }

  /** Each subnet's AZ; an AZ that cannot be read is left out (it only names the sensor's place). */
  async function zonesOf(subnetIds: readonly string[], call: CallOptions): Promise<ReadonlyMap<string, string>> {
    if (subnetIds.length === 0) return new Map();
    try {
      const out = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds] }), { abortSignal: call.signal });
      return new Map((out.Subnets ?? []).flatMap((s) => (s.SubnetId && s.AvailabilityZone ? [[s.SubnetId, s.AvailabilityZone] as const] : [])));
    } catch (error) {
      // Translated only so that a programming error still throws; an AWS failure costs the AZ names.
      toAwsCallError('DescribeSubnets', error, { subnetIds: subnetIds.join(',') });
      return new Map();
    }
  }

  async function refresh(stale: readonly string[], call: CallOptions): Promise<void> {
    const configs = await Promise.all(stale.map(async (name) => [name, await vpcConfigOf(name, call)] as const));
    const subnets = [...new Set(configs.flatMap(([, c]) => (typeof c === 'string' ? [] : c.subnetIds)))];
    const zones = await zonesOf(subnets, call);
    const at = options.clock.now();
    for (const [name, config] of configs) {
      if (typeof config === 'string') {
        known.set(name, { at, problem: config });
        continue;
      }
      const placed = config.subnetIds.map((subnetId) => {
        const zone = zones.get(subnetId);
        return zone === undefined ? { subnetId } : { subnetId, availabilityZone: zone };
      });
      known.set(name, { at, placement: { vpcId: config.vpcId, subnets: placed } });
    }
  }

  return {
    async sites(call: CallOptions = {}): Promise<readonly SensorSite[]> {
      const now = options.clock.now();
      const stale = names.filter((n) => {
        const k = known.get(n);
        return k === undefined || k.problem !== undefined || now - k.at >= ttl;
      });
      if (stale.length > 0) await refresh(stale, call);
      return names.map((name) => {
        const k = known.get(name);
        const port = ports.get(name) as SensorPort;
        const main = name === options.main;
        return { name, port, main, egress: !main, ...(k?.placement ? { placement: k.placement } : {}), ...(k?.problem === undefined ? {} : { problem: k.problem }) };
      });
    },
  };
}
