/**
 * One round's ask of the sensor, group by group: the request holds only targets the sensor's
 * schema accepts (the prober checks each target as the sensor will), so a group whose tags are past
 * it (more than 20 ports, say) is left out by name and costs only its own members' results, which are
 * `unknown` this round. What the sensor itself refuses is named the same way.
 */
import type { Log } from '../core/engine.js';
import type { CallOptions } from '../core/ports.js';
import { attempt } from './contain.js';
import type { ProbeNode } from './peers.js';
import type { SensorPort, SensorRefusal, SensorResponse } from './ports.js';
import { checkSensorTargets } from './sensor-schema.js';
import type { TcpResult } from './tcp.js';
import { type Observation, combinePorts } from './verdicts.js';

/** What a node's failed ports say, in words: `no TCP on 443`. */
export const failureOf = (results: readonly TcpResult[]): string | undefined => {
  const failed = results.filter((r) => r.result === 'fail').map((r) => r.port);
  return failed.length === 0 ? undefined : `no TCP on ${[...new Set(failed)].join(',')}`;
};

export const sensorObservation = (results: readonly TcpResult[]): Observation =>
  combinePorts(results.map((r) => (r.result === 'ok' ? 'ok' : r.result === 'fail' ? 'fail' : 'unknown')));

export class SensorRound {
  /** Refusals already logged this run (node, field, reason), so a bad tag is said once, not every round. */
  private readonly told = new Set<string>();

  constructor(
    private readonly sensor: SensorPort,
    private readonly log: Log,
  ) {}

  /**
   * Asks the sensor about every node it may be asked about; never throws. Nodes left out, refused,
   * or not answered for have no results: unknown.
   */
  async probe(nodes: readonly ProbeNode[], timeoutMs: number, call: CallOptions): Promise<readonly TcpResult[]> {
    const { valid, refused } = checkSensorTargets(nodes.map((n) => ({ id: n.id, ip: n.ip, ports: [...n.ports] })));
    this.tell('left out of the sensor request', refused.map((r) => ({ refusal: r, node: nodes[r.index] })));
    if (valid.length === 0) return [];
    const empty: SensorResponse = { results: [] };
    const response = await attempt(() => this.sensor.probe({ targets: valid, timeoutMs }, call), this.log, 'sensor', empty);
    const byId = new Map(nodes.map((n) => [n.id, n]));
    this.tell(
      'refused by the sensor',
      (response.refused ?? []).map((r) => ({ refusal: r, node: byId.get(valid[r.index]?.id ?? r.id ?? '') })),
    );
    const asked = new Set(valid.map((t) => t.id));
    // Only answers about targets that were asked about: a confused sensor cannot vouch for a node left out.
    return response.results.filter((r) => asked.has(r.id));
  }

  private tell(what: string, refusals: readonly { refusal: SensorRefusal; node: ProbeNode | undefined }[]): void {
    for (const { refusal, node } of refusals) {
      const key = `${node?.id ?? refusal.id ?? refusal.index}|${refusal.field}|${refusal.reason}`;
      if (this.told.has(key)) continue;
      this.told.add(key);
      this.log.warn(`a member was ${what}; it is unknown to the sensor, and the other groups are probed as usual`, {
        group: node?.group ?? 'unknown',
        instanceId: node?.id ?? refusal.id ?? 'unknown',
        problem: `${refusal.field.replace(/^targets\.\d+\./, '')}: ${refusal.reason}`,
        ...(/\.ports(\.|$)/.test(refusal.field) ? { tag: 'failover:ports' } : {}),
      });
    }
  }
}
