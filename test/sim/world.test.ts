import {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DisassociateAddressCommand,
  EC2ServiceException,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { GetCommandInvocationCommand, InvocationDoesNotExist, ListCommandInvocationsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import type { GetCommandInvocationCommandOutput, ListCommandInvocationsCommandInput, SSMClient } from '@aws-sdk/client-ssm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { activateIpScript, deactivateIpScript } from '../../shared/core/scripts.js';
import { isInstanceId, isMac } from '../../shared/core/validate.js';
import { VpcWorld, buildEipPair, buildHaWorld, buildNatPair, buildOverlayPair, buildVipPair } from '../../sim/world.js';
import { pluginOutput } from '../../sim/ssm.js';
import { manualClock } from '../../sim/clock.js';

/** The rejection of a promise that must reject (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }> {
  const outcome = await promise.then(
    (value) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  );
  if (outcome.resolved) throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(Error);
  return outcome.error as Error & { $fault?: string; $metadata?: { httpStatusCode?: number } };
}

/** Polls GetCommandInvocation as an adapter would, moving the clock between polls. */
async function waitForInvocation(ssm: SSMClient, clock: { advance(ms: number): void }, commandId: string, instanceId: string, maxPolls = 20): Promise<GetCommandInvocationCommandOutput> {
  for (let poll = 0; poll < maxPolls; poll += 1) {
    try {
      const output = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      if (output.Status !== 'InProgress' && output.Status !== 'Pending') return output;
    } catch (error) {
      if (!(error instanceof InvocationDoesNotExist)) throw error;
    }
    clock.advance(250);
  }
  throw new Error('invocation did not finish');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('VpcWorld clients', () => {
  it('serves DescribeInstances through a real EC2Client with SDK v3 shapes', async () => {
    const { world, a } = buildVipPair();
    const { ec2 } = world.clients();

    const output = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [a.instanceId] }));

    const instance = output.Reservations?.[0]?.Instances?.[0];
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(isInstanceId(instance?.InstanceId ?? '')).toBe(true);
    expect(instance?.State).toEqual({ Code: 16, Name: 'running' });
    expect(instance?.Placement?.AvailabilityZone).toBe('us-east-1a');
    expect(instance?.Tags).toContainEqual({ Key: 'failover:kind', Value: 'vip' });
    const eni = instance?.NetworkInterfaces?.[0];
    expect(isMac(eni?.MacAddress ?? '')).toBe(true);
    expect(eni?.Attachment?.DeviceIndex).toBe(0);
    expect(eni?.PrivateIpAddresses).toEqual([
      expect.objectContaining({ PrivateIpAddress: '10.0.1.10', Primary: true }),
      expect.objectContaining({ PrivateIpAddress: '10.0.1.100', Primary: false }),
    ]);
  });

  it('tells a call listener of each request before it is served and after, with its outcome', async () => {
    const { world, a, b, vip } = buildVipPair();
    const seen: string[] = [];
    const stop = world.onCall((call, phase) => seen.push(`${phase} ${call.operation} ${phase === 'before' ? world.vipHolder(vip) : `${world.vipHolder(vip)} applied=${call.applied === true}`}`));
    const { ec2 } = world.clients();

    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: [vip], AllowReassignment: true }));
    await expect(ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: 'eni-0000000000000dead', PrivateIpAddresses: [vip], AllowReassignment: true }))).rejects.toThrow();
    stop();
    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: a.networkInterfaceId, PrivateIpAddresses: [vip], AllowReassignment: true }));

    expect(seen).toEqual([
      `before AssignPrivateIpAddresses ${a.instanceId}`,
      `after AssignPrivateIpAddresses ${b.instanceId} applied=true`,
      `before AssignPrivateIpAddresses ${b.instanceId}`,
      `after AssignPrivateIpAddresses ${b.instanceId} applied=false`,
    ]);
  });

  it('hands out deterministic IDs in the AWS formats', () => {
    const world = new VpcWorld();
    const info = world.addInstance({ az: 'us-east-1b' });

    expect(info.instanceId).toBe('i-00000000000000001');
    expect(info.networkInterfaceId).toBe('eni-00000000000000001');
    expect(info.macAddress).toBe('02:00:00:00:00:01');
    expect(info.subnetId).toBe('subnet-00000000000000001');
    expect(info.vpcId).toBe('vpc-00000000000000001');
    expect(world.addEip()).toBe('eipalloc-00000000000000001');
  });

  it('rejects commands it does not model instead of answering undefined', async () => {
    const { ec2 } = new VpcWorld().clients();

    const error = await rejection(ec2.send(new DescribeVpcsCommand({})));

    expect(error.name).toBe('VpcWorldUnhandledCommandError');
    expect(error.message).toContain('DescribeVpcs');
  });

  it('keeps two worlds apart even though both mock EC2 clients', async () => {
    const first = buildVipPair();
    const second = new VpcWorld();
    second.addInstance({ tags: { only: 'second' } });

    const fromSecond = await second.clients().ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['only'] }] }));
    const fromFirst = await first.world.clients().ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['only'] }] }));

    expect(fromSecond.Reservations).toHaveLength(1);
    expect(fromFirst.Reservations).toHaveLength(0);
  });

  it('throws AWS error codes as EC2ServiceException with status and fault', async () => {
    const { ec2 } = new VpcWorld().clients();

    const error = await rejection(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));

    expect(error).toBeInstanceOf(EC2ServiceException);
    expect(error.name).toBe('InvalidInstanceID.NotFound');
    expect(error.message).toBe("The instance ID 'i-0123456789abcdef0' does not exist");
    expect(error.$fault).toBe('client');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('reports malformed IDs as .Malformed', async () => {
    const { ec2 } = new VpcWorld().clients();

    const error = await rejection(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-nothex'] })));

    expect(error.name).toBe('InvalidNetworkInterfaceID.Malformed');
  });
});

