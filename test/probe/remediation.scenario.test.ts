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
    expect(h.store.entries.filter((e) => e.kind === 'remediation').map((e) => e.step)).toEqual(['stop', 'force-stop', 'start', 'started']);
  });

  it('leaves every node alone under the default policy', async () => {
    const h = probeHarness();
    const { a } = vipOf(h);
    await h.run(10_000);
    h.world.hang(a.instanceId);

    await h.run(MINUTE);

    expect(['RebootInstances', 'StopInstances', 'TerminateInstances'].flatMap((op) => calls(h, op))).toEqual([]);
  });

  describe('a stop-start the instance cannot take', () => {
    it.each([
      { name: 'a Spot instance of a one-time request', purchase: { spot: 'one-time' as const }, says: 'it is a Spot instance of one-time request', spotLookups: 1 },
      { name: 'an instance-store root', purchase: { rootDeviceType: 'instance-store' as const }, says: 'its root device is instance store', spotLookups: 0 },
      { name: 'an Auto Scaling member', purchase: {}, asg: true, says: 'it is in Auto Scaling group web-asg', spotLookups: 0 },
    ])('reboots $name instead, and the journal and the notice say so', async ({ purchase, asg, says, spotLookups }) => {
      const h = probeHarness({ tags: { 'failover:remediate': 'stop-start', ...(asg ? { 'aws:autoscaling:groupName': 'web-asg' } : {}) } });
      const { a, b, vip } = vipOf(h);
      h.world.setPurchase(a.instanceId, purchase);
      await h.run(10_000);
      h.world.hang(a.instanceId);

      await h.run(MINUTE);

      expect(h.world.vipHolder(vip)).toBe(b.instanceId);
      expect(calls(h, 'StopInstances')).toEqual([]);
      expect(calls(h, 'RebootInstances').map((c) => c.input)).toEqual([{ InstanceIds: [a.instanceId] }]);
      expect(calls(h, 'DescribeSpotInstanceRequests')).toHaveLength(spotLookups);
      const [entry] = h.store.entries.filter((e) => e.kind === 'remediation');
      expect(entry).toMatchObject({ step: 'reboot', from: a.instanceId, outcome: 'applied', reason: expect.stringContaining(`reboot instead of stop-start, as ${says}`) });
      const notice = h.notices.find((n) => n.outcome === 'remediation-applied');
      expect(notice?.subject).toContain('rebooted');
      expect(notice?.subject).toContain('instead of stop-start');
      expect(notice?.message).toContain(`Instead of: stop-start, because ${says}`);
    });

    it('stop-starts a Spot instance of a persistent request, once DescribeSpotInstanceRequests says so', async () => {
      const h = probeHarness({ tags: { 'failover:remediate': 'stop-start' } });
      const { a } = vipOf(h);
      h.world.setPurchase(a.instanceId, { spot: 'persistent' });
      await h.run(10_000);
      h.world.hang(a.instanceId);

      await h.run(MINUTE);

      expect(calls(h, 'DescribeSpotInstanceRequests').map((c) => c.input)).toEqual([{ Filters: [{ Name: 'spot-instance-request-id', Values: [h.world.instances.get(a.instanceId)?.spot?.requestId] }], MaxResults: 1000 }]);
      expect(calls(h, 'StopInstances').map((c) => c.input)).toEqual([{ InstanceIds: [a.instanceId] }]);
      expect(calls(h, 'RebootInstances')).toEqual([]);
    });
  });

  it('replaces an Auto Scaling member through its group, which keeps its size and launches a fresh one', async () => {
    const h = probeHarness({ tags: { 'failover:remediate': 'replace', 'aws:autoscaling:groupName': 'web-asg' } });
    const { a, b, vip } = vipOf(h);
    await h.run(10_000);
    h.world.hang(a.instanceId);

    await h.run(MINUTE);
    await h.clock.drive(h.clock.sleep(20_000));

    expect(h.world.vipHolder(vip)).toBe(b.instanceId);
    expect(calls(h, 'TerminateInstanceInAutoScalingGroup').map((c) => c.input)).toEqual([{ InstanceId: a.instanceId, ShouldDecrementDesiredCapacity: false }]);
    expect(calls(h, 'TerminateInstances')).toEqual([]);
    expect(h.world.instances.get(a.instanceId)?.state).toBe('terminated');
    expect(h.world.replacements).toEqual([{ terminated: a.instanceId, launched: expect.any(String), group: 'web-asg' }]);
    expect(h.store.entries.filter((e) => e.kind === 'remediation')).toEqual([expect.objectContaining({ step: 'terminate', from: a.instanceId, outcome: 'applied' })]);
  });

  describe('a start that falls back to stopped (EBS under a KMS key the role may not use)', () => {
    const timings = { forceAfterMs: 20_000, retryStartAfterMs: 30_000, giveUpAfterMs: 150_000 };

    /** Runs the probe, a minute at a time, until the stop-start has ended (a final entry) or `runs` are spent. */
    async function untilEnded(h: ReturnType<typeof probeHarness>, runs: number) {
      const ended = () => h.store.entries.some((e) => e.kind === 'remediation' && (e.step === 'started' || e.step === undefined));
      for (let run = 0; run < runs && !ended(); run++) {
        await h.clock.drive(h.clock.sleep(3_000));
        await h.run(MINUTE);
      }
    }

    it('starts it again, and gives up loudly when it falls back twice by the give-up time: the node is left stopped and the journal never says started', async () => {
      const h = probeHarness({ tags: { 'failover:remediate': 'stop-start' }, cooldownMs: 0, remediation: { ...timings, giveUpAfterMs: 100_000 } });
      const { a } = vipOf(h);
      h.world.failStarts(a.instanceId, 5);
      await h.run(10_000);
      h.world.hang(a.instanceId);
      await h.run(MINUTE);

      await untilEnded(h, 8);

      const steps = h.store.entries.filter((e) => e.kind === 'remediation');
      expect(calls(h, 'StartInstances')).toHaveLength(2);
      expect(steps.map((e) => e.step ?? 'give-up')).toEqual(['stop', 'force-stop', 'start', 'start', 'give-up']);
      expect(steps.at(-1)).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/still stopped .* it is left stopped$/), error: expect.stringContaining('kms:CreateGrant') });
      expect(h.world.instances.get(a.instanceId)?.state).toBe('stopped');
      const loud = h.notices.find((n) => n.outcome === 'remediation-failed');
      expect(loud?.subject).toBe(`vpc-failover: vip-0 left ${a.instanceId.slice(0, 9)}… STOPPED (likely missing kms:CreateGrant)`);
    });

    it('follows a start that fell back once until the node runs and passes, and journals it started', async () => {
      const h = probeHarness({ tags: { 'failover:remediate': 'stop-start' }, cooldownMs: 0, remediation: timings });
      const { a } = vipOf(h);
      h.world.failStarts(a.instanceId, 1);
      await h.run(10_000);
      h.world.hang(a.instanceId);
      await h.run(MINUTE);

      await untilEnded(h, 8);

      const steps = h.store.entries.filter((e) => e.kind === 'remediation');
      expect(steps.map((e) => e.step ?? 'give-up')).toEqual(['stop', 'force-stop', 'start', 'start', 'started']);
      expect(steps[3]?.reason).toContain('the last start fell back to stopped: EC2 says Client.InternalError');
      expect(steps.at(-1)).toMatchObject({ outcome: 'applied', reason: expect.stringContaining('is running and passing its checks') });
      expect(h.world.instances.get(a.instanceId)?.state).toBe('running');
      expect(h.notices.map((n) => n.subject)).toContain(`vpc-failover: vip-0 confirmed ${a.instanceId.slice(0, 9)}… running again (remediation)`);
    });
  });
});
