/**
 * What the simulator models for remediation, as EC2 and Auto Scaling answer: instances that cannot
 * be stopped, Spot request types, starts that fall back to stopped, and replacing an ASG member.
 */
import { TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeSpotInstanceRequestsCommand, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../sim/clock.js';
import { VpcWorld } from '../../sim/world.js';

function world() {
  const clock = manualClock();
  const w = new VpcWorld({ clock });
  return { clock, world: w, ...w.clients() };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the call to fail');
  return error;
}

describe('instances EC2 cannot stop', () => {
  it.each([
    { name: 'a Spot instance of a one-time request', options: { spot: 'one-time' as const }, says: 'associated with a one-time Spot Instance request' },
    { name: 'an instance-store root', options: { rootDeviceType: 'instance-store' as const }, says: "does not have an 'ebs' root device type" },
  ])('refuses to stop $name with UnsupportedOperation, and leaves it running', async ({ options, says }) => {
    const { world: w, ec2 } = world();
    const { instanceId } = w.addInstance(options);

    const error = await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] })));

    expect(error.name).toBe('UnsupportedOperation');
    expect(error.message).toContain(says);
    expect(w.instances.get(instanceId)?.state).toBe('running');
  });

  it('stops a Spot instance of a persistent request', async () => {
    const { world: w, ec2, clock } = world();
    const { instanceId } = w.addInstance({ spot: 'persistent' });

    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    clock.advance(10_000);
    w.settle();

    expect(w.instances.get(instanceId)?.state).toBe('stopped');
  });
});

describe('DescribeInstances and DescribeSpotInstanceRequests', () => {
  it('shows the purchase option, the Spot request and the root device, and the request type by filter', async () => {
    const { world: w, ec2 } = world();
    const spot = w.addInstance({ spot: 'one-time' });
    const store = w.addInstance({ rootDeviceType: 'instance-store' });
    const requestId = w.instances.get(spot.instanceId)?.spot?.requestId ?? '';

    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [spot.instanceId, store.instanceId] }));
    const requests = await ec2.send(new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: 'spot-instance-request-id', Values: [requestId, 'sir-gone'] }] }));

    const [first, second] = out.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    expect(first).toMatchObject({ InstanceLifecycle: 'spot', SpotInstanceRequestId: requestId, RootDeviceType: 'ebs' });
    expect(second).toMatchObject({ RootDeviceType: 'instance-store' });
    expect(second?.InstanceLifecycle).toBeUndefined();
    expect(requests.SpotInstanceRequests?.map((r) => [r.SpotInstanceRequestId, r.Type, r.InstanceId])).toEqual([[requestId, 'one-time', spot.instanceId]]);
  });

  it('rejects an unknown request ID asked for by ID, as EC2 does', async () => {
    const { ec2 } = world();

    const error = await failure(ec2.send(new DescribeSpotInstanceRequestsCommand({ SpotInstanceRequestIds: ['sir-00000000000000009'] })));

    expect(error.name).toBe('InvalidSpotInstanceRequestID.NotFound');
  });
});

describe('a start that falls back to stopped', () => {
  it('goes pending, then stopped with Client.InternalError, as many times as the fault says, then starts', async () => {
    const { world: w, ec2, clock } = world();
    const { instanceId } = w.addInstance({ state: 'stopped' });
    w.failStarts(instanceId, 1);
    const describe = async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0];

    const started = await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    clock.advance(15_000);
    const fellBack = await describe();
    await ec2.send(new StartInstancesCommand({ InstanceIds: [instanceId] }));
    clock.advance(15_000);
    const running = await describe();

    expect(started.StartingInstances?.[0]?.CurrentState?.Name).toBe('pending');
    expect(fellBack).toMatchObject({ State: { Name: 'stopped' }, StateReason: { Code: 'Client.InternalError', Message: 'Client.InternalError: Client error on launch' } });
    expect(running?.State?.Name).toBe('running');
    expect(running?.StateReason).toBeUndefined();
    expect(running?.LaunchTime?.getTime()).toBe(clock.now() - 15_000);
  });

  it('shows a stop through the API as Client.UserInitiatedShutdown', async () => {
    const { world: w, ec2, clock } = world();
    const { instanceId } = w.addInstance();

    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    clock.advance(10_000);
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));

    expect(out.Reservations?.[0]?.Instances?.[0]?.StateReason?.Code).toBe('Client.UserInitiatedShutdown');
  });
});

describe('TerminateInstanceInAutoScalingGroup', () => {
  const member = { 'aws:autoscaling:groupName': 'web-asg', 'failover:group': 'web' };

  it('terminates the member and, keeping the desired capacity, launches a replacement with its tags in its subnet', async () => {
    const { world: w, autoscaling, clock } = world();
    const old = w.addInstance({ tags: member });

    const out = await autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: old.instanceId, ShouldDecrementDesiredCapacity: false }));
    const during = w.instances.get(old.instanceId)?.state;
    clock.advance(10_000);
    w.settle();

    expect(out.Activity).toMatchObject({ AutoScalingGroupName: 'web-asg', StatusCode: 'InProgress', Description: `Terminating EC2 instance: ${old.instanceId}` });
    expect(during).toBe('shutting-down');
    expect(w.instances.get(old.instanceId)?.state).toBe('terminated');
    const [replacement] = w.replacements;
    expect(replacement).toEqual({ terminated: old.instanceId, launched: expect.any(String), group: 'web-asg' });
    expect(w.instances.get(replacement?.launched ?? '')).toMatchObject({ state: 'running', tags: member, subnetId: old.subnetId });
  });

  it('launches nothing when the desired capacity is decremented', async () => {
    const { world: w, autoscaling, clock } = world();
    const old = w.addInstance({ tags: member });

    await autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: old.instanceId, ShouldDecrementDesiredCapacity: true }));
    clock.advance(10_000);
    w.settle();

    expect(w.instances.get(old.instanceId)?.state).toBe('terminated');
    expect(w.replacements).toEqual([]);
  });

  it.each([
    { name: 'an instance outside any Auto Scaling group', tags: { 'failover:group': 'web' }, input: { ShouldDecrementDesiredCapacity: false }, says: 'No managed instance found for instance ID' },
    { name: 'a call without ShouldDecrementDesiredCapacity (required)', tags: member, input: {}, says: "'shouldDecrementDesiredCapacity' failed to satisfy constraint" },
  ])('refuses $name with a ValidationError, and terminates nothing', async ({ tags, input, says }) => {
    const { world: w, autoscaling } = world();
    const { instanceId } = w.addInstance({ tags });

    const error = await failure(autoscaling.send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ...input } as never)));

    expect(error.name).toBe('ValidationError');
    expect(error.message).toContain(says);
    expect(w.instances.get(instanceId)?.state).toBe('running');
  });
});