describe('DescribeInstances', () => {
  it('ANDs filters and ORs values, with tag:<key>, tag-key and instance-state-name', async () => {
    const { world, a, b } = buildVipPair({ group: 'web' });
    world.addInstance({ tags: { 'failover:group': 'other' } });
    world.stop(b.instanceId);
    const { ec2 } = world.clients();

    const output = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:failover:group', Values: ['web', 'nothing'] },
          { Name: 'instance-state-name', Values: ['running', 'pending'] },
        ],
      }),
    );

    expect(output.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId))).toEqual([a.instanceId]);
  });

  it('supports wildcards in filter values', async () => {
    const { world } = buildVipPair({ group: 'web-1' });
    const { ec2 } = world.clients();

    const output = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:failover:group', Values: ['web-*'] }] }));

    expect(output.Reservations).toHaveLength(2);
  });

  it('pages at the world page size and follows NextToken to the end', async () => {
    const world = new VpcWorld({ pageSize: 2 });
    const launched = [1, 2, 3, 4, 5].map(() => world.addInstance().instanceId);
    const { ec2 } = world.clients();

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const output = await ec2.send(new DescribeInstancesCommand({ ...(token === undefined ? {} : { NextToken: token }) }));
      seen.push(...(output.Reservations ?? []).flatMap((r) => (r.Instances ?? []).map((i) => i.InstanceId ?? '')));
      token = output.NextToken;
      pages += 1;
    } while (token !== undefined);

    expect(pages).toBe(3);
    expect(seen).toEqual(launched);
  });

  it('refuses MaxResults together with InstanceIds, as EC2 does', async () => {
    const { world, a } = buildVipPair();

    const error = await rejection(world.clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [a.instanceId], MaxResults: 5 })));

    expect(error.name).toBe('InvalidParameterCombination');
  });

  it('drops VPC and subnet from terminated instances and shows no interfaces', async () => {
    const { world, b } = buildVipPair();
    world.terminate(b.instanceId);

    const output = await world.clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [b.instanceId] }));

    const instance = output.Reservations?.[0]?.Instances?.[0];
    expect(instance?.State?.Name).toBe('terminated');
    expect(instance?.VpcId).toBeUndefined();
    expect(instance?.NetworkInterfaces).toEqual([]);
  });
});

describe('DescribeInstanceStatus', () => {
  it('lists running instances only unless IncludeAllInstances is set', async () => {
    const { world, a, b } = buildVipPair();
    world.stop(b.instanceId);
    const { ec2 } = world.clients();

    const runningOnly = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [a.instanceId, b.instanceId] }));
    const all = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [a.instanceId, b.instanceId], IncludeAllInstances: true }));

    expect(runningOnly.InstanceStatuses?.map((s) => s.InstanceId)).toEqual([a.instanceId]);
    expect(all.InstanceStatuses?.find((s) => s.InstanceId === b.instanceId)?.InstanceStatus?.Status).toBe('not-applicable');
  });

  it('reports an impaired instance check with a failed reachability detail', async () => {
    const { world, a } = buildVipPair();
    world.impair(a.instanceId);

    const output = await world.clients().ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [a.instanceId] }));

    const status = output.InstanceStatuses?.[0];
    expect(status?.InstanceStatus).toEqual({ Status: 'impaired', Details: [{ Name: 'reachability', Status: 'failed' }] });
    expect(status?.SystemStatus?.Status).toBe('ok');
  });

  it('shows a hung instance as running with ok checks', async () => {
    const { world, a } = buildVipPair();
    world.hang(a.instanceId);

    const output = await world.clients().ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [a.instanceId] }));

    expect(output.InstanceStatuses?.[0]?.InstanceStatus?.Status).toBe('ok');
    expect(world.isReachable(a.instanceId)).toBe(false);
  });
});

