/**
 * EC2 adapter: one batched read of the world, the idempotent switch calls, and a narrow readback.
 * Every call goes through the injected client; failures leave as AwsCallError / ObserveError.
 */
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
  ModifyNetworkInterfaceAttributeCommand,
  RebootInstancesCommand,
  ReplaceRouteCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type Address,
  type EC2Client,
  type Instance as Ec2Instance,
  type InstanceNetworkInterface,
  type InstanceStatus,
  type NatGateway as Ec2NatGateway,
  type NetworkInterface as Ec2NetworkInterface,
  type Route as Ec2Route,
  type RouteTable as Ec2RouteTable,
  type Subnet as Ec2Subnet,
  type Tag,
} from '@aws-sdk/client-ec2';
import { AwsCallError, ObserveError } from '../errors.js';
import type {
  AddressHolder,
  ElasticIp,
  Instance,
  InstanceState,
  NatGateway,
  NetworkInterface,
  Route,
  RouteDestination,
  RouteTable,
  RouteTarget,
  StatusChecks,
  Subnet,
  SwitchTarget,
  WorldSnapshot,
} from '../core/model.js';
import { systemClock, type CallOptions, type Clock, type Ec2Action, type Ec2Port, type Enrollment, type ReadBack, type ReadBackQuery } from '../core/ports.js';
import { classification } from './instance-class.js';
import { TAG } from '../core/tags.js';
import { isIpv4 } from '../core/validate.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

export interface Ec2PortOptions {
  /** Tag key that marks an instance as a member of a failover group. Default `failover:group`. */
  readonly groupTagKey?: string;
  /** Tag keys that mark route tables the controller manages. Default `NATAZ`, `failover:overlay`. */
  readonly routeTableTagKeys?: readonly string[];
  /** Stamps `observedAt`. Default `systemClock`. */
  readonly clock?: Clock;
  /**
   * What earlier observes found, kept for the life of the execution environment (one per runtime),
   * so the next observe can filter its reads by ID in the same batch. Default: a fresh one.
   */
  readonly memory?: ObserveMemory;
}

export const DEFAULT_GROUP_TAG_KEY = 'failover:group';
export const DEFAULT_ROUTE_TABLE_TAG_KEYS: readonly string[] = ['NATAZ', 'failover:overlay'];

/** Page sizes: the maxima the EC2 API reference allows for each call. */
const PAGE_SIZE = { instances: 1000, routeTables: 100, subnets: 1000, networkInterfaces: 1000, natGateways: 1000 } as const;
/** DescribeInstanceStatus takes at most 100 explicit instance IDs per call. */
const STATUS_IDS_PER_CALL = 100;
/** EC2 takes at most 200 filter values in one call (FilterLimitExceeded beyond). */
const FILTER_VALUES_PER_CALL = 200;

/**
 * What the last read of the instances found: the enrolled instances, the running ones among them
 * (the only ones DescribeInstanceStatus reports), their subnets, and the VIPs their vip groups claim.
 */
export interface ObserveMemory {
  last?: Enrollment & { readonly running: ReadonlySet<string>; readonly subnetIds: ReadonlySet<string>; readonly vips: ReadonlySet<string>; readonly nat?: boolean };
}

export const newObserveMemory = (): ObserveMemory => ({});

/**
 * Creates the EC2 port over an injected client. `observe` reads the world in one concurrent batch
 * of Describe* calls: instances by the group tag, route tables by their tags, the Elastic IPs, and,
 * filtered by the IDs the previous read found, status checks and subnets (only the first read of
 * an execution environment needs a second round for those two, and only new members a follow-up).
 * `enrollment` answers "is this instance enrolled" from that memory while it is fresh, with one
 * DescribeInstances otherwise. `apply` sends one mutation; `readBack` re-reads only what a plan touched.
 */
