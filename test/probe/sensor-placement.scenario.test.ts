/**
 * Members are probed by their own VPC's sensor: on the in-memory VPC, with the probe loop and the
 * real core, a group whose VPC has no sensor is named in the run's summary and log and never judged
 * by a sensor that cannot reach it.
 */
import { describe, expect, it } from 'vitest';
import type { Log } from '../../shared/core/engine.js';
import type { SensorPort } from '../../shared/probe/ports.js';
import type { SensorSite } from '../../shared/probe/sensors.js';
import { probeView } from '../../shared/probe/memory.js';
import type { VipPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

function recordingLog(): Log & { warnings: { message: string; data?: Record<string, unknown> }[] } {
  const warnings: { message: string; data?: Record<string, unknown> }[] = [];
  const quiet = () => undefined;
  return { debug: quiet, info: quiet, error: quiet, warn: (message: string, data?: Record<string, unknown>) => void warnings.push({ message, ...(data ? { data } : {}) }), warnings } as Log & { warnings: typeof warnings };
}

const placedIn = (vpcId: string) => (sensor: SensorPort) => ({
  sites: async (): Promise<SensorSite[]> => [{ name: 'sensor', port: sensor, main: true, egress: false, placement: { vpcId, subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1' }] } }],
});

describe('which sensor probes a group', () => {
  it('probes a group with the sensor of its own VPC', async () => {
    let vpc = '';
    const h = probeHarness({ kind: 'vip', wrap: { fleet: (sensor) => ({ sites: () => placedIn(vpc)(sensor).sites() }) } });
    vpc = (h.pairs[0] as VipPair).vpcId;

    await h.run(10_000);

    expect(h.sensor.requests.length).toBeGreaterThan(0);
    expect(h.memory.states.get((h.pairs[0] as VipPair).a.instanceId)?.verdict).toBe('healthy');
  });

  it('names a group whose VPC has no sensor, and never judges its members by a sensor elsewhere', async () => {
    const log = recordingLog();
    const h = probeHarness({ kind: 'vip', log, persist: true, wrap: { fleet: placedIn('vpc-0fedcba9876543210') } });
    const pair = h.pairs[0] as VipPair;
    h.world.hang(pair.a.instanceId);

    const summary = await h.run(30_000);

    expect(h.sensor.requests).toEqual([]);
    expect(summary.uncovered).toEqual([{ group: 'vip-0', vpcId: pair.vpcId }]);
    expect(log.warnings.filter((w) => /no sensor in this group's VPC/.test(w.message))).toEqual([{ message: expect.any(String), data: { group: 'vip-0', vpcId: pair.vpcId } }]);
    expect(h.memory.states.get(pair.a.instanceId)?.verdict).toBeUndefined();
    expect(h.world.vipHolder(pair.vip)).toBe(pair.a.instanceId);
    // What status reads: the saved state names the group.
    const stored = await h.state?.load();
    expect(probeView(stored, h.clock.now(), 180_000)?.uncovered).toEqual(['vip-0']);
  });
});
