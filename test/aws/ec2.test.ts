import {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  EC2ServiceException,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import type { Clock } from '../../shared/core/ports.js';
import { AwsCallError, ObserveError } from '../../shared/errors.js';

const ec2 = mockClient(EC2Client);
const client = new EC2Client({ region: 'us-east-1' });
const clock: Clock = { now: () => 1_700_000_000_000, sleep: async () => {}, random: () => 0.5 };

function ec2Error(name: string, httpStatusCode = 400): EC2ServiceException {
  return new EC2ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message: `${name}: simulated`,
  });
}

function rawInstance(id: string, overrides: Partial<Ec2Instance> = {}): Ec2Instance {
  return {
    InstanceId: id,
    State: { Name: 'running', Code: 16 },
    Placement: { AvailabilityZone: 'us-east-1a' },
    VpcId: 'vpc-1',
    SubnetId: 'subnet-a',
    PrivateIpAddress: '10.0.1.5',
    Tags: [
      { Key: 'failover:group', Value: 'web' },
      { Key: 'Name', Value: id },
    ],
    NetworkInterfaces: [],
    ...overrides,
  };
}

/** Answers every Describe* call of observe() with an empty page, so a test sets only what it reads. */
function emptyWorld(): void {
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
  ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
  ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
  ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
  ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
}

/** An instance of a vip group naming `vip`. */
const vipMember = (id: string, vip: string, kind = 'vip') =>
  rawInstance(id, { Tags: [{ Key: 'failover:group', Value: 'web' }, { Key: 'failover:kind', Value: kind }, { Key: 'failover:vip', Value: vip }] });

function inputsOf<T>(command: abstract new (...args: never[]) => T) {
  // commandCalls is typed per command class; the input is what the adapter sent.
  return ec2.commandCalls(command as never).map((call) => (call.args[0] as { input: unknown }).input);
}

beforeEach(() => {
  ec2.reset();
});

afterEach(() => {
  ec2.reset();
});

