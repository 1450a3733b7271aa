/**
 * A sensor in one private subnet of the VpcWorld, as the probe's egress checks see it: a connect to
 * an outside endpoint answers iff the subnet's route table (its explicit association, else the
 * VPC's main table) sends 0.0.0.0/0 to something that gets it out: a NAT instance that is
 * reachable and forwards for others (`forwards`), or an available NAT gateway or an internet
 * gateway. A failed connect takes the whole timeout, as a dropped SYN does.
 */
import type { Clock } from '../shared/core/ports.js';
import type { SensorPort, SensorRequest, SensorResponse } from '../shared/probe/ports.js';
import { checkSensorTargets } from '../shared/probe/sensor-schema.js';
import type { VpcWorld } from './world.js';

export interface EgressSensorOptions {
  /** Whether a NAT instance forwards what comes from behind it (its OS side). Default: always. */
  readonly forwards?: (instanceId: string) => boolean;
  /** Chance that one connect is lost. Default 0. */
  readonly lossRate?: number;
  readonly random?: () => number;
  /** Invoke overhead plus handshake time. Default 50 ms. */
  readonly latencyMs?: () => number;
}

export interface WorldEgressSensor extends SensorPort {
  readonly subnetId: string;
  readonly requests: SensorRequest[];
  /** While true, every outside endpoint is down (the internet, or the endpoints, fail). */
  endpointsDown: boolean;
}

export function worldEgressSensor(world: VpcWorld, clock: Clock, subnetId: string, options: EgressSensorOptions = {}): WorldEgressSensor {
  const random = options.random ?? Math.random;
  const latency = options.latencyMs ?? (() => 50);
  const forwards = options.forwards ?? (() => true);
  const getsOut = (): boolean => {
    const subnet = world.subnets.get(subnetId);
    const tables = [...world.routeTables.values()].filter((t) => t.vpcId === subnet?.vpcId);
    const table = tables.find((t) => t.associations.some((a) => a.subnetId === subnetId)) ?? tables.find((t) => t.associations.some((a) => a.main));
    const route = table && world.routeTarget(table.id, '0.0.0.0/0');
    if (!route || route.state === 'blackhole') return false;
    if (route.instanceId !== undefined) return world.isReachable(route.instanceId) && forwards(route.instanceId);
    return route.natGatewayId !== undefined || route.gatewayId !== undefined;
  };
  const sensor: WorldEgressSensor = {
    subnetId,
    requests: [],
    endpointsDown: false,
    async probe(request): Promise<SensorResponse> {
      sensor.requests.push(request);
      const overhead = latency();
      const { valid, refused } = checkSensorTargets(request.targets);
      const out = getsOut() && !sensor.endpointsDown;
      const results = valid.flatMap((t) =>
        t.ports.map((port) => {
          const ok = out && !(random() < (options.lossRate ?? 0));
          return { id: t.id, ip: t.ip, port, result: ok ? ('ok' as const) : ('fail' as const), ms: ok ? overhead : request.timeoutMs };
        }),
      );
      await clock.sleep(results.some((r) => r.result === 'fail') ? overhead + request.timeoutMs : overhead);
      return { results, ...(refused.length > 0 ? { refused } : {}) };
    },
  };
  return sensor;
}
