/**
 * A VIP move whose OS side could not be done because SSM could not reach the new holder (its path
 * to SSM was down) is finished when SSM comes back: the probe's sweep sees the address missing
 * from the holder's OS and the core brings it up, as a repair.
 */
import { describe, expect, it } from 'vitest';
import type { GroupResult } from '../../shared/core/engine.js';
import type { VipPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

describe('a VIP moved while SSM cannot reach the new holder', () => {
  it('is journaled partial with the address not up in the OS, and repaired once SSM is back', async () => {
    const h = probeHarness();
    const { a, b, vip, group } = h.pairs[0] as VipPair;
    await h.run(6_000);
    h.world.ssmAgents.linkDown.add(b.instanceId);

    const [moved] = await h.clock.drive(h.engine('manual').run({ intent: { type: 'failover' }, trigger: 'manual', group, deadline: h.clock.now() + 30_000 }));
    const afterMove = { holder: h.world.vipHolder(vip), osB: h.world.osIps(b.instanceId), osA: h.world.osIps(a.instanceId) };
    // The probe keeps running while SSM still cannot reach b: nothing can be done on its OS yet.
    await h.run(40_000);
    const whileDown = { osB: h.world.osIps(b.instanceId), entries: h.store.entries.length };
    h.world.ssmAgents.linkDown.delete(b.instanceId);
    await h.run(40_000);

    expect((moved as GroupResult).outcome).toBe('partial');
    expect(afterMove).toEqual({ holder: b.instanceId, osB: expect.not.arrayContaining([vip]), osA: expect.not.arrayContaining([vip]) });
    expect(whileDown).toEqual({ osB: expect.not.arrayContaining([vip]), entries: 1 });
    expect(h.world.osIps(b.instanceId)).toContain(vip);
    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    expect(h.store.entries.map((e) => [e.kind, e.outcome, e.to, e.trigger])).toEqual([
      ['move', 'partial', b.instanceId, 'manual'],
      ['repair', 'applied', b.instanceId, 'probe'],
    ]);
  });
});