describe('AssignPrivateIpAddresses', () => {
  it('refuses an address another ENI holds without AllowReassignment, and changes nothing', async () => {
    const { world, a, b, vip } = buildVipPair();

    const error = await rejection(world.clients().ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: [vip] })));

    expect(error.name).toBe('PrivateIpAddressInUse');
    expect(world.vipHolder(vip)).toBe(a.instanceId);
  });

  it('moves the address with AllowReassignment, visible in Describe* only after the delay', async () => {
    const clock = manualClock();
    const { world, b, vip } = buildVipPair({ worldOptions: { clock, assignDelayMs: 2000 } });
    const { ec2 } = world.clients();

    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: [vip], AllowReassignment: true }));
    const before = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [b.networkInterfaceId] }));
    clock.advance(2000);
    const after = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [b.networkInterfaceId] }));

    expect(before.NetworkInterfaces?.[0]?.PrivateIpAddresses?.map((p) => p.PrivateIpAddress)).toEqual(['10.0.1.11']);
    expect(after.NetworkInterfaces?.[0]?.PrivateIpAddresses?.map((p) => p.PrivateIpAddress)).toEqual(['10.0.1.11', vip]);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
  });

  it('runs the delay on vitest fake timers through the default clock', async () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const { world, a, b, vip } = buildVipPair({ worldOptions: { assignDelayMs: 1000 } });
    const { ec2 } = world.clients();

    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: [vip], AllowReassignment: true }));
    const describeHolder = async () => {
      const output = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'network-interface.addresses.private-ip-address', Values: [vip] }] }));
      return output.Reservations?.[0]?.Instances?.[0]?.InstanceId;
    };
    const during = await describeHolder();
    vi.advanceTimersByTime(1000);
    const settled = await describeHolder();

    expect(during).toBe(a.instanceId);
    expect(settled).toBe(b.instanceId);
  });

  it('refuses an address outside the ENI subnet', async () => {
    const { world, b } = buildVipPair();

    const error = await rejection(
      world.clients().ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: ['10.0.2.50'], AllowReassignment: true })),
    );

    expect(error.name).toBe('InvalidParameterValue');
  });

  it('takes an Elastic IP associated with the private address along with it', async () => {
    const clock = manualClock();
    const { world, a, b, vip } = buildVipPair({ worldOptions: { clock, assignDelayMs: 1000 } });
    const allocationId = world.addEip();
    world.associateEip(allocationId, { networkInterfaceId: a.networkInterfaceId, privateIp: vip });
    const { ec2 } = world.clients();

    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: [vip], AllowReassignment: true }));
    clock.advance(1000);
    const output = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));

    expect(output.Addresses?.[0]).toMatchObject({ NetworkInterfaceId: b.networkInterfaceId, InstanceId: b.instanceId, PrivateIpAddress: vip });
    expect(world.eipHolder(allocationId)?.instanceId).toBe(b.instanceId);
  });

  it('unassigns a secondary address and refuses one the ENI does not hold', async () => {
    const { world, a, b, vip } = buildVipPair({ worldOptions: { assignDelayMs: 0 } });
    const { ec2 } = world.clients();

    const error = await rejection(ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: [vip] })));
    await ec2.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: a.networkInterfaceId, PrivateIpAddresses: [vip] }));

    expect(error.name).toBe('InvalidParameterValue');
    expect(world.vipHolder(vip)).toBeUndefined();
  });
});

describe('DescribeNetworkInterfaces', () => {
  it('finds the ENIs that hold any of the addresses, secondary ones included, with what they are', async () => {
    const { world, a, b, vip, subnetId } = buildVipPair();
    const pod = world.addNetworkInterface({ subnet: subnetId, secondaryIps: ['10.0.1.77'], interfaceType: 'branch', description: 'aws-k8s-branch-eni', requesterManaged: false });

    const { NetworkInterfaces = [] } = await world.clients().ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'addresses.private-ip-address', Values: [vip, '10.0.1.77', b.privateIp] }], MaxResults: 1000 }),
    );

    expect(NetworkInterfaces.map((eni) => [eni.NetworkInterfaceId, eni.Attachment?.InstanceId, eni.InterfaceType, eni.Description, eni.RequesterManaged])).toEqual([
      [a.networkInterfaceId, a.instanceId, 'interface', '', false],
      [b.networkInterfaceId, b.instanceId, 'interface', '', false],
      [pod.networkInterfaceId, undefined, 'branch', 'aws-k8s-branch-eni', false],
    ]);
  });
});

describe('AssociateAddress', () => {
  it('refuses to move an associated Elastic IP without AllowReassociation', async () => {
    const { world, allocationId, a, b } = buildEipPair();

    const error = await rejection(world.clients().ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, NetworkInterfaceId: b.networkInterfaceId })));

    expect(error.name).toBe('Resource.AlreadyAssociated');
    expect(world.eipHolder(allocationId)?.instanceId).toBe(a.instanceId);
  });

  it('moves it with AllowReassociation and returns a new association ID', async () => {
    const { world, allocationId, b } = buildEipPair();
    const { ec2 } = world.clients();
    const before = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: [allocationId] }] }));

    const output = await ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, NetworkInterfaceId: b.networkInterfaceId, AllowReassociation: true }));

    expect(output.AssociationId).toMatch(/^eipassoc-[0-9a-f]{17}$/);
    expect(output.AssociationId).not.toBe(before.Addresses?.[0]?.AssociationId);
    expect(world.eipHolder(allocationId)).toEqual({ networkInterfaceId: b.networkInterfaceId, privateIp: b.privateIp, instanceId: b.instanceId });
  });

  it('associates by instance ID with its primary ENI and address', async () => {
    const { world, allocationId, b } = buildEipPair();

    await world.clients().ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, InstanceId: b.instanceId, AllowReassociation: true }));

    expect(world.eipHolder(allocationId)?.networkInterfaceId).toBe(b.networkInterfaceId);
  });

  it('disassociates, and reports an unknown association ID', async () => {
    const { world, allocationId } = buildEipPair();
    const { ec2 } = world.clients();
    const described = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));

    await ec2.send(new DisassociateAddressCommand({ AssociationId: described.Addresses?.[0]?.AssociationId ?? '' }));
    const error = await rejection(ec2.send(new DisassociateAddressCommand({ AssociationId: described.Addresses?.[0]?.AssociationId ?? '' })));

    expect(world.eipHolder(allocationId)).toBeUndefined();
    expect(error.name).toBe('InvalidAssociationID.NotFound');
  });
});

