/**
 * Spot requests: DescribeSpotInstanceRequests for the Spot instances the world launched (one
 * request per instance, `one-time` or `persistent`). Only what remediation reads is modelled.
 */
import type { DescribeSpotInstanceRequestsCommandInput, DescribeSpotInstanceRequestsCommandOutput, SpotInstanceRequest } from '@aws-sdk/client-ec2';
import type { InstanceRec } from './core.js';
import { type Out, applyFilters, paginate } from './ec2.js';
import { notFound } from './errors.js';
import type { WorldModel } from './model.js';

type Spot = InstanceRec & { readonly spot: NonNullable<InstanceRec['spot']> };

function requestShape(world: WorldModel, instance: Spot): SpotInstanceRequest {
  const gone = instance.state === 'terminated';
  return {
    SpotInstanceRequestId: instance.spot.requestId,
    Type: instance.spot.type,
    // A persistent request of a stopped instance is `disabled`; a one-time request closes once fulfilled.
    State: gone ? 'closed' : instance.spot.type === 'one-time' ? 'closed' : instance.state === 'stopped' ? 'disabled' : 'active',
    InstanceId: instance.id,
    LaunchedAvailabilityZone: instance.az,
    InstanceInterruptionBehavior: instance.spot.type === 'persistent' ? 'stop' : 'terminate',
    CreateTime: instance.launchTime,
    Tags: [],
    ProductDescription: 'Linux/UNIX',
  };
}

export function describeSpotInstanceRequests(world: WorldModel, input: DescribeSpotInstanceRequestsCommandInput): Out<DescribeSpotInstanceRequestsCommandOutput> {
  const spot = [...world.instances.values()].filter((i): i is Spot => i.spot !== undefined);
  const ids = input.SpotInstanceRequestIds ?? [];
  const missing = ids.filter((id) => !spot.some((i) => i.spot.requestId === id));
  if (missing.length > 0) throw notFound('InvalidSpotInstanceRequestID.NotFound', 'spotInstanceRequest', missing);
  const candidates = ids.length > 0 ? spot.filter((i) => ids.includes(i.spot.requestId)) : spot;
  const items = applyFilters(
    'DescribeSpotInstanceRequests',
    candidates,
    input.Filters,
    { 'spot-instance-request-id': (i) => [i.spot.requestId], 'instance-id': (i) => [i.id], type: (i) => [i.spot.type] },
    () => ({}),
  );
  const { page, NextToken } = paginate(world, 'DescribeSpotInstanceRequests', items, input, { min: 5, max: 1000 }, ids.length > 0);
  return { SpotInstanceRequests: page.map((i) => requestShape(world, i)), ...(NextToken === undefined ? {} : { NextToken }) };
}
