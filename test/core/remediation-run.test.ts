/**
 * Carrying out remediation plans through the ports: `replace` through Auto Scaling only, the Spot
 * request lookup and what happens when it fails, and what each step journals and tells.
 */
import { describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { createRemediationPort } from '../../shared/aws/remediation.js';
import { createSsmHostPort } from '../../shared/aws/ssm.js';
import { type EngineDeps, FailoverEngine } from '../../shared/core/engine.js';
import type { Verdict } from '../../shared/core/model.js';
import type { Notice } from '../../shared/core/ports.js';
import { manualClock } from '../../sim/clock.js';
import { type VipPair, buildVipPair } from '../../sim/world.js';
import { memoryLog } from '../support/harness.js';
import { memoryStore } from '../support/memory-store.js';

function setup(remediate: string, o: { asg?: boolean; port?: boolean; spot?: 'one-time' | 'persistent' } = {}) {
  const clock = manualClock();
  const tags = { 'failover:remediate': remediate, ...(o.asg ? { 'aws:autoscaling:groupName': 'web-asg' } : {}) };
  // B holds the VIP, so A (judged down) may be fenced at once.
  const pair: VipPair = buildVipPair({ worldOptions: { clock }, group: 'web', tagsA: tags, tagsB: tags, priorities: [2, 1] });
  const { world, a, b } = pair;
  world.assignSecondaryIp(b.networkInterfaceId, pair.vip);
  if (o.spot) world.setPurchase(a.instanceId, { spot: o.spot });
  const clients = world.clients();
  const store = memoryStore();
  const log = memoryLog();
  const notices: Notice[] = [];
  const deps: EngineDeps = {
    ec2: createEc2Port(clients.ec2, { clock }),
    host: createSsmHostPort(clients.ssm, { clock, comment: 'remediation-test' }),
    lease: store,
    journal: store,
    clock,
    log,
    notifier: { notify: async (n) => void notices.push(n) },
    ...(o.port === false ? {} : { remediation: createRemediationPort({ ec2: clients.ec2, autoscaling: clients.autoscaling }) }),
    settings: { owner: 't', cooldownMs: 0, failback: { vip: 'manual', eip: 'manual', nat: 'auto', overlay: 'manual' }, leaseTtlMs: 30_000, applyConcurrency: 4, verifyIntervalMs: 500, verifyTimeoutMs: 5_000, journalLimit: 10 },
  };
  const engine = new FailoverEngine(deps);
  const remediateA = async () => {
    // Both members were confirmed at the group's first decision: only roster members are remediated.
    await store.adoptRoster('web', [a.instanceId, b.instanceId]);
    const snapshot = await engine.observe(clock.now() + 30_000);
    world.clearCalls();
    return engine.remediate({ snapshot, probes: { [a.instanceId]: 'unhealthy' as Verdict, [b.instanceId]: 'healthy' as Verdict }, deadline: clock.now() + 30_000 });
  };
  return { world, a, b, store, log, notices, remediateA };
}

describe('remediation through the ports', () => {
  it('replaces an Auto Scaling member with TerminateInstanceInAutoScalingGroup, never ec2 TerminateInstances', async () => {
    const { world, a, store, remediateA } = setup('replace', { asg: true });

    const [result] = await remediateA();

    expect(result).toMatchObject({ step: 'terminate', outcome: 'applied' });
    expect(world.mutations().map((c) => [c.operation, c.input])).toEqual([['TerminateInstanceInAutoScalingGroup', { InstanceId: a.instanceId, ShouldDecrementDesiredCapacity: false }]]);
    expect(store.entries).toEqual([expect.objectContaining({ step: 'terminate', outcome: 'applied', actions: [`applied: terminate ${a.instanceId} through its Auto Scaling group, which launches a replacement`] })]);
  });

  it('fails a replace, journaled and told, when the function has no Auto Scaling client, and calls nothing', async () => {
    const { world, store, notices, remediateA } = setup('replace', { asg: true, port: false });

    const [result] = await remediateA();

    expect(result).toMatchObject({ step: 'terminate', outcome: 'failed', error: 'this function has no Auto Scaling client to replace the instance with' });
    expect(world.mutations()).toEqual([]);
    expect(store.entries).toEqual([expect.objectContaining({ outcome: 'failed', error: 'this function has no Auto Scaling client to replace the instance with' })]);
    expect(notices.map((n) => n.outcome)).toEqual(['remediation-failed']);
  });

  it('refuses to replace a member outside any Auto Scaling group: a give-up, journaled, with no call', async () => {
    const { world, store, remediateA } = setup('replace');

    const [result] = await remediateA();

    expect(result).toMatchObject({ step: 'give-up', outcome: 'gave-up', reason: expect.stringContaining('not in an Auto Scaling group') });
    expect(world.mutations()).toEqual([]);
    expect(store.entries).toEqual([expect.objectContaining({ outcome: 'failed', actions: [] })]);
  });

  it('reboots a Spot member instead of stop-starting it when its request type cannot be read, and logs why', async () => {
    const { world, a, store, log, remediateA } = setup('stop-start', { spot: 'persistent' });
    world.faults.inject({ operation: 'DescribeSpotInstanceRequests', error: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });

    const [result] = await remediateA();

    expect(result).toMatchObject({ step: 'reboot', outcome: 'applied', fallback: { from: 'stop-start', to: 'reboot' } });
    expect(world.mutations().map((c) => c.operation)).toEqual(['RebootInstances']);
    expect(store.entries[0]?.reason).toContain(`whose request type is not known (${world.instances.get(a.instanceId)?.spot?.requestId})`);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toContain('Spot request types unknown: those members are rebooted instead of stop-started');
  });

  it('asks about the Spot request once, and stops a member of a persistent request', async () => {
    const { world, a, remediateA } = setup('stop-start', { spot: 'persistent' });

    await remediateA();

    expect(world.calls.filter((c) => c.operation === 'DescribeSpotInstanceRequests')).toHaveLength(1);
    expect(world.mutations().map((c) => [c.operation, c.input])).toEqual([['StopInstances', { InstanceIds: [a.instanceId] }]]);
  });
});