describe('routes', () => {
  it('shows a route to a stopped instance as blackhole, and active again once replaced', async () => {
    const { world, a, b, routeTables } = buildNatPair();
    const { ec2 } = world.clients();
    world.stop(a.instanceId);

    const stopped = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTables.a] }));
    await ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId }));
    const replaced = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTables.a] }));

    const defaultRoute = (tables: typeof stopped) => tables.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    expect(defaultRoute(stopped)).toMatchObject({ NetworkInterfaceId: a.networkInterfaceId, InstanceId: a.instanceId, State: 'blackhole' });
    expect(defaultRoute(replaced)).toMatchObject({ NetworkInterfaceId: b.networkInterfaceId, InstanceId: b.instanceId, State: 'active', Origin: 'CreateRoute' });
  });

  it('keeps the ENI of a terminated instance in the route, without instance, as blackhole', async () => {
    const { world, a, routeTables } = buildNatPair();
    world.terminate(a.instanceId);

    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')).toEqual({ networkInterfaceId: a.networkInterfaceId, state: 'blackhole' });
  });

  it('refuses CreateRoute for an existing destination and ReplaceRoute for a missing one', async () => {
    const { world, b, routeTables } = buildNatPair();
    const { ec2 } = world.clients();

    const exists = await rejection(ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId })));
    const missing = await rejection(ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '192.168.0.0/16', NetworkInterfaceId: b.networkInterfaceId })));

    expect(exists.name).toBe('RouteAlreadyExists');
    expect(missing.name).toBe('InvalidParameterValue');
    expect(missing.message).toMatch(/There is no route defined for '192\.168\.0\.0\/16' in the route table/);
    expect(world.routeTarget(routeTables.a, '192.168.0.0/16')).toBeUndefined();
  });

  it('creates and deletes routes; deleting a missing one is InvalidRoute.NotFound', async () => {
    const { world, b, routeTables } = buildNatPair();
    const { ec2 } = world.clients();

    await ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '192.168.0.0/16', InstanceId: b.instanceId }));
    const created = world.routeTarget(routeTables.a, '192.168.0.0/16');
    await ec2.send(new DeleteRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '192.168.0.0/16' }));
    const error = await rejection(ec2.send(new DeleteRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '192.168.0.0/16' })));

    expect(created).toEqual({ networkInterfaceId: b.networkInterfaceId, instanceId: b.instanceId, state: 'active' });
    expect(world.routeTarget(routeTables.a, '192.168.0.0/16')).toBeUndefined();
    expect(error.name).toBe('InvalidRoute.NotFound');
  });

  it('reports an unknown route table as InvalidRouteTableID.NotFound', async () => {
    const { world } = buildNatPair();

    const error = await rejection(world.clients().ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0000000000000abcd'] })));

    expect(error.name).toBe('InvalidRouteTableID.NotFound');
  });

  it('finds the NAT tables by tag filter', async () => {
    const { world, routeTables, azs } = buildNatPair();

    const output = await world.clients().ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'tag-key', Values: ['NATAZ'] }], MaxResults: 100 }));
    const byAz = await world.clients().ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'tag:NATAZ', Values: [azs.b] }] }));

    expect(output.RouteTables?.map((t) => t.RouteTableId).sort()).toEqual([routeTables.a, routeTables.b, routeTables.any].sort());
    expect(byAz.RouteTables?.map((t) => t.RouteTableId)).toEqual([routeTables.b]);
  });
});

describe('source/destination check', () => {
  it('changes it through ModifyInstanceAttribute on the primary ENI and through ModifyNetworkInterfaceAttribute', async () => {
    const { world, a, b } = buildVipPair();
    const { ec2 } = world.clients();

    await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: a.instanceId, SourceDestCheck: { Value: false } }));
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: b.networkInterfaceId, SourceDestCheck: { Value: false } }));
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [a.instanceId] }));

    expect(world.sourceDestCheck(a.instanceId)).toBe(false);
    expect(world.sourceDestCheck(b.instanceId)).toBe(false);
    expect(described.Reservations?.[0]?.Instances?.[0]?.SourceDestCheck).toBe(false);
  });
});

describe('fault injection', () => {
  it('fails the given number of calls after letting some succeed', async () => {
    const { world, b, routeTables } = buildNatPair();
    world.faults.inject({ operation: 'ReplaceRoute', error: 'RequestLimitExceeded', after: 1, times: 1 });
    const { ec2 } = world.clients();
    const replace = (table: string) => ec2.send(new ReplaceRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId }));

    await replace(routeTables.a);
    const error = await rejection(replace(routeTables.any));
    await replace(routeTables.any);

    expect(error).toBeInstanceOf(EC2ServiceException);
    expect(error.name).toBe('RequestLimitExceeded');
    expect(error.$fault).toBe('server');
    expect(error.$metadata?.httpStatusCode).toBe(503);
    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')?.networkInterfaceId).toBe(b.networkInterfaceId);
  });

  it('fails only calls whose input matches', async () => {
    const { world, b, routeTables } = buildNatPair();
    world.faults.inject({ operation: 'ReplaceRoute', error: 'InternalError', match: (input) => input.RouteTableId === routeTables.any });
    const { ec2 } = world.clients();
    const replace = (table: string) => ec2.send(new ReplaceRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId }));

    await replace(routeTables.a);
    const error = await rejection(replace(routeTables.any));

    expect(error.name).toBe('InternalError');
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')?.networkInterfaceId).not.toBe(b.networkInterfaceId);
  });

  it("rejects with TimeoutError for 'timeout', optionally after applying the change", async () => {
    const { world, b, routeTables } = buildNatPair();
    world.faults.inject({ operation: 'ReplaceRoute', error: 'timeout', applyThenFail: true, times: 1 });

    const error = await rejection(
      world.clients().ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId })),
    );

    expect(error.name).toBe('TimeoutError');
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')?.networkInterfaceId).toBe(b.networkInterfaceId);
  });

  it('throws a modelled SSM exception class for an SSM error code', async () => {
    const { world, a } = buildVipPair();
    world.faults.inject({ operation: 'SendCommand', error: 'InvalidInstanceId' });

    const error = await rejection(
      world.clients().ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [a.instanceId], Parameters: { commands: ['true'] } })),
    );

    expect(error.name).toBe('InvalidInstanceId');
    expect(error.constructor.name).toBe('InvalidInstanceId');
  });
});

