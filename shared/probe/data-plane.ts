/** DataPlanePort over the sensor: reaching a moved VIP from inside the VPC is one more sensor round. */
import type { DataPlanePort } from '../core/ports.js';
import type { SensorPort } from './ports.js';
import { combinePorts } from './verdicts.js';

export function sensorDataPlane(sensor: SensorPort, timeoutMs: number): DataPlanePort {
  return {
    async reach(target, call = {}) {
      const { results } = await sensor.probe({ targets: [{ id: target.id, ip: target.ip, ports: [...target.ports] }], timeoutMs }, call);
      return combinePorts(results.filter((r) => r.id === target.id).map((r) => (r.result === 'ok' ? 'ok' : r.result === 'fail' ? 'fail' : 'unknown')));
    },
  };
}
