/**
 * A holder judged down while no other member can take over (the standby's EC2 status checks still
 * initializing after a start): the move follows within a core call of the standby's checks
 * passing, not a whole snapshot age later.
 */
import { describe, expect, it } from 'vitest';
import type { VipPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

describe('a target that becomes available while the holder is down', () => {
  // Seed 1007 (24 h, +22:02:34): nat-0/b was started again while nat-0/a hung; the probe judged
  // a down and b healthy, but b's status checks were initializing; they passed, and the tables
  // stayed on a for 34 s more: the probe decided on a snapshot up to 30 s old, plus 10 s between calls.
  it('one-holder: moves within a core call once the standby’s status checks pass', async () => {
    const h = probeHarness({ settings: { snapshotMaxAgeMs: 120_000 } });
    const { a, b, vip } = h.pairs[0] as VipPair;
    await h.run(10_000);
    h.world.stop(b.instanceId);
    h.world.hang(a.instanceId);
    await h.run(30_000);
    expect(h.world.vipHolder(vip)).toBe(a.instanceId);

    h.world.start(b.instanceId);
    let okAt = Number.NaN;
    await h.run(57_000, () => {
      if (Number.isNaN(okAt) && h.clock.now() >= h.rounds[0]!.startedAt + 70_000) {
        h.world.setStatus(b.instanceId, { instance: 'ok', system: 'ok' });
        okAt = h.clock.now();
      }
    });

    const moved = h.world.calls.find((c) => c.operation === 'AssignPrivateIpAddresses')?.at ?? Number.POSITIVE_INFINITY;
    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    expect(moved - okAt).toBeLessThanOrEqual(h.settings.engineEveryMs + h.settings.intervalMs + 1_000);
  });
});