export function createEc2Port(client: EC2Client, options: Ec2PortOptions = {}): Ec2Port {
  const groupTagKey = options.groupTagKey ?? DEFAULT_GROUP_TAG_KEY;
  const routeTableTagKeys = [...(options.routeTableTagKeys ?? DEFAULT_ROUTE_TABLE_TAG_KEYS)];
  const clock = options.clock ?? systemClock;
  const memory = options.memory ?? newObserveMemory();

  /** Sends one request, translating failures with the given context. */
  async function call<T>(operation: string, context: Record<string, string>, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw toAwsCallError(operation, error, context);
    }
  }

  /** Follows NextToken until the last page; `send` builds the request for a given token. */
  async function paginate<O extends { NextToken?: string | undefined }>(
    operation: string,
    send: (nextToken: string | undefined) => Promise<O>,
  ): Promise<O[]> {
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

  async function describeInstances(send: CallOptions): Promise<Ec2Instance[]> {
    const pages = await paginate('DescribeInstances', (nextToken) =>
      client.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'tag-key', Values: [groupTagKey] }],
          MaxResults: PAGE_SIZE.instances,
          ...withToken(nextToken),
        }),
        { abortSignal: send.signal },
      ),
    );
    return pages.flatMap((page) => (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? []));
  }

  /**
   * Status checks of these instances only (never the whole region). An ID EC2 no longer knows fails
   * the whole call with InvalidInstanceID.NotFound: that read then covers nothing, and the caller
   * asks again for the instances it has just seen.
   */
  async function describeInstanceStatus(ids: readonly string[], send: CallOptions): Promise<{ statuses: InstanceStatus[]; covered: ReadonlySet<string> }> {
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

  async function describeRouteTables(send: CallOptions): Promise<Ec2RouteTable[]> {
    const pages = await paginate('DescribeRouteTables', (nextToken) =>
      client.send(
        new DescribeRouteTablesCommand({
          Filters: [{ Name: 'tag-key', Values: [...routeTableTagKeys] }],
          MaxResults: PAGE_SIZE.routeTables,
          ...withToken(nextToken),
        }),
        { abortSignal: send.signal },
      ),
    );
    return pages.flatMap((page) => page.RouteTables ?? []);
  }

  /** These subnets only, by filter: a subnet that no longer exists is simply absent, not an error. */
  async function describeSubnets(ids: readonly string[], send: CallOptions): Promise<Ec2Subnet[]> {
    const pages = await Promise.all(
      chunks([...ids].sort(), FILTER_VALUES_PER_CALL).map((chunk) =>
        paginate('DescribeSubnets', (nextToken) =>
          client.send(
            new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: chunk }], MaxResults: PAGE_SIZE.subnets, ...withToken(nextToken) }),
            { abortSignal: send.signal },
          ),
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
  async function describeAddressHolders(vips: readonly string[], send: CallOptions): Promise<Ec2NetworkInterface[]> {
    const pages = await Promise.all(
      chunks([...vips].sort(), FILTER_VALUES_PER_CALL).map((chunk) =>
        paginate('DescribeNetworkInterfaces', (nextToken) =>
          client.send(
            new DescribeNetworkInterfacesCommand({
              Filters: [{ Name: 'addresses.private-ip-address', Values: chunk }],
              MaxResults: PAGE_SIZE.networkInterfaces,
              ...withToken(nextToken),
            }),
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
  async function describeNatGateways(send: CallOptions): Promise<{ gateways: Ec2NatGateway[]; subnets: Ec2Subnet[] }> {
    const pages = await paginate('DescribeNatGateways', (nextToken) =>
      client.send(
        new DescribeNatGatewaysCommand({
          Filter: [{ Name: 'tag-key', Values: [groupTagKey] }],
          MaxResults: PAGE_SIZE.natGateways,
          ...withToken(nextToken),
        }),
        { abortSignal: send.signal },
      ),
    );
    const gateways = pages.flatMap((page) => page.NatGateways ?? []);
    const subnetIds = [...new Set(gateways.flatMap((g) => (g.AvailabilityMode !== 'regional' && g.SubnetId ? [g.SubnetId] : [])))];
    return { gateways, subnets: subnetIds.length > 0 ? await describeSubnets(subnetIds, send) : [] };
  }

  async function describeAddresses(send: CallOptions): Promise<Address[]> {
    // DescribeAddresses has no pagination: one call returns every Elastic IP in the region.
    const output = await call('DescribeAddresses', {}, () => client.send(new DescribeAddressesCommand({}), { abortSignal: send.signal }));
    return output.Addresses ?? [];
  }

  /** Remembers what a read of the instances found, for the next observe and for `enrollment`. */
  function remember(raw: readonly Ec2Instance[], at: number): void {
    const groups = new Map<string, string>();
    const running = new Set<string>();
    const subnetIds = new Set<string>();
    const vips = new Set<string>();
    let nat = false;
    for (const instance of raw) {
      if (!instance.InstanceId) continue;
      const tags = tagsToRecord(instance.Tags);
      groups.set(instance.InstanceId, tags[groupTagKey] ?? '');
      // Only well-formed addresses: a tag value reaches a filter, where * and ? are wildcards.
      const vip = tags[TAG.vip]?.trim() ?? '';
      if (tags[TAG.kind]?.trim() === 'vip' && isIpv4(vip)) vips.add(vip);
      if (tags[TAG.kind]?.trim() === 'nat') nat = true;
      if (instance.State?.Name === 'running') running.add(instance.InstanceId);
      for (const eni of instance.NetworkInterfaces ?? []) if (eni.SubnetId) subnetIds.add(eni.SubnetId);
      if (instance.SubnetId) subnetIds.add(instance.SubnetId);
    }
    memory.last = { at, groups, running, subnetIds, vips, nat };
  }

  async function enrollment(maxAgeMs: number, send: CallOptions = {}): Promise<Enrollment> {
    const known = memory.last;
    if (known && clock.now() - known.at <= maxAgeMs) return known;
    const at = clock.now();
    try {
      remember(await describeInstances(send), at);
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      throw new ObserveError(`reading the enrolled instances failed: ${error.message}`, { context: { operation: error.operation }, retriable: error.retriable, cause: error });
    }
    return memory.last ?? { at, groups: new Map() };
  }

  async function observe(send: CallOptions = {}): Promise<WorldSnapshot> {
    const observedAt = clock.now();
    const known = memory.last;
    try {
      const [rawInstances, rawRouteTables, rawAddresses, firstStatus, firstSubnets, firstHolders, firstGateways] = await Promise.all([
        describeInstances(send),
        describeRouteTables(send),
        describeAddresses(send),
        known ? describeInstanceStatus([...known.running], send) : undefined,
        known ? describeSubnets([...known.subnetIds], send) : undefined,
        known && known.vips.size > 0 ? describeAddressHolders([...known.vips], send) : undefined,
        known?.nat ? describeNatGateways(send) : undefined,
      ]);
      remember(rawInstances, observedAt);
      const now = memory.last ?? { at: observedAt, groups: new Map(), running: new Set<string>(), subnetIds: new Set<string>(), vips: new Set<string>(), nat: false };
      // What the batch could not cover (the first read here, or members that are new since): one more round.
      const statusCovered = firstStatus?.covered ?? new Set<string>();
      const subnetsCovered = known?.subnetIds ?? new Set<string>();
      const vipsCovered = firstHolders ? (known?.vips ?? new Set<string>()) : new Set<string>();
      const [moreStatus, moreSubnets, moreHolders, moreGateways] = await Promise.all([
        describeInstanceStatus([...now.running].filter((id) => !statusCovered.has(id)), send),
        describeSubnets([...now.subnetIds].filter((id) => !subnetsCovered.has(id)), send),
        describeAddressHolders([...now.vips].filter((vip) => !vipsCovered.has(vip)), send),
        !firstGateways && now.nat ? describeNatGateways(send) : undefined,
      ]);
      const instances = rawInstances.map(toInstance).filter((instance) => instance !== undefined);
      const subnets = [...(firstSubnets ?? []), ...moreSubnets].map(toSubnet).filter((subnet) => subnet !== undefined);
      const gateways = firstGateways ?? moreGateways;
      const gatewaySubnets = (gateways?.subnets ?? []).map(toSubnet).filter((subnet) => subnet !== undefined);
      return {
        observedAt,
        instances,
        statusChecks: foldStatusChecks(instances, [...(firstStatus?.statuses ?? []), ...moreStatus.statuses]),
        routeTables: rawRouteTables.map(toRouteTable).filter((table) => table !== undefined),
        addresses: rawAddresses.map(toElasticIp).filter((address) => address !== undefined),
        subnets,
        addressHolders: toAddressHolders([...(firstHolders ?? []), ...moreHolders]),
        ...(gateways ? { natGateways: gateways.gateways.map((g) => toNatGateway(g, gatewaySubnets)).filter((g) => g !== undefined) } : {}),
      };
    } catch (error) {
      if (!(error instanceof AwsCallError)) throw error;
      throw new ObserveError(`observing the world failed: ${error.message}`, {
        context: { operation: error.operation, ...error.context },
        retriable: error.retriable,
        cause: error,
      });
    }
  }

  async function replaceRoute(routeTableId: string, destination: RouteDestination, target: SwitchTarget, send: CallOptions): Promise<void> {
    await client.send(
      new ReplaceRouteCommand({
        RouteTableId: routeTableId,
        ...destinationFields(destination),
        ...targetFields(target),
      }),
      { abortSignal: send.signal },
    );
  }

  async function createRoute(routeTableId: string, destination: RouteDestination, target: SwitchTarget, send: CallOptions): Promise<void> {
    await client.send(
      new CreateRouteCommand({
        RouteTableId: routeTableId,
        ...destinationFields(destination),
        ...targetFields(target),
      }),
      { abortSignal: send.signal },
    );
  }

  async function apply(action: Ec2Action, send: CallOptions = {}): Promise<void> {
    switch (action.type) {
      case 'assign-private-ip': {
        const context = { networkInterfaceId: action.networkInterfaceId, instanceId: action.instanceId, ip: action.ip };
        await call('AssignPrivateIpAddresses', context, () =>
          client.send(
            new AssignPrivateIpAddressesCommand({
              NetworkInterfaceId: action.networkInterfaceId,
              PrivateIpAddresses: [action.ip],
              // Moves the address off whichever ENI in the subnet holds it now.
              AllowReassignment: true,
            }),
            { abortSignal: send.signal },
          ),
        );
        return;
      }
      case 'associate-address': {
        const { target } = action;
        const context = {
          allocationId: action.allocationId,
          networkInterfaceId: target.networkInterfaceId,
          instanceId: target.instanceId,
          ...(target.kind === 'eni-private-ip' ? { privateIp: target.privateIp } : {}),
        };
        await call('AssociateAddress', context, () =>
          client.send(
            new AssociateAddressCommand({
              AllocationId: action.allocationId,
              NetworkInterfaceId: target.networkInterfaceId,
              ...(target.kind === 'eni-private-ip' ? { PrivateIpAddress: target.privateIp } : {}),
              // Without it a moved EIP fails with Resource.AlreadyAssociated.
              AllowReassociation: true,
            }),
            { abortSignal: send.signal },
          ),
        );
        return;
      }
      case 'replace-route':
      case 'create-route': {
        const { routeTableId, destination, target } = action;
        const context = {
          routeTableId,
          destination: destination.value,
          ...(target.kind === 'nat-gateway' ? { natGatewayId: target.natGatewayId } : { networkInterfaceId: target.networkInterfaceId, instanceId: target.instanceId }),
        };
        // The plan was made from a snapshot; the route may have appeared or vanished since, so
        // each call falls back to the other on exactly the error that says so.
        if (action.type === 'replace-route') {
          try {
            await replaceRoute(routeTableId, destination, target, send);
          } catch (error) {
            if (!isMissingRoute(error)) throw toAwsCallError('ReplaceRoute', error, context);
            await call('CreateRoute', context, () => createRoute(routeTableId, destination, target, send));
          }
        } else {
          try {
            await createRoute(routeTableId, destination, target, send);
          } catch (error) {
            if (!isAwsErrorCode(error, 'RouteAlreadyExists')) throw toAwsCallError('CreateRoute', error, context);
            await call('ReplaceRoute', context, () => replaceRoute(routeTableId, destination, target, send));
          }
        }
        return;
      }
      case 'disable-source-dest-check': {
        const context = { networkInterfaceId: action.networkInterfaceId, instanceId: action.instanceId };
        await call('ModifyNetworkInterfaceAttribute', context, () =>
          client.send(
            new ModifyNetworkInterfaceAttributeCommand({
              NetworkInterfaceId: action.networkInterfaceId,
              SourceDestCheck: { Value: false },
            }),
            { abortSignal: send.signal },
          ),
        );
        return;
      }
      case 'reboot-instance':
      case 'stop-instance':
      case 'start-instance': {
        const context = { instanceId: action.instanceId };
        const ids = [action.instanceId];
        const options = { abortSignal: send.signal };
        if (action.type === 'reboot-instance') await call('RebootInstances', context, () => client.send(new RebootInstancesCommand({ InstanceIds: ids }), options));
        else if (action.type === 'stop-instance') await call('StopInstances', context, () => client.send(new StopInstancesCommand({ InstanceIds: ids, ...(action.force ? { Force: true } : {}) }), options));
        else await call('StartInstances', context, () => client.send(new StartInstancesCommand({ InstanceIds: ids }), options));
        return;
      }
      default:
        return assertNever(action);
    }
  }

  async function readBack(query: ReadBackQuery, send: CallOptions = {}): Promise<ReadBack> {
    const [interfaces, routeTables, addresses] = await Promise.all([
      query.networkInterfaceIds.length === 0
        ? Promise.resolve({})
        : call('DescribeNetworkInterfaces', { networkInterfaceIds: query.networkInterfaceIds.join(',') }, () =>
            client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [...query.networkInterfaceIds] }), { abortSignal: send.signal }),
          ).then((output) => {
            const result: Record<string, string[]> = {};
            for (const eni of output.NetworkInterfaces ?? []) {
              if (!eni.NetworkInterfaceId) continue;
              result[eni.NetworkInterfaceId] = (eni.PrivateIpAddresses ?? []).flatMap((ip) =>
                ip.PrivateIpAddress ? [ip.PrivateIpAddress] : [],
              );
            }
            return result;
          }),
      query.routeTableIds.length === 0
        ? Promise.resolve([])
        : call('DescribeRouteTables', { routeTableIds: query.routeTableIds.join(',') }, () =>
            client.send(new DescribeRouteTablesCommand({ RouteTableIds: [...query.routeTableIds] }), { abortSignal: send.signal }),
          ).then((output) => (output.RouteTables ?? []).map(toRouteTable).filter((table) => table !== undefined)),
      query.allocationIds.length === 0
        ? Promise.resolve([])
        : call('DescribeAddresses', { allocationIds: query.allocationIds.join(',') }, () =>
            client.send(new DescribeAddressesCommand({ AllocationIds: [...query.allocationIds] }), { abortSignal: send.signal }),
          ).then((output) => (output.Addresses ?? []).map(toElasticIp).filter((address) => address !== undefined)),
    ]);
    return { interfaces, routeTables, addresses };
  }

  return { observe, enrollment, apply, readBack };
}

/**
 * ReplaceRoute's answer when the table has no such route. EC2 does not use `InvalidRoute.NotFound`
 * (DeleteRoute's code) here but `InvalidParameterValue` with "There is no route defined for
 * '<cidr>' in the route table. Use CreateRoute instead."; the same code also means a bad
 * argument, so the message decides. `InvalidRoute.NotFound` is accepted too, should EC2 align.
 */
const NO_ROUTE_DEFINED = /no route defined for/i;

function isMissingRoute(error: unknown): boolean {
  if (isAwsErrorCode(error, 'InvalidRoute.NotFound')) return true;
  return isAwsErrorCode(error, 'InvalidParameterValue') && error instanceof Error && NO_ROUTE_DEFINED.test(error.message);
}

function assertNever(value: never): never {
  throw new TypeError(`unhandled action ${JSON.stringify(value)}`);
}

/** Tags as a record; a key listed twice (impossible in EC2) keeps the last value. */
export function tagsToRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) {
    if (tag.Key !== undefined) record[tag.Key] = tag.Value ?? '';
  }
  return record;
}

