/**
 * A sensor that answers from the VpcWorld: a port answers iff the instance is reachable (running,
 * not hung), the probe is not lost, and the sensor is not blind. Failed connects take the full
 * timeout, as a dropped SYN does.
 */
import type { Clock } from '../shared/core/ports.js';
import type { SensorPort, SensorRequest, SensorResponse } from '../shared/probe/ports.js';
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
      const results = request.targets.flatMap((t) =>
        t.ports.map((port) => {
          const rate = 1 - (1 - (options.lossRate ?? 0)) * (1 - (options.linkLoss?.(t.id) ?? 0));
          const lost = rate > 0 && random() < rate;
          const ok = world.isReachable(t.id) && !lost && !sensor.blind;
          return { id: t.id, ip: t.ip, port, result: ok ? ('ok' as const) : ('fail' as const), ms: ok ? overhead : request.timeoutMs };
        }),
      );
      await clock.sleep(results.some((r) => r.result === 'fail') ? overhead + request.timeoutMs : overhead);
      return { results };
    },
  };
  return sensor;
}
