/**
 * The on-event function end to end: real handler, real runtime, VpcWorld behind the SDK clients,
 * dynalite for the lease and journal, one manual clock. Each test delivers events as EventBridge
 * would, including duplicates and out-of-order deliveries, and asserts on the world.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildEipPair, buildNatPair, buildOverlayPair, buildVipPair } from '../../sim/world.js';
import { fixture } from './support/events.js';
import { eventHarness } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

const terminating = (instanceId: string) => ({ asg: 'nat-asg', hook: 'vpc-failover-terminate', instanceId, transition: 'autoscaling:EC2_INSTANCE_TERMINATING' });
const launching = (instanceId: string) => ({ asg: 'nat-asg', hook: 'vpc-failover-launch', instanceId, transition: 'autoscaling:EC2_INSTANCE_LAUNCHING' });

describe('on-event: EC2 state changes', () => {
  it('moves the VIP to the standby on stopping, before the stopped event arrives', async () => {
    const clock = manualClock();
    const { world, a, b, vip } = buildVipPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);
    world.setState(a.instanceId, 'stopping');

    const result = await h.deliver(fixture('aws.ec2/stopping', { instanceId: a.instanceId, time: clock.now() }));

    expect(result).toMatchObject({ action: 'evacuate', groups: [{ group: 'vip-pair', outcome: 'changed' }] });
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(world.osIps(b.instanceId)).toContain(vip);

    world.stop(a.instanceId);
    world.clearCalls();
    const stopped = await h.deliver(fixture('aws.ec2/stopped', { instanceId: a.instanceId, time: clock.now() }));

    expect(stopped).toMatchObject({ action: 'reconcile', groups: [{ outcome: 'unchanged' }] });
    expect(world.mutations()).toEqual([]);
  });

  it('repairs NAT routes that turned blackhole when the NAT was terminated without warning', async () => {
    const clock = manualClock();
    const { world, a, b, routeTables } = buildNatPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);
    world.terminate(a.instanceId);

    const result = await h.deliver(fixture('aws.ec2/terminated', { instanceId: a.instanceId, time: clock.now() }));

    expect(result).toMatchObject({ action: 'reconcile', groups: [{ outcome: 'changed' }] });
    for (const table of [routeTables.a, routeTables.b, routeTables.any]) {
      expect(world.routeTarget(table, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId, state: 'active' });
    }
  });

  it('ignores an instance that is not enrolled after at most one DescribeInstances, changing nothing', async () => {
    const clock = manualClock();
    const { world, subnetId } = buildVipPair({ worldOptions: { clock } });
    const stranger = world.addInstance({ subnet: subnetId, tags: { Name: 'not-ours' } });
    const h = await eventHarness(world, clock, db);
    world.setState(stranger.instanceId, 'stopping');

    const result = await h.deliver(fixture('aws.ec2/stopping', { instanceId: stranger.instanceId, time: clock.now() }));

    expect(result).toMatchObject({ action: 'ignore', reason: expect.stringContaining('not enrolled') });
    expect(world.count('DescribeInstances')).toBeLessThanOrEqual(1);
    expect(world.mutations()).toEqual([]);
    expect(h.log.lines).toContainEqual(expect.objectContaining({ level: 'debug', message: 'event ignored, no action' }));
  });
});

describe('on-event: duplicate and out-of-order deliveries', () => {
  it('moves once when stopping is delivered twice, and not at all for a stopping delivered after running', async () => {
    const clock = manualClock();
    const { world, a, b, vip } = buildVipPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);
    const stopping = fixture('aws.ec2/stopping', { instanceId: a.instanceId, time: clock.now() });
    world.setState(a.instanceId, 'stopping');

    await h.deliver(stopping);
    const duplicate = await h.deliver(stopping);
    world.stop(a.instanceId);
    await h.deliver(fixture('aws.ec2/stopped', { instanceId: a.instanceId, time: clock.now() }));
    clock.advance(120_000);
    world.start(a.instanceId, { status: 'ok' });
    await h.deliver(fixture('aws.ec2/running', { instanceId: a.instanceId, time: clock.now() }));
    const late = await h.deliver(stopping);

    expect(duplicate).toMatchObject({ action: 'evacuate', groups: [{ outcome: 'unchanged' }] });
    expect(late).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/^stale 'stopping' event/) });
    expect(world.count('AssignPrivateIpAddresses')).toBe(1);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
  });

  it('keeps NAT routes on a node that came back when its old stopping event arrives after the failback', async () => {
    const clock = manualClock();
    const { world, a, routeTables } = buildNatPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);
    const stopping = fixture('aws.ec2/stopping', { instanceId: a.instanceId, time: clock.now() });
    world.setState(a.instanceId, 'stopping');
    await h.deliver(stopping);
    world.stop(a.instanceId);
    clock.advance(120_000);
    world.start(a.instanceId, { status: 'ok' });
    const running = await h.deliver(fixture('aws.ec2/running', { instanceId: a.instanceId, time: clock.now() }));
    world.clearCalls();

    const late = await h.deliver(stopping);

    expect(running).toMatchObject({ groups: [{ outcome: 'changed' }] });
    expect(late).toMatchObject({ action: 'ignore' });
    expect(world.mutations()).toEqual([]);
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: a.networkInterfaceId, state: 'active' });
  });
});

describe('on-event: Auto Scaling lifecycle actions', () => {
  it("moves a scaled-in NAT's tables to the other NAT, then completes the lifecycle action", async () => {
    const clock = manualClock();
    const { world, a, b, routeTables } = buildNatPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);
    const token = world.startLifecycleAction(terminating(a.instanceId));

    const result = await h.deliver(fixture('aws.autoscaling/terminate-lifecycle', { instanceId: a.instanceId, token, asg: 'nat-asg', hook: 'vpc-failover-terminate', time: clock.now() }));

    expect(result).toMatchObject({ action: 'evacuate', lifecycle: 'completed', groups: [{ outcome: 'changed' }] });
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId });
    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId });
    expect(world.lifecycleResult(token)).toBe('CONTINUE');
    const operations = world.calls.map((c) => c.operation);
    expect(operations.lastIndexOf('ReplaceRoute')).toBeGreaterThanOrEqual(0);
    expect(operations.indexOf('CompleteLifecycleAction')).toBeGreaterThan(operations.lastIndexOf('ReplaceRoute'));
    expect(world.inputs('CompleteLifecycleAction')).toEqual([
      { AutoScalingGroupName: 'nat-asg', LifecycleHookName: 'vpc-failover-terminate', LifecycleActionToken: token, InstanceId: a.instanceId, LifecycleActionResult: 'CONTINUE' },
    ]);
  });

  it('holds the termination while nothing healthy can take over', async () => {
    const clock = manualClock();
    const { world, a, b, routeTables } = buildNatPair({ worldOptions: { clock } });
    world.impair(b.instanceId);
    const h = await eventHarness(world, clock, db);
    const token = world.startLifecycleAction(terminating(a.instanceId));

    const result = await h.deliver(fixture('aws.autoscaling/terminate-lifecycle', { instanceId: a.instanceId, token, asg: 'nat-asg', hook: 'vpc-failover-terminate', time: clock.now() }));

    expect(result).toMatchObject({ lifecycle: 'held', groups: [{ outcome: 'refused' }] });
    expect(world.lifecycleResult(token)).toBeUndefined();
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: a.networkInterfaceId });
  });

  it('prepares a replacement NAT at launch and gives its AZ back to it once it is healthy', async () => {
    const clock = manualClock();
    // Auto Scaling tags what it launches with its name; only it can (the aws: prefix is reserved), so its replacement is no newcomer.
    const asg = { 'aws:autoscaling:groupName': 'nat-asg' };
    const { world, a, b, group, publicSubnets, routeTables } = buildNatPair({ worldOptions: { clock }, tagsA: asg, tagsB: asg });
    const h = await eventHarness(world, clock, db);
    world.terminate(a.instanceId);
    await h.deliver(fixture('aws.ec2/terminated', { instanceId: a.instanceId, time: clock.now() }));
    const c = world.addInstance({ subnet: publicSubnets.a, state: 'pending', sourceDestCheck: true, tags: { 'failover:group': group, 'failover:kind': 'nat', ...asg } });
    const token = world.startLifecycleAction(launching(c.instanceId));

    const launched = await h.deliver(fixture('aws.autoscaling/launch-lifecycle', { instanceId: c.instanceId, token, asg: 'nat-asg', hook: 'vpc-failover-launch', time: clock.now() }));

    expect(launched).toMatchObject({ action: 'prepare', lifecycle: 'completed' });
    expect(world.sourceDestCheck(c.instanceId)).toBe(false);
    expect(world.lifecycleResult(token)).toBe('CONTINUE');
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId });

    clock.advance(120_000);
    world.start(c.instanceId, { status: 'ok' });
    world.clearCalls();
    const running = await h.deliver(fixture('aws.ec2/running', { instanceId: c.instanceId, time: clock.now() }));

    expect(running).toMatchObject({ action: 'reconcile', groups: [{ outcome: 'changed' }] });
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: c.networkInterfaceId, state: 'active' });
    expect(world.routeTarget(routeTables.b, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId });
    // The check went off at launch, so the failback goes straight to the switch.
    expect(world.count('ModifyNetworkInterfaceAttribute') + world.count('ModifyInstanceAttribute')).toBe(0);
  });

  it('waits for health: a running event while status checks initialize moves nothing', async () => {
    const clock = manualClock();
    const { world, a, routeTables, group, publicSubnets } = buildNatPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);
    world.terminate(a.instanceId);
    await h.deliver(fixture('aws.ec2/terminated', { instanceId: a.instanceId, time: clock.now() }));
    const c = world.addInstance({ subnet: publicSubnets.a, sourceDestCheck: false, status: 'initializing', tags: { 'failover:group': group, 'failover:kind': 'nat' } });
    clock.advance(120_000);
    world.clearCalls();

    await h.deliver(fixture('aws.ec2/running', { instanceId: c.instanceId, time: clock.now() }));

    expect(world.mutations()).toEqual([]);
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')?.networkInterfaceId).not.toBe(c.networkInterfaceId);
  });

  it('retries a throttled CompleteLifecycleAction until it completes', async () => {
    const clock = manualClock();
    const { world, publicSubnets, group } = buildNatPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);
    const c = world.addInstance({ subnet: publicSubnets.a, state: 'pending', sourceDestCheck: true, tags: { 'failover:group': group, 'failover:kind': 'nat' } });
    const token = world.startLifecycleAction(launching(c.instanceId));
    const fault = world.faults.inject({ operation: 'CompleteLifecycleAction', error: 'Throttling', times: 2 });

    const result = await h.deliver(fixture('aws.autoscaling/launch-lifecycle', { instanceId: c.instanceId, token, asg: 'nat-asg', hook: 'vpc-failover-launch', time: clock.now() }));

    expect(fault.fired).toBe(2);
    expect(world.count('CompleteLifecycleAction')).toBe(3);
    expect(result).toMatchObject({ lifecycle: 'completed' });
    expect(world.lifecycleResult(token)).toBe('CONTINUE');
  });

  it('treats a lifecycle action completed before (duplicate event) as done', async () => {
    const clock = manualClock();
    const { world, publicSubnets, group } = buildNatPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);
    const c = world.addInstance({ subnet: publicSubnets.a, state: 'pending', sourceDestCheck: true, tags: { 'failover:group': group, 'failover:kind': 'nat' } });
    const token = world.startLifecycleAction(launching(c.instanceId));
    const event = fixture('aws.autoscaling/launch-lifecycle', { instanceId: c.instanceId, token, asg: 'nat-asg', hook: 'vpc-failover-launch', time: clock.now() });

    await h.deliver(event);
    const again = await h.deliver(event);

    expect(again).toMatchObject({ lifecycle: 'already-completed' });
    expect(world.count('ModifyNetworkInterfaceAttribute')).toBe(1);
  });
});

describe('on-event: Spot interruption warnings and rebalance recommendations', () => {
  it('moves the Elastic IP off an instance that got an interruption warning', async () => {
    const clock = manualClock();
    const { world, a, b, allocationId } = buildEipPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);

    const result = await h.deliver(fixture('aws.ec2/spot-interruption', { instanceId: a.instanceId, time: clock.now() }));

    expect(result).toMatchObject({ action: 'evacuate', groups: [{ outcome: 'changed' }] });
    expect(world.eipHolder(allocationId)).toMatchObject({ instanceId: b.instanceId });
  });

  it('moves overlay routes off an instance with a rebalance recommendation', async () => {
    const clock = manualClock();
    const { world, a, b, overlayCidr, routeTables } = buildOverlayPair({ worldOptions: { clock } });
    const h = await eventHarness(world, clock, db);

    await h.deliver(fixture('aws.ec2/rebalance', { instanceId: a.instanceId, time: clock.now() }));

    for (const table of routeTables) expect(world.routeTarget(table, overlayCidr)).toMatchObject({ networkInterfaceId: b.networkInterfaceId });
    expect(world.count('AssignPrivateIpAddresses') + world.count('AssociateAddress')).toBe(0);
  });
});

describe('on-event: events it does not act on', () => {
  it.each(['invalid/bad-instance-id', 'invalid/unknown-detail-type', 'invalid/not-an-event', 'invalid/lifecycle-missing-token'])(
    'answers %s with a result, calls nothing and logs why',
    async (name) => {
      const clock = manualClock();
      const { world } = buildVipPair({ worldOptions: { clock } });
      const h = await eventHarness(world, clock, db);

      const result = await h.deliver(fixture(name));

      expect(result).toMatchObject({ action: 'ignore', groups: [] });
      expect(world.calls).toEqual([]);
      expect(h.log.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'event ignored, no action' }));
    },
  );
});