describe('Ec2Port.observe', () => {
  it('reads instances, route tables and addresses by their documented filters, then status checks and subnets of those instances only', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [rawInstance('i-0000000000000000a', { NetworkInterfaces: [{ NetworkInterfaceId: 'eni-a', SubnetId: 'subnet-b' }] })] }],
    });

    await createEc2Port(client, { clock }).observe();

    expect(inputsOf(DescribeInstancesCommand)).toEqual([{ Filters: [{ Name: 'tag-key', Values: ['failover:group'] }], MaxResults: 1000 }]);
    expect(inputsOf(DescribeRouteTablesCommand)).toEqual([
      { Filters: [{ Name: 'tag-key', Values: ['NATAZ', 'failover:overlay'] }], MaxResults: 100 },
    ]);
    expect(inputsOf(DescribeAddressesCommand)).toEqual([{}]);
    // Never the whole region: only the enrolled instances and their subnets (InstanceIds rules out MaxResults).
    expect(inputsOf(DescribeInstanceStatusCommand)).toEqual([{ InstanceIds: ['i-0000000000000000a'], IncludeAllInstances: false }]);
    expect(inputsOf(DescribeSubnetsCommand)).toEqual([{ Filters: [{ Name: 'subnet-id', Values: ['subnet-a', 'subnet-b'] }], MaxResults: 1000 }]);
  });

  it('sends no status or subnet read at all when no instance is enrolled', async () => {
    emptyWorld();

    await createEc2Port(client, { clock }).observe();

    expect(inputsOf(DescribeInstanceStatusCommand)).toEqual([]);
    expect(inputsOf(DescribeSubnetsCommand)).toEqual([]);
  });

  it('uses the configured tag keys', async () => {
    emptyWorld();

    await createEc2Port(client, { clock, groupTagKey: 'ha:group', routeTableTagKeys: ['ha:nat'] }).observe();

    expect(inputsOf(DescribeInstancesCommand)).toEqual([{ Filters: [{ Name: 'tag-key', Values: ['ha:group'] }], MaxResults: 1000 }]);
    expect(inputsOf(DescribeRouteTablesCommand)).toEqual([{ Filters: [{ Name: 'tag-key', Values: ['ha:nat'] }], MaxResults: 100 }]);
  });

  it('issues all five calls before any of them answers once an earlier read told it whom to ask about', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a')] }] });
    const port = createEc2Port(client, { clock });
    await port.observe();
    const started: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const held = (name: string, answer: object) => async () => {
      started.push(name);
      await gate;
      return answer;
    };
    ec2.on(DescribeInstancesCommand).callsFake(held('instances', { Reservations: [{ Instances: [rawInstance('i-0000000000000000a')] }] }));
    ec2.on(DescribeInstanceStatusCommand).callsFake(held('status', { InstanceStatuses: [] }));
    ec2.on(DescribeRouteTablesCommand).callsFake(held('routes', { RouteTables: [] }));
    ec2.on(DescribeAddressesCommand).callsFake(held('addresses', { Addresses: [] }));
    ec2.on(DescribeSubnetsCommand).callsFake(held('subnets', { Subnets: [] }));

    const observed = port.observe();
    await new Promise((resolve) => setImmediate(resolve));
    const startedBeforeAnyAnswer = [...started].sort();
    release();
    await observed;

    expect(startedBeforeAnyAnswer).toEqual(['addresses', 'instances', 'routes', 'status', 'subnets']);
  });

  it('asks again about members that are new since the last read, and only about them', async () => {
    emptyWorld();
    const port = createEc2Port(client, { clock });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a')] }] });
    await port.observe();
    ec2.reset();
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [rawInstance('i-0000000000000000a'), rawInstance('i-0000000000000000b', { SubnetId: 'subnet-c' })] }],
    });

    await port.observe();

    expect(inputsOf(DescribeInstanceStatusCommand)).toEqual([
      { InstanceIds: ['i-0000000000000000a'], IncludeAllInstances: false },
      { InstanceIds: ['i-0000000000000000b'], IncludeAllInstances: false },
    ]);
    expect(inputsOf(DescribeSubnetsCommand)).toEqual([
      { Filters: [{ Name: 'subnet-id', Values: ['subnet-a'] }], MaxResults: 1000 },
      { Filters: [{ Name: 'subnet-id', Values: ['subnet-c'] }], MaxResults: 1000 },
    ]);
  });

  it('recovers from an instance EC2 has forgotten since the last read by asking about the ones it has just seen', async () => {
    emptyWorld();
    const port = createEc2Port(client, { clock });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a'), rawInstance('i-0000000000000000b')] }] });
    await port.observe();
    ec2.reset();
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000b')] }] });
    ec2
      .on(DescribeInstanceStatusCommand, { InstanceIds: ['i-0000000000000000a', 'i-0000000000000000b'] })
      .rejects(ec2Error('InvalidInstanceID.NotFound'))
      .on(DescribeInstanceStatusCommand, { InstanceIds: ['i-0000000000000000b'] })
      .resolves({ InstanceStatuses: [{ InstanceId: 'i-0000000000000000b', InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'ok' } }] });

    const world = await port.observe();

    expect(world.statusChecks).toEqual({ 'i-0000000000000000b': 'ok' });
  });

  it('asks about at most 100 instances per status call', async () => {
    emptyWorld();
    const ids = Array.from({ length: 150 }, (_, i) => `i-${i.toString(16).padStart(17, '0')}`);
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: ids.map((id) => rawInstance(id)) }] });

    await createEc2Port(client, { clock }).observe();

    expect(inputsOf(DescribeInstanceStatusCommand).map((input) => (input as { InstanceIds: string[] }).InstanceIds.length)).toEqual([100, 50]);
  });

  it('follows NextToken through every page', async () => {
    emptyWorld();
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a')] }], NextToken: 'page-2' })
      .resolvesOnce({ Reservations: [{ Instances: [rawInstance('i-0000000000000000b')] }], NextToken: 'page-3' })
      .resolvesOnce({ Reservations: [{ Instances: [rawInstance('i-0000000000000000c')] }] });
    ec2
      .on(DescribeSubnetsCommand)
      .resolvesOnce({ Subnets: [{ SubnetId: 'subnet-a', VpcId: 'vpc-1', CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }], NextToken: 's2' })
      .resolvesOnce({ Subnets: [{ SubnetId: 'subnet-b', VpcId: 'vpc-1', CidrBlock: '10.0.2.0/24', AvailabilityZone: 'us-east-1b' }] });
    ec2
      .on(DescribeRouteTablesCommand)
      .resolvesOnce({ RouteTables: [{ RouteTableId: 'rtb-1', Routes: [] }], NextToken: 'r2' })
      .resolvesOnce({ RouteTables: [{ RouteTableId: 'rtb-2', Routes: [] }] });
    ec2.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [{ InstanceId: 'i-0000000000000000c', InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'ok' } }],
    });

    const world = await createEc2Port(client, { clock }).observe();

    expect(world.instances.map((i) => i.instanceId)).toEqual(['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c']);
    expect(inputsOf(DescribeInstancesCommand).map((input) => (input as { NextToken?: string }).NextToken)).toEqual([
      undefined,
      'page-2',
      'page-3',
    ]);
    expect(inputsOf(DescribeInstancesCommand)[1]).toEqual({
      Filters: [{ Name: 'tag-key', Values: ['failover:group'] }],
      MaxResults: 1000,
      NextToken: 'page-2',
    });
    expect(world.subnets.map((s) => s.subnetId)).toEqual(['subnet-a', 'subnet-b']);
    expect(world.routeTables.map((t) => t.routeTableId)).toEqual(['rtb-1', 'rtb-2']);
    expect(world.statusChecks['i-0000000000000000c']).toBe('ok');
  });

  it('maps instances: tags, ENIs by device index, lower-case MACs, primary flags', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            rawInstance('i-0000000000000000a', {
              NetworkInterfaces: [
                {
                  NetworkInterfaceId: 'eni-second',
                  Attachment: { DeviceIndex: 1 },
                  SubnetId: 'subnet-b',
                  MacAddress: '0A:BB:CC:DD:EE:02',
                  SourceDestCheck: false,
                  PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.5', Primary: true }],
                },
                {
                  NetworkInterfaceId: 'eni-primary',
                  Attachment: { DeviceIndex: 0 },
                  SubnetId: 'subnet-a',
                  MacAddress: '0A:BB:CC:DD:EE:01',
                  SourceDestCheck: true,
                  PrivateIpAddresses: [
                    { PrivateIpAddress: '10.0.1.5', Primary: true },
                    { PrivateIpAddress: '10.0.1.100', Primary: false },
                  ],
                },
              ],
            }),
          ],
        },
      ],
    });

    const world = await createEc2Port(client, { clock }).observe();

    expect(world.observedAt).toBe(1_700_000_000_000);
    expect(world.instances).toEqual([
      {
        instanceId: 'i-0000000000000000a',
        state: 'running',
        availabilityZone: 'us-east-1a',
        vpcId: 'vpc-1',
        subnetId: 'subnet-a',
        privateIp: '10.0.1.5',
        tags: { 'failover:group': 'web', Name: 'i-0000000000000000a' },
        lifecycle: 'on-demand',
        networkInterfaces: [
          {
            networkInterfaceId: 'eni-primary',
            deviceIndex: 0,
            subnetId: 'subnet-a',
            macAddress: '0a:bb:cc:dd:ee:01',
            sourceDestCheck: true,
            privateIps: [
              { address: '10.0.1.5', primary: true },
              { address: '10.0.1.100', primary: false },
            ],
          },
          {
            networkInterfaceId: 'eni-second',
            deviceIndex: 1,
            subnetId: 'subnet-b',
            macAddress: '0a:bb:cc:dd:ee:02',
            sourceDestCheck: false,
            privateIps: [{ address: '10.0.2.5', primary: true }],
          },
        ],
      },
    ]);
  });

  it.each([
    { name: 'an on-demand EBS instance (no InstanceLifecycle)', raw: { RootDeviceType: 'ebs' as const }, expected: { lifecycle: 'on-demand', rootDeviceType: 'ebs' } },
    {
      name: 'a Spot instance with its request',
      raw: { InstanceLifecycle: 'spot' as const, SpotInstanceRequestId: 'sir-0e54a519', RootDeviceType: 'ebs' as const },
      expected: { lifecycle: 'spot', spotInstanceRequestId: 'sir-0e54a519', rootDeviceType: 'ebs' },
    },
    { name: 'a Capacity Block instance', raw: { InstanceLifecycle: 'capacity-block' as const }, expected: { lifecycle: 'capacity-block' } },
    { name: 'a purchase option it does not know', raw: { InstanceLifecycle: 'interruptible-capacity-reservation' as const }, expected: { lifecycle: 'other' } },
    { name: 'an instance-store root', raw: { RootDeviceType: 'instance-store' as const }, expected: { lifecycle: 'on-demand', rootDeviceType: 'instance-store' } },
    {
      name: 'an Auto Scaling member (its aws:autoscaling:groupName tag)',
      raw: { Tags: [{ Key: 'failover:group', Value: 'web' }, { Key: 'aws:autoscaling:groupName', Value: 'web-asg' }] },
      expected: { lifecycle: 'on-demand', autoScalingGroup: 'web-asg' },
    },
    {
      name: 'a start that fell back to stopped, with its state reason and last launch time',
      raw: { State: { Name: 'stopped' as const, Code: 80 }, StateReason: { Code: 'Client.InternalError', Message: 'Client.InternalError: Client error on launch' }, LaunchTime: new Date(1_699_999_990_000) },
      expected: { lifecycle: 'on-demand', stateReason: { code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch' }, launchedAt: 1_699_999_990_000 },
    },
  ])('classifies $name from DescribeInstances alone', async ({ raw, expected }) => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a', raw)] }] });

    const [instance] = (await createEc2Port(client, { clock }).observe()).instances;

    const fields = ['lifecycle', 'spotInstanceRequestId', 'rootDeviceType', 'autoScalingGroup', 'stateReason', 'launchedAt'] as const;
    expect(Object.fromEntries(fields.flatMap((f) => (instance?.[f] === undefined ? [] : [[f, instance[f]]])))).toEqual(expected);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
  });

  it('keeps terminated instances, with empty network fields', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            rawInstance('i-0000000000000000d', {
              State: { Name: 'terminated', Code: 48 },
              VpcId: undefined,
              SubnetId: undefined,
              PrivateIpAddress: undefined,
            }),
          ],
        },
      ],
    });

    const world = await createEc2Port(client, { clock }).observe();

    expect(world.instances[0]).toMatchObject({ state: 'terminated', vpcId: '', subnetId: '', privateIp: '' });
    expect(world.statusChecks).toEqual({});
  });

  it('folds instance and system status into one status check per instance', async () => {
    emptyWorld();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((letter) => `i-000000000000000${letter}`);
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: ids.map((id) => rawInstance(id)) }] });
    const status = (id: string, instance: string, system: string) => ({
      InstanceId: id,
      InstanceStatus: { Status: instance as never },
      SystemStatus: { Status: system as never },
    });
    ec2.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [
        status(ids[0]!, 'ok', 'ok'),
        status(ids[1]!, 'ok', 'impaired'),
        status(ids[2]!, 'initializing', 'ok'),
        status(ids[3]!, 'not-applicable', 'ok'),
        status(ids[4]!, 'insufficient-data', 'ok'),
        status(ids[5]!, 'impaired', 'initializing'),
        // ids[6] is running but missing from the answer.
        status('i-0ffffffffffffffff', 'ok', 'ok'), // not one of ours
      ],
    });

    const world = await createEc2Port(client, { clock }).observe();

    expect(world.statusChecks).toEqual({
      [ids[0]!]: 'ok',
      [ids[1]!]: 'impaired',
      [ids[2]!]: 'initializing',
      [ids[3]!]: 'ok',
      [ids[4]!]: 'unknown',
      [ids[5]!]: 'impaired',
      [ids[6]!]: 'unknown',
    });
  });

  it('maps route targets from the fields EC2 fills, and each destination by the one field EC2 filled (IPv4, IPv6, prefix list)', async () => {
    emptyWorld();
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [
        {
          RouteTableId: 'rtb-1',
          VpcId: 'vpc-1',
          Tags: [{ Key: 'NATAZ', Value: 'us-east-1a' }],
          // Only subnets associated now use the table; the main association names no subnet.
          Associations: [
            { RouteTableAssociationId: 'rtbassoc-1', RouteTableId: 'rtb-1', SubnetId: 'subnet-a', Main: false, AssociationState: { State: 'associated' } },
            { RouteTableAssociationId: 'rtbassoc-2', RouteTableId: 'rtb-1', SubnetId: 'subnet-b', Main: false, AssociationState: { State: 'disassociating' } },
            { RouteTableAssociationId: 'rtbassoc-3', RouteTableId: 'rtb-1', Main: true, AssociationState: { State: 'associated' } },
          ],
          Routes: [
            { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
            { DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-nat', InstanceId: 'i-0000000000000000a', State: 'active' },
            { DestinationCidrBlock: '192.168.5.10/32', NetworkInterfaceId: 'eni-loose', State: 'active' },
            { DestinationCidrBlock: '192.168.6.0/24', InstanceId: 'i-0000000000000000b', State: 'blackhole' },
            { DestinationCidrBlock: '172.16.0.0/12', NatGatewayId: 'nat-123', State: 'active' },
            { DestinationCidrBlock: '100.64.0.0/10', TransitGatewayId: 'tgw-1', State: 'active' },
            { DestinationIpv6CidrBlock: '::/0', GatewayId: 'igw-1', State: 'active' },
            { DestinationPrefixListId: 'pl-1', GatewayId: 'vpce-1', State: 'active' },
          ],
        },
      ],
    });

    const world = await createEc2Port(client, { clock }).observe();

    expect(world.routeTables).toEqual([
      {
        routeTableId: 'rtb-1',
        vpcId: 'vpc-1',
        tags: { NATAZ: 'us-east-1a' },
        routes: [
          { destination: { kind: 'ipv4', value: '10.0.0.0/16' }, target: { kind: 'other', description: 'local' }, state: 'active' },
          {
            destination: { kind: 'ipv4', value: '0.0.0.0/0' },
            target: { kind: 'eni', networkInterfaceId: 'eni-nat', instanceId: 'i-0000000000000000a' },
            state: 'active',
          },
          { destination: { kind: 'ipv4', value: '192.168.5.10/32' }, target: { kind: 'eni', networkInterfaceId: 'eni-loose' }, state: 'active' },
          { destination: { kind: 'ipv4', value: '192.168.6.0/24' }, target: { kind: 'instance', instanceId: 'i-0000000000000000b' }, state: 'blackhole' },
          { destination: { kind: 'ipv4', value: '172.16.0.0/12' }, target: { kind: 'nat-gateway', natGatewayId: 'nat-123' }, state: 'active' },
          { destination: { kind: 'ipv4', value: '100.64.0.0/10' }, target: { kind: 'other', description: 'tgw-1' }, state: 'active' },
          { destination: { kind: 'ipv6', value: '::/0' }, target: { kind: 'other', description: 'igw-1' }, state: 'active' },
          { destination: { kind: 'prefix-list', value: 'pl-1' }, target: { kind: 'other', description: 'vpce-1' }, state: 'active' },
        ],
        subnetIds: ['subnet-a'],
      },
    ]);
  });

  it('maps Elastic IPs with and without an association, and subnets', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a')] }] });
    ec2.on(DescribeAddressesCommand).resolves({
      Addresses: [
        {
          AllocationId: 'eipalloc-1',
          PublicIp: '203.0.113.10',
          AssociationId: 'eipassoc-1',
          NetworkInterfaceId: 'eni-1',
          InstanceId: 'i-0000000000000000a',
          PrivateIpAddress: '10.0.1.100',
          Tags: [
            { Key: 'failover:group', Value: 'edge' },
            { Key: 'Name', Value: 'edge-eip' },
          ],
        },
        { AllocationId: 'eipalloc-2', PublicIp: '203.0.113.11' },
      ],
    });
    ec2.on(DescribeSubnetsCommand).resolves({
      Subnets: [{ SubnetId: 'subnet-a', VpcId: 'vpc-1', CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a' }],
    });

    const world = await createEc2Port(client, { clock }).observe();

    expect(world.addresses).toEqual([
      {
        allocationId: 'eipalloc-1',
        publicIp: '203.0.113.10',
        tags: { 'failover:group': 'edge', Name: 'edge-eip' },
        association: { associationId: 'eipassoc-1', networkInterfaceId: 'eni-1', instanceId: 'i-0000000000000000a', privateIp: '10.0.1.100' },
      },
      { allocationId: 'eipalloc-2', publicIp: '203.0.113.11', tags: {} },
    ]);
    expect(world.subnets).toEqual([{ subnetId: 'subnet-a', vpcId: 'vpc-1', cidrBlock: '10.0.1.0/24', availabilityZone: 'us-east-1a' }]);
  });

  it('looks up who holds the VIPs of vip groups with one DescribeNetworkInterfaces on addresses.private-ip-address', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            vipMember('i-0000000000000000a', '10.0.2.100'),
            vipMember('i-0000000000000000b', ' 10.0.1.100 '),
            vipMember('i-0000000000000000c', '10.0.1.100'),
            // Never sent: another kind's stray tag, and a value that would be a wildcard in a filter.
            vipMember('i-0000000000000000d', '10.0.3.100', 'eip'),
            vipMember('i-0000000000000000e', '10.0.1.*'),
          ],
        },
      ],
    });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [
        {
          NetworkInterfaceId: 'eni-0pod',
          VpcId: 'vpc-1',
          SubnetId: 'subnet-a',
          Description: 'aws-k8s-branch-eni',
          InterfaceType: 'branch',
          RequesterManaged: false,
          Attachment: { InstanceId: 'i-0000000000000077e', DeviceIndex: 1 },
          PrivateIpAddresses: [
            { PrivateIpAddress: '10.0.1.50', Primary: true },
            { PrivateIpAddress: '10.0.1.100', Primary: false },
          ],
        },
        { NetworkInterfaceId: 'eni-0elb', VpcId: 'vpc-1', SubnetId: 'subnet-b', RequesterManaged: true, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.100', Primary: true }] },
      ],
    });

    const world = await createEc2Port(client, { clock }).observe();

    expect(inputsOf(DescribeNetworkInterfacesCommand)).toEqual([{ Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.1.100', '10.0.2.100'] }], MaxResults: 1000 }]);
    expect(world.addressHolders).toEqual([
      {
        networkInterfaceId: 'eni-0pod',
        instanceId: 'i-0000000000000077e',
        vpcId: 'vpc-1',
        subnetId: 'subnet-a',
        description: 'aws-k8s-branch-eni',
        interfaceType: 'branch',
        requesterManaged: false,
        privateIps: [
          { address: '10.0.1.50', primary: true },
          { address: '10.0.1.100', primary: false },
        ],
      },
      { networkInterfaceId: 'eni-0elb', vpcId: 'vpc-1', subnetId: 'subnet-b', description: '', interfaceType: '', requesterManaged: true, privateIps: [{ address: '10.0.2.100', primary: true }] },
    ]);
  });

  it('sends no holder lookup at all when no group is a vip group', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a'), vipMember('i-0000000000000000b', '10.0.1.100', 'eip')] }] });
    const port = createEc2Port(client, { clock });

    const world = await port.observe();
    await port.observe();

    expect(inputsOf(DescribeNetworkInterfacesCommand)).toEqual([]);
    expect(world.addressHolders).toEqual([]);
  });

  it('looks up the VIPs an earlier read named in the first round, and only new ones after it', async () => {
    emptyWorld();
    const port = createEc2Port(client, { clock });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [vipMember('i-0000000000000000a', '10.0.1.100')] }] });
    await port.observe();
    ec2.reset();
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [vipMember('i-0000000000000000a', '10.0.1.100'), vipMember('i-0000000000000000b', '10.0.1.200')] }] });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0x', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.100' }, { PrivateIpAddress: '10.0.1.200' }] }] });

    const world = await port.observe();

    expect(inputsOf(DescribeNetworkInterfacesCommand)).toEqual([
      { Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.1.100'] }], MaxResults: 1000 },
      { Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.1.200'] }], MaxResults: 1000 },
    ]);
    // An ENI both reads found is one holder.
    expect(world.addressHolders.map((h) => h.networkInterfaceId)).toEqual(['eni-0x']);
  });

  it('puts at most 200 VIPs in one call, and follows NextToken', async () => {
    emptyWorld();
    const vips = Array.from({ length: 250 }, (_, i) => `10.0.${Math.floor(i / 200)}.${(i % 200) + 1}`);
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: vips.map((vip, i) => vipMember(`i-${i.toString(16).padStart(17, '0')}`, vip)) }] });
    // The second chunk's first page says there is another.
    ec2.on(DescribeNetworkInterfacesCommand).callsFake((input: { Filters: { Values: string[] }[]; NextToken?: string }) => ({
      NetworkInterfaces: [],
      ...(input.Filters[0]?.Values.length === 50 && input.NextToken === undefined ? { NextToken: 'page-2' } : {}),
    }));

    await createEc2Port(client, { clock }).observe();

    expect(inputsOf(DescribeNetworkInterfacesCommand).map((input) => {
      const { Filters, NextToken } = input as { Filters: { Values: string[] }[]; NextToken?: string };
      return [Filters[0]?.Values.length, NextToken];
    })).toEqual([
      [200, undefined],
      [50, undefined],
      [50, 'page-2'],
    ]);
  });

  it('throws a retriable ObserveError wrapping the translated throttling error', async () => {
    emptyWorld();
    ec2.on(DescribeRouteTablesCommand).rejects(ec2Error('RequestLimitExceeded', 503));

    const error = await createEc2Port(client, { clock })
      .observe()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ObserveError);
    expect((error as ObserveError).retriable).toBe(true);
    expect((error as ObserveError).cause).toBeInstanceOf(AwsCallError);
    expect((error as ObserveError).cause).toMatchObject({ operation: 'DescribeRouteTables', code: 'RequestLimitExceeded' });
    expect((error as ObserveError).context).toMatchObject({ operation: 'DescribeRouteTables' });
  });

  it('throws a non-retriable ObserveError for a client error', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('UnauthorizedOperation', 403));

    const error = await createEc2Port(client, { clock })
      .observe()
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ObserveError);
    expect((error as ObserveError).retriable).toBe(false);
  });

  it('lets a programming error through untranslated', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a')] }] });
    const bug = new TypeError('bug in a fake');
    ec2.on(DescribeSubnetsCommand).rejects(bug);

    const error = await createEc2Port(client, { clock })
      .observe()
      .catch((e: unknown) => e);

    expect(error).toBe(bug);
  });
});

