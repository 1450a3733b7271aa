/**
 * The EC2 adapter and NAT gateways: one DescribeNatGateways for every nat group (a `tag-key`
 * filter), only when a nat group exists, in the concurrent batch once a read has told it so;
 * zonal or regional from `AvailabilityMode`; routes to them sent as `NatGatewayId`.
 */
import {
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
  ReplaceRouteCommand,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import type { Clock } from '../../shared/core/ports.js';

const ec2 = mockClient(EC2Client);
const client = new EC2Client({ region: 'us-east-1' });
const clock: Clock = { now: () => 1_700_000_000_000, sleep: async () => {}, random: () => 0.5 };

const member = (id: string, kind: string): Ec2Instance => ({
  InstanceId: id,
  State: { Name: 'running', Code: 16 },
  Placement: { AvailabilityZone: 'us-east-1a' },
  VpcId: 'vpc-1',
  SubnetId: 'subnet-a',
  PrivateIpAddress: '10.0.1.5',
  Tags: [
    { Key: 'failover:group', Value: 'egress' },
    { Key: 'failover:kind', Value: kind },
  ],
  NetworkInterfaces: [],
});

function world(kind: string): void {
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [member('i-0000000000000000a', kind)] }] });
  ec2.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
  ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
  ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
  ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
  ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] });
}

const inputsOf = <T>(command: abstract new (...args: never[]) => T) => ec2.commandCalls(command as never).map((call) => (call.args[0] as { input: unknown }).input);
const FILTER = { Filter: [{ Name: 'tag-key', Values: ['failover:group'] }], MaxResults: 1000 };

beforeEach(() => ec2.reset());
afterEach(() => ec2.reset());

describe('Ec2Port.observe: NAT gateways', () => {
  it('reads the tagged NAT gateways with one tag-key filter once a nat group exists, and maps zonal and regional ones', async () => {
    world('nat');
    ec2.on(DescribeNatGatewaysCommand).resolves({
      NatGateways: [
        { NatGatewayId: 'nat-zonal', State: 'available', VpcId: 'vpc-1', SubnetId: 'subnet-pub-a', ConnectivityType: 'public', AvailabilityMode: 'zonal', Tags: [{ Key: 'failover:group', Value: 'egress' }] },
        { NatGatewayId: 'nat-regional', State: 'pending', VpcId: 'vpc-1', AvailabilityMode: 'regional', Tags: [{ Key: 'failover:group', Value: 'egress' }] },
        { NatGatewayId: 'nat-old', State: 'failed', VpcId: 'vpc-1', SubnetId: 'subnet-pub-b', ConnectivityType: 'private', Tags: [] },
      ],
    });
    ec2.on(DescribeSubnetsCommand, { Filters: [{ Name: 'subnet-id', Values: ['subnet-pub-a', 'subnet-pub-b'] }], MaxResults: 1000 }).resolves({
      Subnets: [
        { SubnetId: 'subnet-pub-a', VpcId: 'vpc-1', CidrBlock: '10.0.100.0/24', AvailabilityZone: 'us-east-1a' },
        { SubnetId: 'subnet-pub-b', VpcId: 'vpc-1', CidrBlock: '10.0.101.0/24', AvailabilityZone: 'us-east-1b' },
      ],
    });

    const snapshot = await createEc2Port(client, { clock }).observe();

    expect(inputsOf(DescribeNatGatewaysCommand)).toEqual([FILTER]);
    expect(snapshot.natGateways).toEqual([
      { natGatewayId: 'nat-zonal', state: 'available', vpcId: 'vpc-1', mode: 'zonal', connectivity: 'public', subnetId: 'subnet-pub-a', availabilityZone: 'us-east-1a', tags: { 'failover:group': 'egress' } },
      { natGatewayId: 'nat-regional', state: 'pending', vpcId: 'vpc-1', mode: 'regional', connectivity: 'public', tags: { 'failover:group': 'egress' } },
      // No AvailabilityMode (made before regional gateways existed): zonal.
      { natGatewayId: 'nat-old', state: 'failed', vpcId: 'vpc-1', mode: 'zonal', connectivity: 'private', subnetId: 'subnet-pub-b', availabilityZone: 'us-east-1b', tags: {} },
    ]);
    // The gateways' subnets are read for their AZ only, not added to the members' subnets.
    expect(snapshot.subnets.map((s) => s.subnetId)).not.toContain('subnet-pub-a');
  });

  it('sends no DescribeNatGateways when no group is a nat group', async () => {
    world('vip');
    const port = createEc2Port(client, { clock });

    const snapshot = await port.observe();
    await port.observe();

    expect(inputsOf(DescribeNatGatewaysCommand)).toEqual([]);
    expect(snapshot.natGateways).toBeUndefined();
  });

  it('issues DescribeNatGateways with the first batch once an earlier read found a nat group', async () => {
    world('nat');
    const port = createEc2Port(client, { clock });
    await port.observe();
    ec2.reset();
    world('nat');
    const order: string[] = [];
    ec2.on(DescribeNatGatewaysCommand).callsFake(async () => {
      order.push('gateways');
      return { NatGateways: [] };
    });
    ec2.on(DescribeInstancesCommand).callsFake(async () => {
      order.push('instances');
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { Reservations: [{ Instances: [member('i-0000000000000000a', 'nat')] }] };
    });

    await port.observe();

    // Sent before the instances answered: in the same concurrent batch, not a second round.
    expect(order).toEqual(['instances', 'gateways']);
    expect(inputsOf(DescribeNatGatewaysCommand)).toEqual([FILTER]);
  });

  it('fails observe as an ObserveError when DescribeNatGateways fails', async () => {
    world('nat');
    ec2.on(DescribeNatGatewaysCommand).rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not allowed' }));

    await expect(createEc2Port(client, { clock }).observe()).rejects.toMatchObject({ name: 'ObserveError', retriable: false, context: { operation: 'DescribeNatGateways' } });
  });
});

describe('Ec2Port.apply: routes to a NAT gateway', () => {
  const target = { kind: 'nat-gateway', natGatewayId: 'nat-zonal' } as const;

  it('replaces a route with NatGatewayId and no ENI', async () => {
    ec2.on(ReplaceRouteCommand).resolves({});

    await createEc2Port(client).apply({ type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target });

    expect(inputsOf(ReplaceRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-zonal' }]);
  });

  it('creates a NAT64 route to the gateway with DestinationIpv6CidrBlock', async () => {
    ec2.on(CreateRouteCommand).resolves({});

    await createEc2Port(client).apply({ type: 'create-route', routeTableId: 'rtb-1', destination: { kind: 'ipv6', value: '64:ff9b::/96' }, target });

    expect(inputsOf(CreateRouteCommand)).toEqual([{ RouteTableId: 'rtb-1', DestinationIpv6CidrBlock: '64:ff9b::/96', NatGatewayId: 'nat-zonal' }]);
  });

  it('names the gateway when the call fails', async () => {
    ec2.on(ReplaceRouteCommand).rejects(new EC2ServiceException({ name: 'InvalidNatGatewayID.NotFound', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'gone' }));

    await expect(createEc2Port(client).apply({ type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target })).rejects.toMatchObject({
      context: { routeTableId: 'rtb-1', natGatewayId: 'nat-zonal' },
    });
  });
});
