/**
 * The VpcWorld's stand-in for a prober host: one sweep script sent through the real SSM adapter to
 * the probers of two groups (and to an instance that is no block's prober) runs, on each instance,
 * only the block of an address that instance has.
 */
import { describe, expect, it } from 'vitest';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import type { HostResult } from '../../shared/core/ports.js';
import { parseProbeOutput } from '../../shared/probe/parse.js';
import { type PeerUnit, type ProbeNode, planBatches, readBatch } from '../../shared/probe/peers.js';
import { probeBlocksScript } from '../../shared/probe/script.js';
import { manualClock } from '../../sim/clock.js';
import { type HaPair, VpcWorld, buildHaWorld } from '../../sim/world.js';
import { installProbeHandler } from '../../sim/probe-handler.js';

function setup() {
  const clock = manualClock();
  const world = new VpcWorld({ clock });
  const pair = (i: number): HaPair => buildHaWorld('vip', { world, group: `web-${i}`, ports: '443' });
  const pairs: [HaPair, HaPair, HaPair] = [pair(0), pair(1), pair(2)];
  const probes = installProbeHandler(world);
  const host = createSsmHostPort(world.clients().ssm, { clock });
  const unit = (pair: HaPair): PeerUnit => {
    const nodes: ProbeNode[] = [pair.a, pair.b].map((m) => ({ id: m.instanceId, group: pair.group, ip: m.privateIp, ports: [443], nat: false }));
    return { group: pair.group, probers: nodes, targets: nodes, egress: false };
  };
  return { clock, world, pairs, probes, host, unit };
}

/** `self` and the ids the checks were about, per instance. */
function whatRan(results: readonly HostResult[]): Record<string, { self: string; about: string[] }> {
  return Object.fromEntries(
    results.map((r) => {
      const lines = parseProbeOutput(r.stdout);
      const self = lines.find((l) => l.kind === 'self');
      const about = [...new Set(lines.flatMap((l) => (l.kind === 'check' ? [l.id] : [])))];
      return [r.instanceId, { self: self?.kind === 'self' ? (self.prober ?? 'unknown') : 'none', about }];
    }),
  );
}

describe('the world running a sweep script', () => {
  it("runs on each instance only the block of its own primary IP, and on any other instance none", async () => {
    const { clock, pairs, probes, host, unit } = setup();
    const [one, two, other] = pairs;
    const [batch] = planBatches([unit(one), unit(two)], []);
    const stranger = other.a.instanceId;

    const results = await host.run([...batch!.probers, stranger], probeBlocksScript(batch!.blocks), clock.now() + 60_000);

    expect(whatRan(results)).toEqual({
      [one.a.instanceId]: { self: one.a.instanceId, about: [one.b.instanceId] },
      [one.b.instanceId]: { self: one.b.instanceId, about: [one.a.instanceId] },
      [two.a.instanceId]: { self: two.a.instanceId, about: [two.b.instanceId] },
      [two.b.instanceId]: { self: two.b.instanceId, about: [two.a.instanceId] },
      [stranger]: { self: 'unknown', about: [] },
    });
    expect(probes.unidentified).toEqual([stranger]);
    // 4 probers × (1 ICMP + 1 TCP) checks; the stranger ran none.
    expect(probes.checksRun).toHaveLength(8);
  });

  it('is read back as each group judging its own members only', async () => {
    const { clock, world, pairs, host, unit } = setup();
    const [one, two] = pairs;
    world.hang(two.b.instanceId);
    const [batch] = planBatches([unit(one), unit(two)], []);

    const results = await host.run(batch!.probers, probeBlocksScript(batch!.blocks), clock.now() + 60_000);
    const reading = readBatch(batch!, results);

    expect(Object.fromEntries(reading.opinions)).toEqual({
      [one.a.instanceId]: 'ok',
      [one.b.instanceId]: 'ok',
      // The hung member's command never returned, so nothing is said of its peer two.a.
      [two.b.instanceId]: 'fail',
    });
    expect(reading.unidentified).toEqual([]);
  });
});
