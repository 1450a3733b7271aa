/**
 * NAT gateways in the in-memory VPC: zonal or regional, with their states, found by
 * DescribeNatGateways with EC2's filters (`Filter`, not `Filters`, in this one call) and pages.
 */
import type { DescribeNatGatewaysCommandInput, DescribeNatGatewaysCommandOutput, NatGateway } from '@aws-sdk/client-ec2';
import { type NatGatewayRec, type Tags, tagList } from './core.js';
import { type Out, applyFilters, paginate } from './ec2.js';
import type { WorldModel } from './model.js';

export interface NatGatewayOptions {
  /** A zonal gateway's subnet; absent for a regional one. */
  readonly subnet?: string;
  /** Without `subnet`: a regional gateway in this VPC. */
  readonly vpc?: string;
  readonly state?: NatGatewayRec['state'];
  readonly connectivity?: NatGatewayRec['connectivity'];
  readonly tags?: Tags;
}

/** Creates a NAT gateway (available unless told otherwise); returns its ID (`nat-…`). */
export function addNatGateway(world: WorldModel, options: NatGatewayOptions): string {
  const subnet = options.subnet === undefined ? undefined : world.subnet(options.subnet);
  const vpcId = subnet?.vpcId ?? options.vpc;
  if (vpcId === undefined || !world.vpcs.has(vpcId)) throw new Error('VpcWorld.addNatGateway: give a subnet (zonal) or a VPC (regional)');
  const id = world.nextId('nat');
  world.natGateways.set(id, {
    id,
    vpcId,
    mode: subnet ? 'zonal' : 'regional',
    connectivity: options.connectivity ?? 'public',
    ...(subnet ? { subnetId: subnet.id } : {}),
    state: options.state ?? 'available',
    tags: { ...options.tags },
  });
  return id;
}

/** Moves a gateway to a state (a failure, a deletion, the end of `pending`). */
export function setNatGatewayState(world: WorldModel, id: string, state: NatGatewayRec['state']): void {
  const gateway = world.natGateways.get(id);
  if (!gateway) throw new Error(`VpcWorld: no NAT gateway ${id}`);
  gateway.state = state;
}

function natGatewayShape(gateway: NatGatewayRec): NatGateway {
  return {
    NatGatewayId: gateway.id,
    VpcId: gateway.vpcId,
    State: gateway.state,
    ConnectivityType: gateway.connectivity,
    AvailabilityMode: gateway.mode,
    ...(gateway.subnetId === undefined ? {} : { SubnetId: gateway.subnetId }),
    Tags: tagList(gateway.tags),
  };
}

export function describeNatGateways(world: WorldModel, input: DescribeNatGatewaysCommandInput): Out<DescribeNatGatewaysCommandOutput> {
  const ids = input.NatGatewayIds ?? [];
  const known = [...world.natGateways.values()];
  const candidates = ids.length > 0 ? known.filter((g) => ids.includes(g.id)) : known;
  const items = applyFilters(
    'DescribeNatGateways',
    candidates,
    input.Filter,
    {
      'nat-gateway-id': (g) => [g.id],
      state: (g) => [g.state],
      'subnet-id': (g) => [g.subnetId],
      'vpc-id': (g) => [g.vpcId],
    },
    (g) => g.tags,
  );
  const { page, NextToken } = paginate(world, 'DescribeNatGateways', items, input, { min: 5, max: 1000 }, ids.length > 0);
  return { NatGateways: page.map(natGatewayShape), ...(NextToken === undefined ? {} : { NextToken }) };
}
