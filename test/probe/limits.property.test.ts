/**
 * Discovery checks the limits the probe enforces: any group it accepts, however many members and
 * ports it has, is probed by an SSM script the builder never refuses, and every member fits the
 * sensor's request schema. A group past a limit is refused in discovery, naming the tag.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discover } from '../../shared/core/groups.js';
import { MAX_EGRESS_ENDPOINTS } from '../../shared/core/limits.js';
import type { Instance } from '../../shared/core/model.js';
import { type PeerUnit, type ProbeNode, planBatches } from '../../shared/probe/peers.js';
import { probeBlocksScript } from '../../shared/probe/script.js';
import { SensorRequestSchema } from '../../shared/probe/sensor-schema.js';
import { DEFAULTS, node, snapshot } from '../support/snapshot.js';

const VIP = '10.0.1.100';
const id = (n: number) => `i-${(n + 1).toString(16).padStart(17, '0')}`;
const EGRESS = Array.from({ length: MAX_EGRESS_ENDPOINTS }, (_, k) => ({ kind: 'egress' as const, host: `192.0.2.${k + 1}`, port: 443 }));

/** The sweep's unit for a group, as PeerProbes builds it: every member probes every target. */
function sweepUnit(name: string, nodes: readonly ProbeNode[], nat: boolean, addresses: readonly string[]): PeerUnit {
  const targets = nodes.filter((n) => n.ports.length > 0 || nat);
  return { group: name, probers: nodes, targets, egress: nat, addresses };
}

describe('discovery limits and the probe', () => {
  it('accepts only groups whose sweep script and sensor request the probe can build', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('vip' as const, 'nat' as const),
        fc.integer({ min: 1, max: 18 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 65_535 }), { minLength: 0, maxLength: 24 }),
        (kind, size, ports) => {
          const tags = {
            'failover:group': 'g',
            'failover:kind': kind,
            ...(kind === 'vip' ? { 'failover:vip': VIP } : {}),
            ...(ports.length > 0 ? { 'failover:ports': ports.join(',') } : {}),
          };
          const instances: Instance[] = Array.from({ length: size }, (_, k) => node({ id: id(k), tags, secondary: k === 0 && kind === 'vip' ? [VIP] : [] }));
          const { groups, misconfigured } = discover(snapshot({ instances }), DEFAULTS);
          const [group] = groups;
          if (!group) {
            expect(misconfigured[0]?.problems.some((p) => p.startsWith('tag failover:ports'))).toBe(true);
            return;
          }
          const nodes: ProbeNode[] = group.members.map((m) => ({ id: m.instance.instanceId, group: 'g', ip: m.instance.privateIp, ports: m.ports, nat: kind === 'nat' }));
          const batches = planBatches([sweepUnit('g', nodes, kind === 'nat', kind === 'vip' ? [VIP] : [])], EGRESS);
          for (const batch of batches) expect(() => probeBlocksScript(batch.blocks)).not.toThrow();
          const sensorTargets = nodes.filter((n) => n.ports.length > 0).map((n) => ({ id: n.id, ip: n.ip, ports: [...n.ports] }));
          expect(SensorRequestSchema.safeParse({ targets: sensorTargets, timeoutMs: 1000 }).success).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses three members with 85 ports each, naming the tag and the limits, where the script would have refused', () => {
    const ports = Array.from({ length: 85 }, (_, k) => 8000 + k).join(',');
    const instances = [0, 1, 2].map((k) => node({ id: id(k), tags: { 'failover:group': 'g', 'failover:kind': 'nat', 'failover:ports': ports } }));

    const { groups, misconfigured } = discover(snapshot({ instances }), DEFAULTS);

    expect(groups).toEqual([]);
    expect(misconfigured[0]?.problems).toEqual(["tag failover:ports lists 85 ports; at most 20 (the sensor's limit per target)"]);
  });

  it('refuses five members with 20 ports each: within the sensor, past the script', () => {
    const ports = Array.from({ length: 20 }, (_, k) => 8000 + k).join(',');
    const instances = [0, 1, 2, 3, 4].map((k) => node({ id: id(k), tags: { 'failover:group': 'g', 'failover:kind': 'nat', 'failover:ports': ports } }));
    const nodes: ProbeNode[] = instances.map((i) => ({ id: i.instanceId, group: 'g', ip: i.privateIp, ports: ports.split(',').map(Number), nat: true }));

    const { misconfigured } = discover(snapshot({ instances }), DEFAULTS);

    expect(misconfigured[0]?.problems).toEqual([
      'tag failover:ports: 5 members probing each other on these ports need 89 checks per member and 445 in all; the probe script takes at most 150 per member and 300 per group (fewer ports or fewer members)',
    ]);
    // The probe spreads a big group over several commands; the group's checks in one script are past its budget.
    const blocks = planBatches([sweepUnit('g', nodes, true, [])], EGRESS).flatMap((b) => b.blocks);
    expect(() => probeBlocksScript(blocks)).toThrow(/refusing to build the probe script/);
  });
});
