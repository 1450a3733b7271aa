/**
 * EC2 adapter: one batched read of the world, the idempotent switch calls, and a narrow readback.
 * Every call goes through the injected client; failures leave as AwsCallError / ObserveError. The
 * reads are in ec2-reads.ts, the translation of EC2's shapes in ec2-shapes.ts.
 */
import {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RebootInstancesCommand,
  ReplaceRouteCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  type EC2Client,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { AwsCallError, ObserveError } from '../errors.js';
import type { RouteDestination, SwitchTarget, WorldSnapshot } from '../core/model.js';
import { systemClock, type CallOptions, type Clock, type Ec2Action, type Ec2Port, type Enrollment, type ReadBack, type ReadBackQuery } from '../core/ports.js';
import { TAG } from '../core/tags.js';
import { isIpv4 } from '../core/validate.js';
import { type ReadContext, call, describeAddressHolders, describeAddresses, describeInstanceStatus, describeInstances, describeNatGateways, describeRouteTables, describeSubnets } from './ec2-reads.js';
import { destinationFields, foldStatusChecks, tagsToRecord, targetFields, toAddressHolders, toElasticIp, toInstance, toNatGateway, toRouteTable, toSubnet } from './ec2-shapes.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

export { destinationFields, tagsToRecord, targetFields, toNatGateway, toRouteTable } from './ec2-shapes.js';

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

/**
 * What the last read of the instances found: the enrolled instances, the running ones among them
 * (the only ones DescribeInstanceStatus reports), their subnets, and the VIPs their vip groups claim.
 */
export interface ObserveMemory {
  last?: Enrollment & { readonly running: ReadonlySet<string>; readonly subnetIds: ReadonlySet<string>; readonly vips: ReadonlySet<string>; readonly nat?: boolean };
}

export const newObserveMemory = (): ObserveMemory => ({});

/** The adapter's state: its client and tag keys, its clock, and what its last read found. */
interface Adapter extends ReadContext {
  readonly clock: Clock;
  readonly memory: ObserveMemory;
}

/**
 * Creates the EC2 port over an injected client. `observe` reads the world in one concurrent batch
 * of Describe* calls: instances by the group tag, route tables by their tags, the Elastic IPs, and,
 * filtered by the IDs the previous read found, status checks and subnets (only the first read of
 * an execution environment needs a second round for those two, and only new members a follow-up).
 * `enrollment` answers "is this instance enrolled" from that memory while it is fresh, with one
 * DescribeInstances otherwise. `apply` sends one mutation; `readBack` re-reads only what a plan touched.
 */
export function createEc2Port(client: EC2Client, options: Ec2PortOptions = {}): Ec2Port {
  const adapter: Adapter = {
    client,
    groupTagKey: options.groupTagKey ?? DEFAULT_GROUP_TAG_KEY,
    routeTableTagKeys: [...(options.routeTableTagKeys ?? DEFAULT_ROUTE_TABLE_TAG_KEYS)],
    clock: options.clock ?? systemClock,
    memory: options.memory ?? newObserveMemory(),
  };
  return {
    observe: (send) => observe(adapter, send),
    enrollment: (maxAgeMs, send) => enrollment(adapter, maxAgeMs, send),
    apply: (action, send) => apply(adapter, action, send),
    readBack: (query, send) => readBack(adapter, query, send),
  };
}

/** Remembers what a read of the instances found, for the next observe and for `enrollment`. */
function remember({ groupTagKey, memory }: Adapter, raw: readonly Ec2Instance[], at: number): void {
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

async function enrollment(adapter: Adapter, maxAgeMs: number, send: CallOptions = {}): Promise<Enrollment> {
  const { clock, memory } = adapter;
  const known = memory.last;
  if (known && clock.now() - known.at <= maxAgeMs) return known;
  const at = clock.now();
  try {
    remember(adapter, await describeInstances(adapter, send), at);
  } catch (error) {
    if (!(error instanceof AwsCallError)) throw error;
    throw new ObserveError(`reading the enrolled instances failed: ${error.message}`, { context: { operation: error.operation }, retriable: error.retriable, cause: error });
  }
  return memory.last ?? { at, groups: new Map() };
}

async function observe(adapter: Adapter, send: CallOptions = {}): Promise<WorldSnapshot> {
  const { clock, memory } = adapter;
  const observedAt = clock.now();
  const known = memory.last;
  try {
    const [rawInstances, rawRouteTables, rawAddresses, firstStatus, firstSubnets, firstHolders, firstGateways] = await Promise.all([
      describeInstances(adapter, send),
      describeRouteTables(adapter, send),
      describeAddresses(adapter, send),
      known ? describeInstanceStatus(adapter, [...known.running], send) : undefined,
      known ? describeSubnets(adapter, [...known.subnetIds], send) : undefined,
      known && known.vips.size > 0 ? describeAddressHolders(adapter, [...known.vips], send) : undefined,
      known?.nat ? describeNatGateways(adapter, send) : undefined,
    ]);
    remember(adapter, rawInstances, observedAt);
    const now = memory.last ?? { at: observedAt, groups: new Map(), running: new Set<string>(), subnetIds: new Set<string>(), vips: new Set<string>(), nat: false };
    // What the batch could not cover (the first read here, or members that are new since): one more round.
    const statusCovered = firstStatus?.covered ?? new Set<string>();
    const subnetsCovered = known?.subnetIds ?? new Set<string>();
    const vipsCovered = firstHolders ? (known?.vips ?? new Set<string>()) : new Set<string>();
    const [moreStatus, moreSubnets, moreHolders, moreGateways] = await Promise.all([
      describeInstanceStatus(adapter, [...now.running].filter((id) => !statusCovered.has(id)), send),
      describeSubnets(adapter, [...now.subnetIds].filter((id) => !subnetsCovered.has(id)), send),
      describeAddressHolders(adapter, [...now.vips].filter((vip) => !vipsCovered.has(vip)), send),
      !firstGateways && now.nat ? describeNatGateways(adapter, send) : undefined,
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

async function replaceRoute(client: EC2Client, routeTableId: string, destination: RouteDestination, target: SwitchTarget, send: CallOptions): Promise<void> {
  await client.send(
    new ReplaceRouteCommand({
      RouteTableId: routeTableId,
      ...destinationFields(destination),
      ...targetFields(target),
    }),
    { abortSignal: send.signal },
  );
}

async function createRoute(client: EC2Client, routeTableId: string, destination: RouteDestination, target: SwitchTarget, send: CallOptions): Promise<void> {
  await client.send(
    new CreateRouteCommand({
      RouteTableId: routeTableId,
      ...destinationFields(destination),
      ...targetFields(target),
    }),
    { abortSignal: send.signal },
  );
}

async function apply({ client }: Adapter, action: Ec2Action, send: CallOptions = {}): Promise<void> {
  switch (action.type) {
    case 'assign-private-ip':
      return assignPrivateIp(client, action, send);
    case 'associate-address':
      return associateAddress(client, action, send);
    case 'replace-route':
    case 'create-route':
      return switchRoute(client, action, send);
    case 'disable-source-dest-check':
      return disableSourceDestCheck(client, action, send);
    case 'reboot-instance':
    case 'stop-instance':
    case 'start-instance':
      return changeInstanceState(client, action, send);
    default:
      return assertNever(action);
  }
}

type ActionOf<T extends Ec2Action['type']> = Extract<Ec2Action, { type: T }>;

async function assignPrivateIp(client: EC2Client, action: ActionOf<'assign-private-ip'>, send: CallOptions): Promise<void> {
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
}

async function associateAddress(client: EC2Client, action: ActionOf<'associate-address'>, send: CallOptions): Promise<void> {
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
}

/**
 * The plan was made from a snapshot; the route may have appeared or vanished since, so each call
 * falls back to the other on exactly the error that says so.
 */
async function switchRoute(client: EC2Client, action: ActionOf<'replace-route' | 'create-route'>, send: CallOptions): Promise<void> {
  const { routeTableId, destination, target } = action;
  const context = {
    routeTableId,
    destination: destination.value,
    ...(target.kind === 'nat-gateway' ? { natGatewayId: target.natGatewayId } : { networkInterfaceId: target.networkInterfaceId, instanceId: target.instanceId }),
  };
  if (action.type === 'replace-route') {
    try {
      await replaceRoute(client, routeTableId, destination, target, send);
    } catch (error) {
      if (!isMissingRoute(error)) throw toAwsCallError('ReplaceRoute', error, context);
      await call('CreateRoute', context, () => createRoute(client, routeTableId, destination, target, send));
    }
    return;
  }
  try {
    await createRoute(client, routeTableId, destination, target, send);
  } catch (error) {
    if (!isAwsErrorCode(error, 'RouteAlreadyExists')) throw toAwsCallError('CreateRoute', error, context);
    await call('ReplaceRoute', context, () => replaceRoute(client, routeTableId, destination, target, send));
  }
}

async function disableSourceDestCheck(client: EC2Client, action: ActionOf<'disable-source-dest-check'>, send: CallOptions): Promise<void> {
  const context = { networkInterfaceId: action.networkInterfaceId, instanceId: action.instanceId };
  await call('ModifyNetworkInterfaceAttribute', context, () =>
    client.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: action.networkInterfaceId, SourceDestCheck: { Value: false } }), { abortSignal: send.signal }),
  );
}

async function changeInstanceState(client: EC2Client, action: ActionOf<'reboot-instance' | 'stop-instance' | 'start-instance'>, send: CallOptions): Promise<void> {
  const context = { instanceId: action.instanceId };
  const ids = [action.instanceId];
  const options = { abortSignal: send.signal };
  if (action.type === 'reboot-instance') await call('RebootInstances', context, () => client.send(new RebootInstancesCommand({ InstanceIds: ids }), options));
  else if (action.type === 'stop-instance') await call('StopInstances', context, () => client.send(new StopInstancesCommand({ InstanceIds: ids, ...(action.force ? { Force: true } : {}) }), options));
  else await call('StartInstances', context, () => client.send(new StartInstancesCommand({ InstanceIds: ids }), options));
}

async function readBack({ client }: Adapter, query: ReadBackQuery, send: CallOptions = {}): Promise<ReadBack> {
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