describe('call log', () => {
  it('counts calls per operation and lists mutations, failed ones included', async () => {
    const { world, b, routeTables } = buildNatPair();
    const { ec2 } = world.clients();

    await ec2.send(new DescribeRouteTablesCommand({}));
    await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [b.subnetId] }));
    await rejection(ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId })));

    expect(world.count('DescribeRouteTables')).toBe(1);
    expect(world.count()).toBe(3);
    expect(world.mutations()).toEqual([expect.objectContaining({ service: 'ec2', operation: 'CreateRoute', error: 'RouteAlreadyExists' })]);
  });

  it('shows nothing changed after reads only', async () => {
    const { world } = buildEipPair();

    await world.clients().ec2.send(new DescribeAddressesCommand({}));
    await world.clients().ec2.send(new DescribeInstanceStatusCommand({}));

    expect(world.mutations()).toEqual([]);
  });
});

describe('SSM Run Command', () => {
  function activate(world: VpcWorld, instanceId: string, mac: string, ip: string, timeoutSeconds = 60) {
    const script = activateIpScript({ ip, prefixLength: 32, macAddress: mac });
    return world.clients().ssm.send(
      new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands: [...script.lines] }, TimeoutSeconds: timeoutSeconds }),
    );
  }

  it('answers InvocationDoesNotExist first, InProgress next, then the result of the interpreted script', async () => {
    const clock = manualClock();
    const { world, b, vip } = buildVipPair({ worldOptions: { clock, ssm: { notFoundPolls: 1, executionDelayMs: 1000 } } });
    const { ssm } = world.clients();
    const sent = await activate(world, b.instanceId, b.macAddress, vip);
    const commandId = sent.Command?.CommandId ?? '';
    const poll = () => ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: b.instanceId }));

    const first = await rejection(poll());
    const second = await poll();
    clock.advance(1000);
    const third = await poll();

    expect(first).toBeInstanceOf(InvocationDoesNotExist);
    expect(second.Status).toBe('InProgress');
    expect(third).toMatchObject({ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, StandardOutputContent: `vpcf result=active ip=${vip} dev=eth0\n` });
    expect(world.osIps(b.instanceId)).toContain(vip);
    expect(world.osView(b.instanceId)[b.macAddress]).toContain(`${vip}/32`);
  });

  it('takes the address down with the deactivation script', async () => {
    const clock = manualClock();
    const { world, a, vip } = buildVipPair({ worldOptions: { clock } });
    const script = deactivateIpScript({ ip: vip, prefixLength: 32, macAddress: a.macAddress });

    const sent = await world.clients().ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [a.instanceId], Parameters: { commands: [...script.lines] } }));
    const result = await waitForInvocation(world.clients().ssm, clock, sent.Command?.CommandId ?? '', a.instanceId);

    expect(result.Status).toBe('Success');
    expect(result.StandardOutputContent).toContain('vpcf result=inactive');
    expect(world.osIps(a.instanceId)).not.toContain(vip);
    expect(world.osIps(a.instanceId)).toContain(a.privateIp);
  });

  it('exits 3 when no interface has the MAC', async () => {
    const clock = manualClock();
    const { world, a, b, vip } = buildVipPair({ worldOptions: { clock } });

    const sent = await activate(world, b.instanceId, a.macAddress, vip);
    const result = await waitForInvocation(world.clients().ssm, clock, sent.Command?.CommandId ?? '', b.instanceId);

    expect(result).toMatchObject({ Status: 'Failed', ResponseCode: 3, StandardOutputContent: `vpcf result=no-interface mac=${a.macAddress}\n` });
    expect(world.osIps(b.instanceId)).not.toContain(vip);
  });

  it('never delivers to a hung instance and times out delivery after TimeoutSeconds', async () => {
    const clock = manualClock();
    const { world, b, vip } = buildVipPair({ worldOptions: { clock, ssm: { notFoundPolls: 0 } } });
    world.hang(b.instanceId);
    const { ssm } = world.clients();
    const sent = await activate(world, b.instanceId, b.macAddress, vip, 30);
    const poll = () => ssm.send(new GetCommandInvocationCommand({ CommandId: sent.Command?.CommandId ?? '', InstanceId: b.instanceId }));

    clock.advance(29_000);
    const pending = await poll();
    clock.advance(1_000);
    const timedOut = await poll();

    expect(pending.Status).toBe('Pending');
    expect(timedOut).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' });
    expect(world.osIps(b.instanceId)).not.toContain(vip);
  });

  it('reports a stopped instance as Undeliverable', async () => {
    const clock = manualClock();
    const { world, b, vip } = buildVipPair({ worldOptions: { clock } });
    world.stop(b.instanceId);

    const sent = await activate(world, b.instanceId, b.macAddress, vip);
    const result = await waitForInvocation(world.clients().ssm, clock, sent.Command?.CommandId ?? '', b.instanceId);

    expect(result).toMatchObject({ Status: 'Failed', StatusDetails: 'Undeliverable' });
  });

  it('rejects more than 50 instance IDs', async () => {
    const { world } = buildVipPair();
    const ids = Array.from({ length: 51 }, () => world.addInstance().instanceId);

    const error = await rejection(world.clients().ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ids, Parameters: { commands: ['true'] } })));

    expect(error.name).toBe('ValidationException');
  });

  it('rejects instance IDs it does not know with InvalidInstanceId', async () => {
    const { world } = buildVipPair();

    const error = await rejection(
      world.clients().ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-0000000000000dead'], Parameters: { commands: ['true'] } })),
    );

    expect(error.name).toBe('InvalidInstanceId');
  });

  it('runs custom handlers first and fails scripts that no handler knows with exit 127', async () => {
    const clock = manualClock();
    const { world, a } = buildVipPair({ worldOptions: { clock } });
    world.onScript(/iptables -t nat -S/, () => ({ stdout: '-A POSTROUTING -o eth0 -j MASQUERADE\n' }));
    const { ssm } = world.clients();
    const run = async (command: string) => {
      const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [a.instanceId], Parameters: { commands: [command] } }));
      return waitForInvocation(ssm, clock, sent.Command?.CommandId ?? '', a.instanceId);
    };

    const known = await run('iptables -t nat -S POSTROUTING');
    const unknown = await run('reboot');

    expect(known.StandardOutputContent).toContain('MASQUERADE');
    expect(unknown).toMatchObject({ Status: 'Failed', ResponseCode: 127 });
    expect(world.unmatchedScripts.map((s) => s.script)).toEqual(['reboot']);
  });

  it('times out execution when a script runs longer than executionTimeout', async () => {
    const clock = manualClock();
    const { world, a } = buildVipPair({ worldOptions: { clock } });
    world.onScript('sleep', () => ({ durationMs: 10_000 }));
    const { ssm } = world.clients();

    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [a.instanceId], Parameters: { commands: ['sleep 10'], executionTimeout: ['5'] } }));
    clock.advance(6_000);
    const result = await waitForInvocation(ssm, clock, sent.Command?.CommandId ?? '', a.instanceId);

    expect(result).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' });
  });
});

