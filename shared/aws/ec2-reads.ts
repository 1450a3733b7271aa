/**
 * The EC2 adapter's Describe* calls: each one paginated to the end, chunked where EC2 caps the IDs
 * or filter values of one request, aborted with the caller's signal, and failing as AwsCallError.
 */
import {
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  type Address,
  type EC2Client,
  type Instance as Ec2Instance,
  type InstanceStatus,
  type NatGateway as Ec2NatGateway,
  type NetworkInterface as Ec2NetworkInterface,
  type RouteTable as Ec2RouteTable,
  type Subnet as Ec2Subnet,
} from '@aws-sdk/client-ec2';
import type { CallOptions } from '../core/ports.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

/** What every read needs: the client and the tag keys that select the controller's resources. */
export interface ReadContext {
  readonly client: EC2Client;
  readonly groupTagKey: string;
  readonly routeTableTagKeys: readonly string[];
}

/** Page sizes: the maxima the EC2 API reference allows for each call. */
const PAGE_SIZE = { instances: 1000, routeTables: 100, subnets: 1000, networkInterfaces: 1000, natGateways: 1000 } as const;
/** DescribeInstanceStatus takes at most 100 explicit instance IDs per call. */
const STATUS_IDS_PER_CALL = 100;
/** EC2 takes at most 200 filter values in one call (FilterLimitExceeded beyond). */
const FILTER_VALUES_PER_CALL = 200;

/** Sends one request, translating failures with the given context. */
export async function call<T>(operation: string, context: Record<string, string>, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw toAwsCallError(operation, error, context);
  }
}

/** Follows NextToken until the last page; `send` builds the request for a given token. */
async function paginate<O extends { NextToken?: string | undefined }>(operation: string, send: (nextToken: string | undefined) => Promise<O>): Promise<O[]> {
  const pages: O[] = [];
  let nextToken: string | undefined;
  do {
    const token = nextToken;
    const page = await call(operation, {}, () => send(token));
    pages.push(page);
    nextToken = page.NextToken || undefined;
  } while (nextToken !== undefined);
  return pages;
}

/** `NextToken` only when there is one, so the first request carries exactly the documented filters. */
const withToken = (nextToken: string | undefined) => (nextToken === undefined ? {} : { NextToken: nextToken });
const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Every instance carrying the group tag key, whatever its value. */
export async function describeInstances({ client, groupTagKey }: ReadContext, send: CallOptions): Promise<Ec2Instance[]> {
  const pages = await paginate('DescribeInstances', (nextToken) =>
    client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: [groupTagKey] }], MaxResults: PAGE_SIZE.instances, ...withToken(nextToken) }), { abortSignal: send.signal }),
  );
  return pages.flatMap((page) => (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []));
}

/**
 * Status checks of these instances only (never the whole region). An ID EC2 no longer knows fails
 * the whole call with InvalidInstanceID.NotFound: that read then covers nothing, and the caller
 * asks again for the instances it has just seen.
 */
export async function describeInstanceStatus({ client }: ReadContext, ids: readonly string[], send: CallOptions): Promise<{ statuses: InstanceStatus[]; covered: ReadonlySet<string> }> {
  const results = await Promise.all(
    chunks([...ids].sort(), STATUS_IDS_PER_CALL).map(async (chunk) => {
      try {
        const output = await client.send(new DescribeInstanceStatusCommand({ InstanceIds: chunk, IncludeAllInstances: false }), { abortSignal: send.signal });
        return { statuses: output.InstanceStatuses ?? [], covered: chunk };
      } catch (error) {
        if (isAwsErrorCode(error, 'InvalidInstanceID.NotFound')) return { statuses: [], covered: [] };
        throw toAwsCallError('DescribeInstanceStatus', error, { instanceIds: chunk.join(',') });
      }
    }),
  );
  return { statuses: results.flatMap((r) => r.statuses), covered: new Set(results.flatMap((r) => r.covered)) };
}

/** The route tables carrying one of the managed tag keys. */
export async function describeRouteTables({ client, routeTableTagKeys }: ReadContext, send: CallOptions): Promise<Ec2RouteTable[]> {
  const pages = await paginate('DescribeRouteTables', (nextToken) =>
    client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'tag-key', Values: [...routeTableTagKeys] }], MaxResults: PAGE_SIZE.routeTables, ...withToken(nextToken) }), { abortSignal: send.signal }),
  );
  return pages.flatMap((page) => page.RouteTables ?? []);
}

/** These subnets only, by filter: a subnet that no longer exists is simply absent, not an error. */
export async function describeSubnets({ client }: ReadContext, ids: readonly string[], send: CallOptions): Promise<Ec2Subnet[]> {
  const pages = await Promise.all(
    chunks([...ids].sort(), FILTER_VALUES_PER_CALL).map((chunk) =>
      paginate('DescribeSubnets', (nextToken) =>
        client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: chunk }], MaxResults: PAGE_SIZE.subnets, ...withToken(nextToken) }), { abortSignal: send.signal }),
      ),
    ),
  );
  return pages.flat().flatMap((page) => page.Subnets ?? []);
}

/**
 * Every ENI in the region that holds one of these addresses, as its primary or a secondary
 * address: discovery refuses a VIP held outside its group. `addresses.private-ip-address` is
 * documented as "the private IPv4 addresses associated with the network interface"; one call per
 * 200 VIPs covers every group.
 */
export async function describeAddressHolders({ client }: ReadContext, vips: readonly string[], send: CallOptions): Promise<Ec2NetworkInterface[]> {
  const pages = await Promise.all(
    chunks([...vips].sort(), FILTER_VALUES_PER_CALL).map((chunk) =>
      paginate('DescribeNetworkInterfaces', (nextToken) =>
        client.send(
          new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'addresses.private-ip-address', Values: chunk }], MaxResults: PAGE_SIZE.networkInterfaces, ...withToken(nextToken) }),
          { abortSignal: send.signal },
        ),
      ),
    ),
  );
  return pages.flat().flatMap((page) => page.NetworkInterfaces ?? []);
}

/**
 * The NAT gateways tagged with the group tag key, every group's in one call (a `tag-key` filter
 * with one value), and the subnets of the zonal ones, which give their AZ. Only a nat group needs it.
 */
export async function describeNatGateways(context: ReadContext, send: CallOptions): Promise<{ gateways: Ec2NatGateway[]; subnets: Ec2Subnet[] }> {
  const { client, groupTagKey } = context;
  const pages = await paginate('DescribeNatGateways', (nextToken) =>
    client.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'tag-key', Values: [groupTagKey] }], MaxResults: PAGE_SIZE.natGateways, ...withToken(nextToken) }), { abortSignal: send.signal }),
  );
  const gateways = pages.flatMap((page) => page.NatGateways ?? []);
  const subnetIds = [...new Set(gateways.flatMap((g) => (g.AvailabilityMode !== 'regional' && g.SubnetId ? [g.SubnetId] : [])))];
  return { gateways, subnets: subnetIds.length > 0 ? await describeSubnets(context, subnetIds, send) : [] };
}

/** Every Elastic IP of the region: DescribeAddresses has no pagination. */
export async function describeAddresses({ client }: ReadContext, send: CallOptions): Promise<Address[]> {
  const output = await call('DescribeAddresses', {}, () => client.send(new DescribeAddressesCommand({}), { abortSignal: send.signal }));
  return output.Addresses ?? [];
}
