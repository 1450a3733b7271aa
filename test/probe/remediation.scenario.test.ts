/**
 * Remediation on the in-memory VPC, driven by the probe loop: a hung holder loses its traffic
 * first, then is fenced per its group's failover:remediate; a stop-start is carried on by later
 * runs through the journal.
 */
import { describe, expect, it } from 'vitest';
import type { VipPair } from '../../sim/world.js';
import { probeHarness } from './support/harness.js';

const MINUTE = 57_000;
const vipOf = (h: ReturnType<typeof probeHarness>) => h.pairs[0] as VipPair;
const calls = (h: ReturnType<typeof probeHarness>, operation: string) => h.world.calls.filter((c) => c.operation === operation);

describe('remediation by the probe loop', () => {
  it('reboots a hung holder once the VIP has moved off it, and it comes back healthy', async () => {
    const h = probeHarness({ tags: { 'failover:remediate': 'reboot' } });
    const { a, b, vip } = vipOf(h);
    await h.run(10_000);
    h.world.hang(a.instanceId);

    await h.run(MINUTE);

    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    const [reboot] = calls(h, 'RebootInstances');
    const [move] = calls(h, 'AssignPrivateIpAddresses');
    expect(reboot?.input).toEqual({ InstanceIds: [a.instanceId] });
    expect(reboot?.at).toBeGreaterThan(move?.at ?? Infinity);
    expect(calls(h, 'RebootInstances')).toHaveLength(1);
    expect(h.store.entries.filter((e) => e.kind === 'remediation')).toEqual([expect.objectContaining({ step: 'reboot', from: a.instanceId, outcome: 'applied' })]);
    expect(h.memory.states.get(a.instanceId)?.verdict).toBe('healthy');
  });

  it('stops a hung member once its traffic has moved, forces the stop it hangs in, and starts it in a later run', async () => {
    const h = probeHarness({ tags: { 'failover:remediate': 'stop-start' }, cooldownMs: 0 });
    const { a, b, vip } = vipOf(h);
    await h.run(10_000);
    h.world.hang(a.instanceId);

    await h.run(MINUTE);
    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    expect(calls(h, 'StopInstances').map((c) => c.input)).toEqual([{ InstanceIds: [a.instanceId] }]);

    // A hung OS does not stop on its own: a later run forces it, then starts the stopped instance.
    for (let run = 0; run < 8 && h.world.instances.get(a.instanceId)?.state !== 'running'; run++) {
      await h.clock.drive(h.clock.sleep(3_000));
      await h.run(MINUTE);
    }

    expect(calls(h, 'StopInstances').map((c) => c.input)).toEqual([{ InstanceIds: [a.instanceId] }, { InstanceIds: [a.instanceId], Force: true }]);
    expect(calls(h, 'StartInstances').map((c) => c.input)).toEqual([{ InstanceIds: [a.instanceId] }]);
    expect(h.store.entries.filter((e) => e.kind === 'remediation').map((e) => e.step)).toEqual(['stop', 'force-stop', 'start']);
  });

  it('leaves every node alone under the default policy', async () => {
    const h = probeHarness();
    const { a } = vipOf(h);
    await h.run(10_000);
    h.world.hang(a.instanceId);

    await h.run(MINUTE);

    expect(['RebootInstances', 'StopInstances', 'TerminateInstances'].flatMap((op) => calls(h, op))).toEqual([]);
  });
});