describe('SSM ListCommandInvocations', () => {
  const list = (world: VpcWorld, input: ListCommandInvocationsCommandInput) => world.clients().ssm.send(new ListCommandInvocationsCommand(input));

  async function sendTo(world: VpcWorld, instanceIds: string[], commands: string[] = ['echo hello']): Promise<string> {
    const sent = await world.clients().ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: instanceIds, Parameters: { commands } }));
    return sent.Command?.CommandId ?? '';
  }

  /** A world whose `echo` scripts print `out` and `err` after 1 s, with `count` more instances. */
  function echoWorld(count: number, out = 'hello\n', err = '') {
    const clock = manualClock();
    const { world } = buildVipPair({ worldOptions: { clock, ssm: { notFoundPolls: 1, executionDelayMs: 1000 } } });
    world.onScript('echo', () => ({ stdout: out, stderr: err, exitCode: err === '' ? 0 : 2 }));
    const ids = Array.from({ length: count }, () => world.addInstance().instanceId);
    return { world, clock, ids };
  }

  it('lists nothing on the first read after SendCommand, then every invocation of the command, InProgress', async () => {
    const { world, ids } = echoWorld(3);
    const commandId = await sendTo(world, ids);

    const first = await list(world, { CommandId: commandId, Details: true });
    const second = await list(world, { CommandId: commandId, Details: true });

    expect(first.CommandInvocations).toEqual([]);
    expect(first.NextToken).toBeUndefined();
    expect(second.CommandInvocations?.map((inv) => [inv.InstanceId, inv.Status, inv.CommandPlugins?.[0]?.ResponseCode])).toEqual(ids.map((id) => [id, 'InProgress', -1]));
  });

  it('shows the result with the plugin output and response code once the script has run', async () => {
    const { world, clock, ids } = echoWorld(1);
    const commandId = await sendTo(world, ids);
    await list(world, { CommandId: commandId, Details: true });
    clock.advance(1000);

    const listed = await list(world, { CommandId: commandId, Details: true });

    expect(listed.CommandInvocations).toHaveLength(1);
    expect(listed.CommandInvocations?.[0]).toMatchObject({
      CommandId: commandId,
      InstanceId: ids[0],
      DocumentName: 'AWS-RunShellScript',
      Status: 'Success',
      StatusDetails: 'Success',
      CommandPlugins: [{ Name: 'aws:runShellScript', Status: 'Success', ResponseCode: 0, Output: 'hello\n' }],
    });
  });

  it('lists only the invocations of the command asked for', async () => {
    const { world, ids } = echoWorld(4);
    const first = await sendTo(world, ids.slice(0, 2));
    await sendTo(world, ids.slice(2));
    await list(world, { CommandId: first });

    const listed = await list(world, { CommandId: first });

    expect(listed.CommandInvocations?.map((inv) => inv.InstanceId).sort()).toEqual(ids.slice(0, 2).sort());
  });

  it('answers an empty plugin list without Details', async () => {
    const { world, clock, ids } = echoWorld(1);
    const commandId = await sendTo(world, ids);
    await list(world, { CommandId: commandId });
    clock.advance(1000);

    const listed = await list(world, { CommandId: commandId });

    expect(listed.CommandInvocations?.[0]).toMatchObject({ Status: 'Success', CommandPlugins: [] });
  });

  it('pages by MaxResults with a NextToken, without counting the next pages as new reads', async () => {
    const { world, ids } = echoWorld(5);
    const commandId = await sendTo(world, ids);
    await list(world, { CommandId: commandId });

    const page1 = await list(world, { CommandId: commandId, MaxResults: 2 });
    const page2 = await list(world, { CommandId: commandId, MaxResults: 2, NextToken: page1.NextToken });
    const page3 = await list(world, { CommandId: commandId, MaxResults: 2, NextToken: page2.NextToken });

    const listed = [page1, page2, page3].flatMap((page) => page.CommandInvocations ?? []).map((inv) => inv.InstanceId);
    expect(listed).toEqual(ids);
    expect([page1, page2, page3].map((page) => page.CommandInvocations?.length)).toEqual([2, 2, 1]);
    expect(page3.NextToken).toBeUndefined();
  });

  it('rejects a NextToken it did not issue, or one used with another command', async () => {
    const { world, ids } = echoWorld(3);
    const commandId = await sendTo(world, ids);
    await list(world, { CommandId: commandId });
    const page1 = await list(world, { CommandId: commandId, MaxResults: 1 });

    const forged = await rejection(list(world, { CommandId: commandId, NextToken: 'not-a-token' }));
    const moved = await rejection(list(world, { CommandId: '00000000-0000-4000-8000-000000000000', MaxResults: 1, NextToken: page1.NextToken }));

    expect(forged.name).toBe('InvalidNextToken');
    expect(moved.name).toBe('InvalidNextToken');
  });

  it('rejects MaxResults outside 1 to 50 and a CommandId that is not 36 characters long', async () => {
    const { world } = echoWorld(0);

    const tooMany = await rejection(list(world, { MaxResults: 51 }));
    const none = await rejection(list(world, { MaxResults: 0 }));
    const shortId = await rejection(list(world, { CommandId: 'cmd-1' }));

    expect([tooMany.name, none.name, shortId.name]).toEqual(['ValidationException', 'ValidationException', 'ValidationException']);
  });

  it('lists nothing for a well-formed command ID it does not know', async () => {
    const { world } = echoWorld(0);

    const listed = await list(world, { CommandId: '00000000-0000-4000-8000-000000000000', Details: true });

    expect(listed.CommandInvocations).toEqual([]);
  });

  it('cuts the plugin Output to 2,500 characters where GetCommandInvocation returns stdout whole', async () => {
    const long = `${'x'.repeat(99)}\n`.repeat(40);
    const { world, clock, ids } = echoWorld(1, long);
    const commandId = await sendTo(world, ids);
    await list(world, { CommandId: commandId, Details: true });
    clock.advance(1000);

    const listed = await list(world, { CommandId: commandId, Details: true });
    const full = await world.clients().ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: ids[0] }));

    const output = listed.CommandInvocations?.[0]?.CommandPlugins?.[0]?.Output ?? '';
    expect(output).toHaveLength(2_500);
    expect(output.endsWith('\n---Output truncated---')).toBe(true);
    expect(long.startsWith(output.slice(0, 2_500 - '\n---Output truncated---'.length))).toBe(true);
    expect(full.StandardOutputContent).toBe(long);
  });

  it('puts stderr after stdout under the agent ERROR title', async () => {
    const { world, clock, ids } = echoWorld(1, 'out\n', 'bad\n');
    const commandId = await sendTo(world, ids);
    await list(world, { CommandId: commandId, Details: true });
    clock.advance(1000);

    const listed = await list(world, { CommandId: commandId, Details: true });

    expect(listed.CommandInvocations?.[0]?.CommandPlugins?.[0]).toMatchObject({ Status: 'Failed', ResponseCode: 2, Output: 'out\n\n----------ERROR-------\nbad\n' });
  });

  it('counts a listing as a read for GetCommandInvocation too', async () => {
    const { world, ids } = echoWorld(1);
    const commandId = await sendTo(world, ids);
    await list(world, { CommandId: commandId });

    const got = await world.clients().ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: ids[0] }));

    expect(got.Status).toBe('InProgress');
  });
});

