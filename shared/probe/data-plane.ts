/** DataPlanePort over the sensor: reaching a moved VIP from inside the VPC is one more sensor round. */
import type { DataPlanePort } from '../core/ports.js';
import type { SensorPort } from './ports.js';
import { checkSensorTargets } from './sensor-schema.js';
import { combinePorts } from './verdicts.js';

export function sensorDataPlane(sensor: SensorPort, timeoutMs: number): DataPlanePort {
  return {
    async reach(target, call = {}) {
      const request = { id: target.id, ip: target.ip, ports: [...target.ports] };
      // A target past the sensor's schema (more than 20 ports) cannot be checked: unknown, without asking.
      if (checkSensorTargets([request]).refused.length > 0) return 'unknown';
      const { results } = await sensor.probe({ targets: [request], timeoutMs }, call);
      return combinePorts(results.filter((r) => r.id === target.id).map((r) => (r.result === 'ok' ? 'ok' : r.result === 'fail' ? 'fail' : 'unknown')));
    },
  };
}