describe('Ec2Port.enrollment', () => {
  it('answers from the last read while it is fresh, without a call', async () => {
    emptyWorld();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a')] }] });
    const port = createEc2Port(client, { clock });
    await port.observe();
    ec2.resetHistory();

    const enrollment = await port.enrollment(60_000);

    expect(enrollment.groups).toEqual(new Map([['i-0000000000000000a', 'web']]));
    expect(ec2.calls()).toHaveLength(0);
  });

  it('reads the enrolled instances with one DescribeInstances when what it knows is too old', async () => {
    emptyWorld();
    let now = 1_700_000_000_000;
    const port = createEc2Port(client, { clock: { ...clock, now: () => now } });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [rawInstance('i-0000000000000000a'), rawInstance('i-0000000000000000b', { Tags: [] })] }] });
    await port.enrollment(60_000);
    now += 60_001;
    ec2.resetHistory();

    const enrollment = await port.enrollment(60_000);

    expect(ec2.calls().map((c) => (c.args[0] as object).constructor.name)).toEqual(['DescribeInstancesCommand']);
    expect(inputsOf(DescribeInstancesCommand)).toEqual([{ Filters: [{ Name: 'tag-key', Values: ['failover:group'] }], MaxResults: 1000 }]);
    expect(enrollment).toEqual({ at: now, groups: expect.any(Map), running: expect.any(Set), subnetIds: expect.any(Set), vips: expect.any(Set), nat: false });
    expect([...enrollment.groups.keys()]).toEqual(['i-0000000000000000a', 'i-0000000000000000b']);
  });

  it('fails as an ObserveError, never as "not enrolled"', async () => {
    ec2.on(DescribeInstancesCommand).rejects(ec2Error('RequestLimitExceeded', 503));

    const error = await createEc2Port(client, { clock })
      .enrollment(60_000)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ObserveError);
    expect((error as ObserveError).retriable).toBe(true);
  });
});

