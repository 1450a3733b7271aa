/**
 * A sensor that answers from the VpcWorld: a port answers iff the instance is reachable (running,
 * not hung), the probe is not lost, and the sensor is not blind. Failed connects take the full
 * timeout, as a dropped SYN does. Each target is checked as the sensor function checks it: one past
 * the schema is refused by name and the others are probed.
 */
import type { Clock, DataPlanePort } from '../shared/core/ports.js';
import type { SensorPort, SensorRequest, SensorResponse } from '../shared/probe/ports.js';
import { checkSensorTargets } from '../shared/probe/sensor-schema.js';
import type { VpcWorld } from './world.js';

export interface WorldSensor extends SensorPort {
  /** While true, every connect fails (the sensor's own network is broken). */
  blind: boolean;
  /** Throw instead of answering (the Invoke failed). */
  down: boolean;
  readonly requests: SensorRequest[];
  /** The abort signal each request came with (undefined when none). */
  readonly signals: (AbortSignal | undefined)[];
}

export interface WorldSensorOptions {
  /** Chance that one connect is lost. Default 0. */
  readonly lossRate?: number;
  /** Chance that a connect to this instance is lost (a lossy or flapping link), on top of `lossRate`. */
  readonly linkLoss?: (instanceId: string) => number;
  readonly random?: () => number;
  /** Invoke overhead plus handshake time of a live target. Default 50 ms. */
  readonly latencyMs?: () => number;
}

export function worldSensor(world: VpcWorld, clock: Clock, options: WorldSensorOptions = {}): WorldSensor {
  const random = options.random ?? Math.random;
  const latency = options.latencyMs ?? (() => 50);
  const sensor: WorldSensor = {
    blind: false,
    down: false,
    requests: [],
    signals: [],
    async probe(request, call = {}): Promise<SensorResponse> {
      sensor.requests.push(request);
      sensor.signals.push(call.signal);
      if (sensor.down) throw new Error('unexpected: tests make the sensor fail through FailoverError only');
      const overhead = latency();
      const { valid, refused } = checkSensorTargets(request.targets);
      const results = valid.flatMap((t) =>
        t.ports.map((port) => {
          const rate = 1 - (1 - (options.lossRate ?? 0)) * (1 - (options.linkLoss?.(t.id) ?? 0));
          const lost = rate > 0 && random() < rate;
          const ok = world.isReachable(t.id) && !lost && !sensor.blind;
          return { id: t.id, ip: t.ip, port, result: ok ? ('ok' as const) : ('fail' as const), ms: ok ? overhead : request.timeoutMs };
        }),
      );
      await clock.sleep(results.some((r) => r.result === 'fail') ? overhead + request.timeoutMs : overhead);
      return { results, ...(refused.length > 0 ? { refused } : {}) };
    },
  };
  return sensor;
}

/**
 * The sensor as a drill uses it: TCP to an address, which answers iff EC2 delivers the address to
 * an instance (the ENI that holds it now), that instance is reachable, and its OS has the address
 * up. A check that gets no answer takes the whole connect timeout, as a dropped SYN does.
 */
export function addressDataPlane(world: VpcWorld, clock: Clock, options: { latencyMs?: number; timeoutMs?: number } = {}): DataPlanePort & { readonly checks: number } {
  let checks = 0;
  return {
    get checks() {
      return checks;
    },
    async reach(target) {
      checks += 1;
      // As the sensor function: a target its schema refuses is never probed.
      if (checkSensorTargets([{ id: target.id, ip: target.ip, ports: [...target.ports] }]).refused.length > 0) return 'unknown';
      const holder = world.vipHolder(target.ip);
      const ok = holder !== undefined && world.isReachable(holder) && world.osIps(holder).includes(target.ip);
      await clock.sleep(ok ? (options.latencyMs ?? 30) : (options.timeoutMs ?? 1_000));
      return ok ? 'ok' : 'fail';
    },
  };
}