describe('SSM plugin output (ListCommandInvocations)', () => {
  it.each([
    ['', '', ''],
    ['out', '', 'out'],
    ['', 'err', '\n----------ERROR-------\nerr'],
    ['out', 'err', 'out\n----------ERROR-------\nerr'],
  ])('joins stdout %j and stderr %j as the agent does', (stdout, stderr, expected) => {
    expect(pluginOutput(stdout, stderr)).toBe(expected);
  });

  // The markers are 23 characters each, the ERROR title 24.
  it('cuts a long stdout and marks it, keeping a short stderr whole', () => {
    const output = pluginOutput('o'.repeat(200), 'err', 100);

    expect(output).toBe(`${'o'.repeat(50)}\n---Output truncated---\n----------ERROR-------\nerr`);
    expect(output).toHaveLength(100);
  });

  it('cuts a long stdout without stderr to exactly the capacity', () => {
    expect(pluginOutput('o'.repeat(200), '', 100)).toBe(`${'o'.repeat(77)}\n---Output truncated---`);
  });

  it('cuts both halves when both are long', () => {
    const output = pluginOutput('o'.repeat(200), 'e'.repeat(200), 100);

    expect(output).toBe(`${'o'.repeat(15)}\n---Output truncated---\n----------ERROR-------\n${'e'.repeat(15)}\n---Error truncated----`);
  });
});