describe('Ec2Port.apply', () => {
  const eniTarget = { kind: 'eni', networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b' } as const;

  it('assigns a private IP with AllowReassignment', async () => {
    ec2.on(AssignPrivateIpAddressesCommand).resolves({});

    await createEc2Port(client).apply({ type: 'assign-private-ip', networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b', ip: '10.0.1.100' });

    expect(inputsOf(AssignPrivateIpAddressesCommand)).toEqual([
      { NetworkInterfaceId: 'eni-b', PrivateIpAddresses: ['10.0.1.100'], AllowReassignment: true },
    ]);
  });

  it('associates an Elastic IP with an ENI, with AllowReassociation', async () => {
    ec2.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-2' });

    await createEc2Port(client).apply({ type: 'associate-address', allocationId: 'eipalloc-1', target: eniTarget });

    expect(inputsOf(AssociateAddressCommand)).toEqual([{ AllocationId: 'eipalloc-1', NetworkInterfaceId: 'eni-b', AllowReassociation: true }]);
  });

  it('associates an Elastic IP with a chosen private IP of the ENI', async () => {
    ec2.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-2' });

    await createEc2Port(client).apply({
      type: 'associate-address',
      allocationId: 'eipalloc-1',
      target: { kind: 'eni-private-ip', networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b', privateIp: '10.0.1.100' },
    });

    expect(inputsOf(AssociateAddressCommand)).toEqual([
      { AllocationId: 'eipalloc-1', NetworkInterfaceId: 'eni-b', PrivateIpAddress: '10.0.1.100', AllowReassociation: true },
    ]);
  });

  it('replaces a route to point at the ENI, not the instance', async () => {
    ec2.on(ReplaceRouteCommand).resolves({});

    await createEc2Port(client).apply({ type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: eniTarget });

    expect(inputsOf(ReplaceRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-b' }]);
    expect(inputsOf(CreateRouteCommand)).toEqual([]);
  });

  it("creates the route when ReplaceRoute finds none, on EC2's answer (InvalidParameterValue: no route defined)", async () => {
    ec2.on(ReplaceRouteCommand).rejects(
      new EC2ServiceException({
        name: 'InvalidParameterValue',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: "There is no route defined for '192.168.5.10/32' in the route table. Use CreateRoute instead.",
      }),
    );
    ec2.on(CreateRouteCommand).resolves({ Return: true });

    await createEc2Port(client).apply({ type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '192.168.5.10/32' }, target: eniTarget });

    expect(inputsOf(CreateRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '192.168.5.10/32', NetworkInterfaceId: 'eni-b' }]);
  });

  it('creates the route when ReplaceRoute finds none (InvalidRoute.NotFound)', async () => {
    ec2.on(ReplaceRouteCommand).rejects(ec2Error('InvalidRoute.NotFound'));
    ec2.on(CreateRouteCommand).resolves({ Return: true });

    await createEc2Port(client).apply({ type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '192.168.5.10/32' }, target: eniTarget });

    expect(inputsOf(CreateRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '192.168.5.10/32', NetworkInterfaceId: 'eni-b' }]);
  });

  it.each([
    ['an IPv6 CIDR', { kind: 'ipv6', value: '::/0' }, { DestinationIpv6CidrBlock: '::/0' }],
    ['a NAT64 prefix', { kind: 'ipv6', value: '64:ff9b::/96' }, { DestinationIpv6CidrBlock: '64:ff9b::/96' }],
    ['a prefix list', { kind: 'prefix-list', value: 'pl-0123456789abcdef0' }, { DestinationPrefixListId: 'pl-0123456789abcdef0' }],
    ['an IPv4 CIDR', { kind: 'ipv4', value: '10.50.0.0/16' }, { DestinationCidrBlock: '10.50.0.0/16' }],
  ] as const)('replaces a route to %s with exactly that destination field', async (_name, destination, field) => {
    ec2.on(ReplaceRouteCommand).resolves({});

    await createEc2Port(client).apply({ type: 'replace-route', routeTableId: 'rtb-1', destination, target: eniTarget });

    expect(inputsOf(ReplaceRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', ...field, NetworkInterfaceId: 'eni-b' }]);
  });

  it('creates a missing IPv6 route with DestinationIpv6CidrBlock when ReplaceRoute finds none', async () => {
    ec2.on(ReplaceRouteCommand).rejects(
      new EC2ServiceException({
        name: 'InvalidParameterValue',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: "There is no route defined for '::/0' in the route table. Use CreateRoute instead.",
      }),
    );
    ec2.on(CreateRouteCommand).resolves({ Return: true });

    await createEc2Port(client).apply({ type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv6', value: '::/0' }, target: eniTarget });

    expect(inputsOf(CreateRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationIpv6CidrBlock: '::/0', NetworkInterfaceId: 'eni-b' }]);
  });

  it('creates a prefix-list route with DestinationPrefixListId only', async () => {
    ec2.on(CreateRouteCommand).resolves({ Return: true });

    await createEc2Port(client).apply({ type: 'create-route', routeTableId: 'rtb-1', destination: { kind: 'prefix-list', value: 'pl-1' }, target: eniTarget });

    expect(inputsOf(CreateRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationPrefixListId: 'pl-1', NetworkInterfaceId: 'eni-b' }]);
  });

  it('creates a route', async () => {
    ec2.on(CreateRouteCommand).resolves({ Return: true });

    await createEc2Port(client).apply({ type: 'create-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: eniTarget });

    expect(inputsOf(CreateRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-b' }]);
    expect(inputsOf(ReplaceRouteCommand)).toEqual([]);
  });

  it('replaces the route when CreateRoute finds one already there (RouteAlreadyExists)', async () => {
    ec2.on(CreateRouteCommand).rejects(ec2Error('RouteAlreadyExists'));
    ec2.on(ReplaceRouteCommand).resolves({});

    await createEc2Port(client).apply({ type: 'create-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: eniTarget });

    expect(inputsOf(ReplaceRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-b' }]);
  });

  it('does not fall back on other route errors, and names the route table', async () => {
    ec2.on(ReplaceRouteCommand).rejects(ec2Error('InvalidParameterValue'));

    const error = await createEc2Port(client)
      .apply({ type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: eniTarget })
      .catch((e: unknown) => e);

    expect(inputsOf(CreateRouteCommand)).toEqual([]);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'ReplaceRoute', code: 'InvalidParameterValue', retriable: false });
    expect((error as AwsCallError).context).toEqual({
      routeTableId: 'rtb-1',
      destination: '0.0.0.0/0',
      networkInterfaceId: 'eni-b',
      instanceId: 'i-0000000000000000b',
    });
  });

  it('reports a failing fallback as the fallback operation', async () => {
    ec2.on(CreateRouteCommand).rejects(ec2Error('RouteAlreadyExists'));
    ec2.on(ReplaceRouteCommand).rejects(ec2Error('RequestLimitExceeded', 503));

    const error = await createEc2Port(client)
      .apply({ type: 'create-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: eniTarget })
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ operation: 'ReplaceRoute', code: 'RequestLimitExceeded', retriable: true });
  });

  it('does not fall back from CreateRoute on other errors', async () => {
    ec2.on(CreateRouteCommand).rejects(ec2Error('RouteLimitExceeded'));

    const error = await createEc2Port(client)
      .apply({ type: 'create-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: eniTarget })
      .catch((e: unknown) => e);

    expect(inputsOf(ReplaceRouteCommand)).toEqual([]);
    expect(error).toMatchObject({ operation: 'CreateRoute', code: 'RouteLimitExceeded' });
  });

  it('disables the source/destination check on the ENI', async () => {
    ec2.on(ModifyNetworkInterfaceAttributeCommand).resolves({});

    await createEc2Port(client).apply({ type: 'disable-source-dest-check', networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b' });

    expect(inputsOf(ModifyNetworkInterfaceAttributeCommand)).toEqual([{ NetworkInterfaceId: 'eni-b', SourceDestCheck: { Value: false } }]);
  });

  it('translates throttling into a retriable AwsCallError with the resources as context', async () => {
    ec2.on(AssignPrivateIpAddressesCommand).rejects(ec2Error('RequestLimitExceeded', 503));

    const error = await createEc2Port(client)
      .apply({ type: 'assign-private-ip', networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b', ip: '10.0.1.100' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'AssignPrivateIpAddresses', code: 'RequestLimitExceeded', retriable: true });
    expect((error as AwsCallError).context).toEqual({ networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b', ip: '10.0.1.100' });
  });

  it('translates a rejected association into a non-retriable AwsCallError naming the allocation', async () => {
    ec2.on(AssociateAddressCommand).rejects(ec2Error('InvalidParameterValue'));

    const error = await createEc2Port(client)
      .apply({ type: 'associate-address', allocationId: 'eipalloc-1', target: eniTarget })
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ operation: 'AssociateAddress', retriable: false });
    expect((error as AwsCallError).context).toEqual({ allocationId: 'eipalloc-1', networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b' });
  });

  it('translates a failed source/destination change with the ENI as context', async () => {
    ec2.on(ModifyNetworkInterfaceAttributeCommand).rejects(ec2Error('InvalidNetworkInterfaceID.NotFound'));

    const error = await createEc2Port(client)
      .apply({ type: 'disable-source-dest-check', networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b' })
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ operation: 'ModifyNetworkInterfaceAttribute', code: 'InvalidNetworkInterfaceID.NotFound' });
    expect((error as AwsCallError).context).toEqual({ networkInterfaceId: 'eni-b', instanceId: 'i-0000000000000000b' });
  });
});

describe('Ec2Port.readBack', () => {
  it('reads exactly the ENIs, route tables and allocations asked for', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [
        {
          NetworkInterfaceId: 'eni-b',
          PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.6', Primary: true }, { PrivateIpAddress: '10.0.1.100' }],
        },
      ],
    });
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [{ RouteTableId: 'rtb-1', VpcId: 'vpc-1', Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: 'eni-b', State: 'active' }] }],
    });
    ec2.on(DescribeAddressesCommand).resolves({
      Addresses: [{ AllocationId: 'eipalloc-1', PublicIp: '203.0.113.10', AssociationId: 'eipassoc-2', NetworkInterfaceId: 'eni-b' }],
    });

    const readBack = await createEc2Port(client).readBack({
      networkInterfaceIds: ['eni-b'],
      routeTableIds: ['rtb-1'],
      allocationIds: ['eipalloc-1'],
    });

    expect(inputsOf(DescribeNetworkInterfacesCommand)).toEqual([{ NetworkInterfaceIds: ['eni-b'] }]);
    expect(inputsOf(DescribeRouteTablesCommand)).toEqual([{ RouteTableIds: ['rtb-1'] }]);
    expect(inputsOf(DescribeAddressesCommand)).toEqual([{ AllocationIds: ['eipalloc-1'] }]);
    expect(readBack).toEqual({
      interfaces: { 'eni-b': ['10.0.1.6', '10.0.1.100'] },
      routeTables: [
        {
          routeTableId: 'rtb-1',
          vpcId: 'vpc-1',
          tags: {},
          routes: [{ destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: { kind: 'eni', networkInterfaceId: 'eni-b' }, state: 'active' }],
          subnetIds: [],
        },
      ],
      addresses: [{ allocationId: 'eipalloc-1', publicIp: '203.0.113.10', tags: {}, association: { associationId: 'eipassoc-2', networkInterfaceId: 'eni-b' } }],
    });
  });

  it('skips a call whose id list is empty', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });

    const readBack = await createEc2Port(client).readBack({ networkInterfaceIds: [], routeTableIds: ['rtb-1'], allocationIds: [] });

    expect(ec2.calls()).toHaveLength(1);
    expect(readBack).toEqual({ interfaces: {}, routeTables: [], addresses: [] });
  });

  it('translates a failed readback with the ids as context', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).rejects(ec2Error('InvalidNetworkInterfaceID.NotFound'));

    const error = await createEc2Port(client)
      .readBack({ networkInterfaceIds: ['eni-b', 'eni-c'], routeTableIds: [], allocationIds: [] })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).context).toEqual({ networkInterfaceIds: 'eni-b,eni-c' });
  });
});
