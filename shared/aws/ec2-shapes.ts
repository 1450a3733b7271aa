/**
 * EC2's answers in the core's model: pure functions from the SDK's shapes (Describe* outputs) to
 * `shared/core/model.ts`, and the request fields a route call takes. No I/O.
 */
import type {
  Address,
  Instance as Ec2Instance,
  InstanceNetworkInterface,
  InstanceStatus,
  NatGateway as Ec2NatGateway,
  NetworkInterface as Ec2NetworkInterface,
  Route as Ec2Route,
  RouteTable as Ec2RouteTable,
  Subnet as Ec2Subnet,
  Tag,
} from '@aws-sdk/client-ec2';
import type { AddressHolder, ElasticIp, Instance, InstanceState, NatGateway, NetworkInterface, Route, RouteDestination, RouteTable, RouteTarget, StatusChecks, Subnet, SwitchTarget } from '../core/model.js';
import { classification } from './instance-class.js';

/** Tags as a record; a key listed twice (impossible in EC2) keeps the last value. */
export function tagsToRecord(tags: readonly Tag[] | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) {
    if (tag.Key !== undefined) record[tag.Key] = tag.Value ?? '';
  }
  return record;
}

const INSTANCE_STATES: ReadonlySet<string> = new Set(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']);

export function toInstance(raw: Ec2Instance): Instance | undefined {
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
export function foldStatusChecks(instances: readonly Instance[], statuses: readonly InstanceStatus[]): Record<string, StatusChecks> {
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

export function toElasticIp(raw: Address): ElasticIp | undefined {
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
export function toAddressHolders(raw: readonly Ec2NetworkInterface[]): AddressHolder[] {
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

export function toSubnet(raw: Ec2Subnet): Subnet | undefined {
  if (!raw.SubnetId) return undefined;
  return {
    subnetId: raw.SubnetId,
    vpcId: raw.VpcId ?? '',
    cidrBlock: raw.CidrBlock ?? '',
    availabilityZone: raw.AvailabilityZone ?? '',
  };
}
