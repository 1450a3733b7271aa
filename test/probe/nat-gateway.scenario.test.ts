/**
 * The probe loop with a NAT gateway tagged for its nat group: the gateway is never probed (no TCP
 * check, no peer check, no remediation: it has no instance), and when both NAT instances are down
 * the loop's reconcile sends the tables to it.
 */
import { describe, expect, it } from 'vitest';
import type { NatPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

const MINUTE = 57_000;

describe('probe loop: a nat group with a NAT gateway as its last resort', () => {
  it('never probes the gateway, and sends the tables to it when both NAT instances stop', async () => {
    const h = probeHarness({ kind: 'nat', settings: { sweepMs: 10_000 }, remediation: {} });
    const nat = h.pairs[0] as NatPair;
    const gateway = h.world.addNatGateway({ subnet: nat.publicSubnets.a, tags: { 'failover:group': nat.group } });

    await h.run(MINUTE, (round) => {
      if (round.index === 2) {
        h.world.stop(nat.a.instanceId);
        h.world.stop(nat.b.instanceId);
      }
    });

    for (const table of [nat.routeTables.a, nat.routeTables.b, nat.routeTables.any]) expect(h.world.routeTarget(table, '0.0.0.0/0')).toEqual({ natGatewayId: gateway, state: 'active' });
    expect(h.sensor.requests.length).toBeGreaterThan(0);
    const probed = new Set(h.sensor.requests.flatMap((r) => r.targets.map((t) => JSON.stringify(t))));
    expect([...probed].some((t) => t.includes(gateway))).toBe(false);
    expect(h.memory.states.has(gateway)).toBe(false);
    expect(h.world.calls.filter((c) => c.operation === 'SendCommand').every((c) => !JSON.stringify(c.input).includes(gateway))).toBe(true);
  });
});
