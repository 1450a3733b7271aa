/**
 * NAT gateways in the in-memory VPC, as EC2 shows them: DescribeNatGateways with its filters
 * (`Filter`), pages and states; routes to them, blackholed when the gateway fails or is deleted;
 * a NAT gateway route refused for IPv6 other than NAT64's prefix, or in another VPC.
 */
import { CreateRouteCommand, DescribeNatGatewaysCommand, EC2ServiceException, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { buildNatPair } from '../../sim/world.js';

async function rejection(promise: Promise<unknown>): Promise<EC2ServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as EC2ServiceException;
  }
  throw new Error('expected a rejection');
}

describe('VpcWorld: NAT gateways', () => {
  it('lists zonal and regional gateways by tag-key, state and VPC filters, across pages', async () => {
    const { world, vpcId, publicSubnets, group } = buildNatPair({ worldOptions: { pageSize: 1 } });
    const zonal = world.addNatGateway({ subnet: publicSubnets.a, tags: { 'failover:group': group } });
    const regional = world.addNatGateway({ vpc: vpcId, tags: { 'failover:group': group }, state: 'pending' });
    world.addNatGateway({ subnet: publicSubnets.b, tags: { Name: 'other' } });
    const { ec2 } = world.clients();

    const first = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'tag-key', Values: ['failover:group'] }], MaxResults: 1000 }));
    const second = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'tag-key', Values: ['failover:group'] }], MaxResults: 1000, NextToken: first.NextToken }));
    const available = await ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['available'] }, { Name: 'vpc-id', Values: [vpcId] }] }));

    expect([...(first.NatGateways ?? []), ...(second.NatGateways ?? [])]).toEqual([
      { NatGatewayId: zonal, VpcId: vpcId, State: 'available', ConnectivityType: 'public', AvailabilityMode: 'zonal', SubnetId: publicSubnets.a, Tags: [{ Key: 'failover:group', Value: group }] },
      { NatGatewayId: regional, VpcId: vpcId, State: 'pending', ConnectivityType: 'public', AvailabilityMode: 'regional', Tags: [{ Key: 'failover:group', Value: group }] },
    ]);
    expect(second.NextToken).toBeUndefined();
    // The world's page of one: the first available gateway, and a token for the other.
    expect([available.NatGateways?.map((g) => g.NatGatewayId), available.NextToken === undefined]).toEqual([[zonal], false]);
  });

  it('routes to a gateway, and shows the route as a blackhole once the gateway failed', async () => {
    const { world, publicSubnets, routeTables } = buildNatPair();
    const gateway = world.addNatGateway({ subnet: publicSubnets.a });
    const { ec2 } = world.clients();

    await ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: gateway }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, DestinationIpv6CidrBlock: '64:ff9b::/96', NatGatewayId: gateway }));
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toEqual({ natGatewayId: gateway, state: 'active' });
    world.setNatGatewayState(gateway, 'failed');

    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toEqual({ natGatewayId: gateway, state: 'blackhole' });
    expect(world.routeTarget(routeTables.a, '64:ff9b::/96')).toEqual({ natGatewayId: gateway, state: 'blackhole' });
  });

  it('refuses ::/0 through a gateway, a gateway it does not know, and one in another VPC', async () => {
    const { world, publicSubnets, routeTables } = buildNatPair();
    const gateway = world.addNatGateway({ subnet: publicSubnets.a });
    const elsewhere = world.addNatGateway({ vpc: world.addVpc({ cidr: '10.99.0.0/16' }) });
    const { ec2 } = world.clients();

    const v6 = await rejection(ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, DestinationIpv6CidrBlock: '::/0', NatGatewayId: gateway })));
    const unknown = await rejection(ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0123456789abcdef0' })));
    const foreign = await rejection(ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: elsewhere })));

    expect([v6.name, unknown.name, foreign.name]).toEqual(['InvalidParameterValue', 'InvalidNatGatewayID.NotFound', 'InvalidParameterValue']);
  });
});