describe('Auto Scaling lifecycle actions', () => {
  it('completes an action by token once; a second completion is a ValidationError', async () => {
    const { world, a } = buildNatPair();
    const token = world.startLifecycleAction({ asg: 'nat-asg', hook: 'drain', instanceId: a.instanceId, transition: 'autoscaling:EC2_INSTANCE_TERMINATING' });
    const complete = () =>
      world.clients().autoscaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'nat-asg', LifecycleHookName: 'drain', LifecycleActionToken: token, LifecycleActionResult: 'CONTINUE' }));

    await complete();
    const error = await rejection(complete());

    expect(world.lifecycleResult(token)).toBe('CONTINUE');
    expect(error.name).toBe('ValidationError');
    expect(error.message).toBe(`No active Lifecycle Action found with token ${token}`);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('completes an action by instance ID', async () => {
    const { world, b } = buildNatPair();
    const token = world.startLifecycleAction({ asg: 'nat-asg', hook: 'drain', instanceId: b.instanceId, transition: 'autoscaling:EC2_INSTANCE_TERMINATING' });

    await world.clients().autoscaling.send(new CompleteLifecycleActionCommand({ AutoScalingGroupName: 'nat-asg', LifecycleHookName: 'drain', InstanceId: b.instanceId, LifecycleActionResult: 'ABANDON' }));

    expect(world.lifecycleResult(token)).toBe('ABANDON');
  });

  it('applies the default result when the heartbeat times out', () => {
    const clock = manualClock();
    const { world, a } = buildNatPair({ worldOptions: { clock } });
    const token = world.startLifecycleAction({ asg: 'nat-asg', hook: 'drain', instanceId: a.instanceId, transition: 'autoscaling:EC2_INSTANCE_TERMINATING', heartbeatTimeoutMs: 60_000, defaultResult: 'CONTINUE' });

    const before = world.lifecycleResult(token);
    clock.advance(60_000);

    expect(before).toBeUndefined();
    expect(world.lifecycleAction(token).completed).toMatchObject({ result: 'CONTINUE', by: 'timeout' });
  });
});

describe('HA fixtures', () => {
  it('builds a VIP pair with the VIP on A in EC2 and in its OS', () => {
    const { world, a, b, vip } = buildVipPair({ ports: '22,443' });

    expect(world.vipHolder(vip)).toBe(a.instanceId);
    expect(world.osIps(a.instanceId)).toEqual(['10.0.1.10', vip]);
    expect(world.osIps(b.instanceId)).toEqual(['10.0.1.11']);
    expect(world.instances.get(b.instanceId)?.tags).toMatchObject({ 'failover:group': 'vip-pair', 'failover:vip': vip, 'failover:priority': '2', 'failover:ports': '22,443' });
  });

  it('builds an EIP pair in two AZs with the address on A, the address tagged for the group', async () => {
    const { world, a, b, allocationId, group } = buildEipPair();

    const { Addresses = [] } = await world.clients().ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));

    expect(a.az).not.toBe(b.az);
    expect(world.eipHolder(allocationId)?.instanceId).toBe(a.instanceId);
    expect(world.instances.get(a.instanceId)?.tags['failover:eip']).toBe(allocationId);
    expect(Addresses[0]?.Tags).toEqual(expect.arrayContaining([{ Key: 'failover:group', Value: group }]));
  });

  it('builds a NAT pair whose private tables route through their AZ, NATAZ=any through A', () => {
    const { world, a, b, routeTables } = buildNatPair();

    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toEqual({ networkInterfaceId: a.networkInterfaceId, instanceId: a.instanceId, state: 'active' });
    expect(world.routeTarget(routeTables.b, '0.0.0.0/0')?.instanceId).toBe(b.instanceId);
    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')?.instanceId).toBe(a.instanceId);
    expect(world.sourceDestCheck(a.instanceId)).toBe(false);
  });

  it('builds an overlay pair with two tables tagged with the group', async () => {
    const { world, a, group, overlayCidr, routeTables } = buildOverlayPair({ group: 'ovl' });

    const output = await world.clients().ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'tag:failover:overlay', Values: [group] }] }));

    expect(output.RouteTables?.map((t) => t.RouteTableId)).toEqual([...routeTables]);
    for (const table of routeTables) expect(world.routeTarget(table, overlayCidr)?.instanceId).toBe(a.instanceId);
  });

  it('puts several groups in one world, each in its own VPC', () => {
    const vip = buildHaWorld('vip');
    const nat = buildHaWorld('nat', { world: vip.world });

    expect(nat.world).toBe(vip.world);
    expect(nat.vpcId).not.toBe(vip.vpcId);
    expect(nat.a.privateIp).toBe('10.1.1.10');
  });
});