const INSTANCE_STATES: ReadonlySet<string> = new Set(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']);

function toInstance(raw: Ec2Instance): Instance | undefined {
  const state = raw.State?.Name;
  if (!raw.InstanceId || state === undefined || !INSTANCE_STATES.has(state)) return undefined;
  const tags = tagsToRecord(raw.Tags);
  return {
    instanceId: raw.InstanceId,
    state: state as InstanceState,
    availabilityZone: raw.Placement?.AvailabilityZone ?? '',
    // A terminated instance has lost its VPC, subnet and address; empty strings keep the shape.
    vpcId: raw.VpcId ?? '',
    subnetId: raw.SubnetId ?? '',
    privateIp: raw.PrivateIpAddress ?? '',
    tags,
    ...classification(raw, tags),
    networkInterfaces: (raw.NetworkInterfaces ?? [])
      .map(toNetworkInterface)
      .filter((eni) => eni !== undefined)
      .sort((a, b) => a.deviceIndex - b.deviceIndex),
  };
}

function toNetworkInterface(raw: InstanceNetworkInterface): NetworkInterface | undefined {
  if (!raw.NetworkInterfaceId) return undefined;
  return {
    networkInterfaceId: raw.NetworkInterfaceId,
    deviceIndex: raw.Attachment?.DeviceIndex ?? Number.MAX_SAFE_INTEGER,
    ...(raw.Attachment?.NetworkCardIndex ? { networkCardIndex: raw.Attachment.NetworkCardIndex } : {}),
    subnetId: raw.SubnetId ?? '',
    macAddress: (raw.MacAddress ?? '').toLowerCase(),
    sourceDestCheck: raw.SourceDestCheck ?? true,
    privateIps: (raw.PrivateIpAddresses ?? []).flatMap((ip) =>
      ip.PrivateIpAddress ? [{ address: ip.PrivateIpAddress, primary: ip.Primary === true }] : [],
    ),
  };
}

function foldSummary(instanceStatus: string | undefined, systemStatus: string | undefined): StatusChecks {
  const both = [instanceStatus, systemStatus];
  if (both.includes('impaired')) return 'impaired';
  if (both.includes('initializing')) return 'initializing';
  if (both.every((status) => status === 'ok' || status === 'not-applicable')) return 'ok';
  return 'unknown';
}

/**
 * Status checks for the snapshot's instances only. DescribeInstanceStatus reports running
 * instances; a running one it left out gets `unknown`, never `ok`.
 */
function foldStatusChecks(instances: readonly Instance[], statuses: readonly InstanceStatus[]): Record<string, StatusChecks> {
  const wanted = new Set(instances.map((instance) => instance.instanceId));
  const result: Record<string, StatusChecks> = {};
  for (const status of statuses) {
    if (!status.InstanceId || !wanted.has(status.InstanceId)) continue;
    result[status.InstanceId] = foldSummary(status.InstanceStatus?.Status, status.SystemStatus?.Status);
  }
  for (const instance of instances) {
    if (instance.state === 'running' && result[instance.instanceId] === undefined) result[instance.instanceId] = 'unknown';
  }
  return result;
}

function toRouteTarget(raw: Ec2Route): RouteTarget {
  if (raw.NetworkInterfaceId) {
    return raw.InstanceId
      ? { kind: 'eni', networkInterfaceId: raw.NetworkInterfaceId, instanceId: raw.InstanceId }
      : { kind: 'eni', networkInterfaceId: raw.NetworkInterfaceId };
  }
  if (raw.InstanceId) return { kind: 'instance', instanceId: raw.InstanceId };
  if (raw.NatGatewayId) return { kind: 'nat-gateway', natGatewayId: raw.NatGatewayId };
  const description =
    raw.GatewayId ??
    raw.TransitGatewayId ??
    raw.VpcPeeringConnectionId ??
    raw.EgressOnlyInternetGatewayId ??
    raw.LocalGatewayId ??
    raw.CarrierGatewayId ??
    raw.CoreNetworkArn ??
    raw.OdbNetworkArn ??
    'unknown';
  return { kind: 'other', description };
}

/** The destination a route reports, by the one field EC2 filled; a route with none is not ours to manage. */
function toRouteDestination(raw: Ec2Route): RouteDestination | undefined {
  if (raw.DestinationCidrBlock) return { kind: 'ipv4', value: raw.DestinationCidrBlock };
  if (raw.DestinationIpv6CidrBlock) return { kind: 'ipv6', value: raw.DestinationIpv6CidrBlock };
  if (raw.DestinationPrefixListId) return { kind: 'prefix-list', value: raw.DestinationPrefixListId };
  return undefined;
}

/** ReplaceRoute and CreateRoute take exactly one destination field: the one of the destination's kind. */
export function destinationFields(destination: RouteDestination): { DestinationCidrBlock: string } | { DestinationIpv6CidrBlock: string } | { DestinationPrefixListId: string } {
  switch (destination.kind) {
    case 'ipv4':
      return { DestinationCidrBlock: destination.value };
    case 'ipv6':
      return { DestinationIpv6CidrBlock: destination.value };
    case 'prefix-list':
      return { DestinationPrefixListId: destination.value };
  }
}

/** ReplaceRoute and CreateRoute take exactly one target field: the ENI, or the NAT gateway. */
export function targetFields(target: SwitchTarget): { NetworkInterfaceId: string } | { NatGatewayId: string } {
  switch (target.kind) {
    case 'eni':
    case 'eni-private-ip':
      return { NetworkInterfaceId: target.networkInterfaceId };
    case 'nat-gateway':
      return { NatGatewayId: target.natGatewayId };
  }
}

const NAT_GATEWAY_STATES: readonly NatGateway['state'][] = ['pending', 'available', 'deleting', 'deleted', 'failed'];

/**
 * A NAT gateway as the core sees it. Zonal or regional by `AvailabilityMode` (absent: zonal, as
 * every gateway made before regional ones existed); its AZ from its subnet, when that was read.
 * A state EC2 adds later is read as `failed`: never a target.
 */
export function toNatGateway(raw: Ec2NatGateway, subnets: readonly Subnet[]): NatGateway | undefined {
  if (!raw.NatGatewayId) return undefined;
  const state = NAT_GATEWAY_STATES.find((s) => s === raw.State) ?? 'failed';
  const mode = raw.AvailabilityMode === 'regional' ? 'regional' : 'zonal';
  const subnetId = mode === 'zonal' ? raw.SubnetId : undefined;
  const availabilityZone = subnetId === undefined ? undefined : subnets.find((s) => s.subnetId === subnetId)?.availabilityZone;
  return {
    natGatewayId: raw.NatGatewayId,
    state,
    vpcId: raw.VpcId ?? '',
    mode,
    connectivity: raw.ConnectivityType === 'private' ? 'private' : 'public',
    ...(subnetId === undefined ? {} : { subnetId }),
    ...(availabilityZone === undefined ? {} : { availabilityZone }),
    tags: tagsToRecord(raw.Tags),
  };
}

function toRoute(raw: Ec2Route): Route | undefined {
  const destination = toRouteDestination(raw);
  if (!destination) return undefined;
  return {
    destination,
    target: toRouteTarget(raw),
    state: raw.State === 'blackhole' ? 'blackhole' : 'active',
  };
}

/** A DescribeRouteTables table in the core's model (IPv4 CIDR routes only). */
export function toRouteTable(raw: Ec2RouteTable): RouteTable | undefined {
  if (!raw.RouteTableId) return undefined;
  return {
    routeTableId: raw.RouteTableId,
    vpcId: raw.VpcId ?? '',
    tags: tagsToRecord(raw.Tags),
    routes: (raw.Routes ?? []).map(toRoute).filter((route) => route !== undefined),
    // Which subnets use the table: a sensor behind a NAT is credited through it (probe/egress.ts).
    subnetIds: (raw.Associations ?? []).flatMap((a) => (a.SubnetId !== undefined && (a.AssociationState?.State ?? 'associated') === 'associated' ? [a.SubnetId] : [])),
  };
}

function toElasticIp(raw: Address): ElasticIp | undefined {
  if (!raw.AllocationId || !raw.PublicIp) return undefined;
  const tags = tagsToRecord(raw.Tags);
  if (!raw.AssociationId) return { allocationId: raw.AllocationId, publicIp: raw.PublicIp, tags };
  return {
    allocationId: raw.AllocationId,
    publicIp: raw.PublicIp,
    tags,
    association: {
      associationId: raw.AssociationId,
      ...(raw.NetworkInterfaceId ? { networkInterfaceId: raw.NetworkInterfaceId } : {}),
      ...(raw.InstanceId ? { instanceId: raw.InstanceId } : {}),
      ...(raw.PrivateIpAddress ? { privateIp: raw.PrivateIpAddress } : {}),
    },
  };
}

/** Holders of the watched addresses, once each (two chunks' reads may both list an ENI). */
function toAddressHolders(raw: readonly Ec2NetworkInterface[]): AddressHolder[] {
  const holders = new Map<string, AddressHolder>();
  for (const eni of raw) {
    if (!eni.NetworkInterfaceId || holders.has(eni.NetworkInterfaceId)) continue;
    const instanceId = eni.Attachment?.InstanceId;
    holders.set(eni.NetworkInterfaceId, {
      networkInterfaceId: eni.NetworkInterfaceId,
      ...(instanceId ? { instanceId } : {}),
      vpcId: eni.VpcId ?? '',
      subnetId: eni.SubnetId ?? '',
      description: eni.Description ?? '',
      interfaceType: eni.InterfaceType ?? '',
      requesterManaged: eni.RequesterManaged === true,
      privateIps: (eni.PrivateIpAddresses ?? []).flatMap((ip) => (ip.PrivateIpAddress ? [{ address: ip.PrivateIpAddress, primary: ip.Primary === true }] : [])),
    });
  }
  return [...holders.values()];
}

function toSubnet(raw: Ec2Subnet): Subnet | undefined {
  if (!raw.SubnetId) return undefined;
  return {
    subnetId: raw.SubnetId,
    vpcId: raw.VpcId ?? '',
    cidrBlock: raw.CidrBlock ?? '',
    availabilityZone: raw.AvailabilityZone ?? '',
  };
}
