/**
 * The EC2 API over the in-memory VPC: SDK v3 inputs in, SDK v3 output shapes out, EC2 error codes
 * thrown. Only the calls and filters the failover controller has reason to use are modelled;
 * anything else throws VpcWorldUnsupportedError so a test cannot pass on a guess.
 */
import type {
  Address,
  AssignPrivateIpAddressesCommandInput,
  AssignPrivateIpAddressesCommandOutput,
  AssociateAddressCommandInput,
  AssociateAddressCommandOutput,
  CreateRouteCommandInput,
  CreateRouteCommandOutput,
  DeleteRouteCommandInput,
  DeleteRouteCommandOutput,
  DescribeAddressesCommandInput,
  DescribeAddressesCommandOutput,
  DescribeInstanceStatusCommandInput,
  DescribeInstanceStatusCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeNetworkInterfacesCommandInput,
  DescribeNetworkInterfacesCommandOutput,
  DescribeRouteTablesCommandInput,
  DescribeRouteTablesCommandOutput,
  DescribeSubnetsCommandInput,
  DescribeSubnetsCommandOutput,
  DisassociateAddressCommandInput,
  DisassociateAddressCommandOutput,
  Filter,
  Instance,
  InstanceNetworkInterface,
  InstanceStatus,
  ModifyInstanceAttributeCommandInput,
  ModifyInstanceAttributeCommandOutput,
  ModifyNetworkInterfaceAttributeCommandInput,
  ModifyNetworkInterfaceAttributeCommandOutput,
  RebootInstancesCommandInput,
  RebootInstancesCommandOutput,
  StartInstancesCommandInput,
  StartInstancesCommandOutput,
  StopInstancesCommandInput,
  StopInstancesCommandOutput,
  TerminateInstancesCommandInput,
  TerminateInstancesCommandOutput,
  NetworkInterface,
  ReplaceRouteCommandInput,
  ReplaceRouteCommandOutput,
  Route,
  RouteTable,
  Subnet,
  UnassignPrivateIpAddressesCommandInput,
  UnassignPrivateIpAddressesCommandOutput,
} from '@aws-sdk/client-ec2';
import type { InstanceState } from '../shared/core/model.js';
import { ipv4ToInt, parseCidr } from '../shared/core/validate.js';
import type { CheckStatus, EniRec, InstanceRec, RouteRec, RouteTargetRec, RtbRec, SubnetRec, Tags } from './core.js';
import { STATE_CODES, subnetHostRange, tagList } from './core.js';
import { type DestinationInput, destinationOf as parseDestination, destinationShape, kindOf } from './destinations.js';
import { VpcWorldUnsupportedError, ec2Error } from './errors.js';
import type { WorldModel } from './model.js';

/** An SDK output without the `$metadata` the dispatcher adds. */
export type Out<T> = Omit<T, '$metadata'>;

// ---- filters and pagination, shared by the Describe* calls ----

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${escaped}$`, 's');
}

type FilterFields<T> = Readonly<Record<string, (item: T) => readonly (string | undefined)[]>>;

/**
 * EC2 filter semantics: filters are ANDed, the values of one filter ORed, `*` and `?` are
 * wildcards, `tag:<key>` matches that tag's value and `tag-key` any tag key.
 */
export function applyFilters<T>(operation: string, items: readonly T[], filters: readonly Filter[] | undefined, fields: FilterFields<T>, tagsOf: (item: T) => Tags): T[] {
  let result = [...items];
  for (const filter of filters ?? []) {
    const name = filter.Name ?? '';
    const values = filter.Values ?? [];
    if (values.length === 0) throw ec2Error('InvalidParameterValue', `The filter '${name}' requires at least one value`);
    const patterns = values.map(globToRegExp);
    const matches = (candidates: readonly (string | undefined)[]): boolean =>
      candidates.some((candidate) => candidate !== undefined && patterns.some((pattern) => pattern.test(candidate)));
    let extract: (item: T) => readonly (string | undefined)[];
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      extract = (item) => [tagsOf(item)[key]];
    } else if (name === 'tag-key') {
      extract = (item) => Object.keys(tagsOf(item));
    } else if (name === 'tag-value') {
      extract = (item) => Object.values(tagsOf(item));
    } else {
      const field = fields[name];
      if (!field) throw new VpcWorldUnsupportedError(`${operation} filter '${name}' (supported: ${Object.keys(fields).join(', ')}, tag:<key>, tag-key, tag-value)`);
      extract = field;
    }
    result = result.filter((item) => matches(extract(item)));
  }
  return result;
}

interface PageInput {
  readonly MaxResults?: number | undefined;
  readonly NextToken?: string | undefined;
}

/**
 * Pages as EC2 does, with the world's page size as a cap so pagination is always exercised when
 * no explicit IDs are given. The token is opaque and bound to the operation.
 */
export function paginate<T>(world: WorldModel, operation: string, items: readonly T[], input: PageInput, limits: { min: number; max: number }, explicitIds: boolean): { page: T[]; NextToken?: string } {
  if (input.MaxResults !== undefined && (input.MaxResults < limits.min || input.MaxResults > limits.max)) {
    throw ec2Error('InvalidParameterValue', `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`);
  }
  let offset = 0;
  if (input.NextToken !== undefined) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(input.NextToken, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const token = decoded as { op?: unknown; offset?: unknown } | undefined;
    if (token?.op !== operation || typeof token.offset !== 'number') throw ec2Error('InvalidPaginationToken', `Invalid pagination token: ${input.NextToken}`);
    offset = token.offset;
  }
  if (explicitIds && input.MaxResults === undefined && input.NextToken === undefined) return { page: [...items] };
  const size = Math.min(input.MaxResults ?? Number.POSITIVE_INFINITY, world.options.pageSize);
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  if (next >= items.length) return { page };
  return { page, NextToken: Buffer.from(JSON.stringify({ op: operation, offset: next }), 'utf8').toString('base64url') };
}

// ---- shapes ----

const dnsName = (ip: string): string => `ip-${ip.replaceAll('.', '-')}.ec2.internal`;

function visibleIps(world: WorldModel, eni: EniRec): { ip: string; primary: boolean }[] {
  return [{ ip: eni.primaryIp, primary: true }, ...world.secondariesOf(eni.id, 'visible').map((ip) => ({ ip, primary: false }))];
}

function instanceInterface(world: WorldModel, eni: EniRec): InstanceNetworkInterface {
  const ips = visibleIps(world, eni).map(({ ip, primary }) => {
    const eip = world.eipsOn(eni.id, ip)[0];
    return {
      PrivateIpAddress: ip,
      PrivateDnsName: dnsName(ip),
      Primary: primary,
      ...(eip ? { Association: { PublicIp: eip.publicIp, PublicDnsName: '', IpOwnerId: world.options.accountId } } : {}),
    };
  });
  const primaryAssociation = ips[0]?.Association;
  return {
    NetworkInterfaceId: eni.id,
    SubnetId: eni.subnetId,
    VpcId: eni.vpcId,
    MacAddress: eni.mac,
    OwnerId: world.options.accountId,
    Status: 'in-use',
    SourceDestCheck: eni.sourceDestCheck,
    PrivateIpAddress: eni.primaryIp,
    PrivateDnsName: dnsName(eni.primaryIp),
    PrivateIpAddresses: ips,
    ...(primaryAssociation ? { Association: primaryAssociation } : {}),
    Attachment: eni.attachment && {
      AttachmentId: eni.attachment.attachmentId,
      DeviceIndex: eni.attachment.deviceIndex,
      NetworkCardIndex: 0,
      Status: 'attached',
      AttachTime: eni.attachment.attachTime,
      DeleteOnTermination: eni.attachment.deleteOnTermination,
    },
    Groups: [],
    Ipv6Addresses: [],
    InterfaceType: eni.interfaceType,
    Description: eni.description,
  };
}

function instanceShape(world: WorldModel, instance: InstanceRec): Instance {
  const enis = world.enisOf(instance.id);
  const primary = enis.find((eni) => eni.attachment?.deviceIndex === 0);
  const publicIp = primary ? world.eipsOn(primary.id, primary.primaryIp)[0]?.publicIp : undefined;
  const gone = instance.state === 'terminated';
  return {
    InstanceId: instance.id,
    ImageId: 'ami-00000000000000001',
    InstanceType: 't3.micro',
    LaunchTime: instance.launchTime,
    Placement: { AvailabilityZone: instance.az, Tenancy: 'default' },
    State: { Code: STATE_CODES[instance.state], Name: instance.state },
    StateTransitionReason: '',
    PrivateDnsName: primary ? dnsName(primary.primaryIp) : '',
    ...(primary ? { PrivateIpAddress: primary.primaryIp, SourceDestCheck: primary.sourceDestCheck } : {}),
    ...(publicIp === undefined ? {} : { PublicIpAddress: publicIp }),
    ...(gone ? {} : { SubnetId: instance.subnetId, VpcId: instance.vpcId }),
    ...(Object.keys(instance.tags).length > 0 ? { Tags: tagList(instance.tags) } : {}),
    NetworkInterfaces: enis.map((eni) => instanceInterface(world, eni)),
    Architecture: 'x86_64',
    RootDeviceType: instance.rootDeviceType,
    VirtualizationType: 'hvm',
    ...(instance.spot ? { InstanceLifecycle: 'spot', SpotInstanceRequestId: instance.spot.requestId } : {}),
    ...(instance.stateReason ? { StateReason: { Code: instance.stateReason.code, Message: instance.stateReason.message } } : {}),
  };
}

function networkInterfaceShape(world: WorldModel, eni: EniRec): NetworkInterface {
  const ips = visibleIps(world, eni).map(({ ip, primary }) => {
    const eip = world.eipsOn(eni.id, ip)[0];
    const view = eip ? world.eipView(eip) : undefined;
    return {
      PrivateIpAddress: ip,
      PrivateDnsName: dnsName(ip),
      Primary: primary,
      ...(eip && view
        ? { Association: { AllocationId: eip.allocationId, AssociationId: view.associationId, PublicIp: eip.publicIp, PublicDnsName: '', IpOwnerId: world.options.accountId } }
        : {}),
    };
  });
  const primaryAssociation = ips[0]?.Association;
  return {
    NetworkInterfaceId: eni.id,
    SubnetId: eni.subnetId,
    VpcId: eni.vpcId,
    AvailabilityZone: eni.az,
    MacAddress: eni.mac,
    OwnerId: world.options.accountId,
    Status: eni.attachment ? 'in-use' : 'available',
    SourceDestCheck: eni.sourceDestCheck,
    PrivateIpAddress: eni.primaryIp,
    PrivateDnsName: dnsName(eni.primaryIp),
    PrivateIpAddresses: ips,
    ...(primaryAssociation ? { Association: primaryAssociation } : {}),
    ...(eni.attachment
      ? {
          Attachment: {
            AttachmentId: eni.attachment.attachmentId,
            InstanceId: eni.attachment.instanceId,
            InstanceOwnerId: world.options.accountId,
            DeviceIndex: eni.attachment.deviceIndex,
            NetworkCardIndex: 0,
            Status: 'attached',
            AttachTime: eni.attachment.attachTime,
            DeleteOnTermination: eni.attachment.deleteOnTermination,
          },
        }
      : {}),
    InterfaceType: eni.interfaceType as NetworkInterface['InterfaceType'],
    Description: eni.description,
    RequesterManaged: eni.requesterManaged,
    Groups: [],
    Ipv6Addresses: [],
    TagSet: tagList(eni.tags),
  };
}

function routeShape(world: WorldModel, route: RouteRec): Route {
  const target = route.target;
  let fields: Partial<Route>;
  if (target.kind === 'eni') {
    const instanceId = world.enis.get(target.networkInterfaceId)?.attachment?.instanceId;
    fields = {
      NetworkInterfaceId: target.networkInterfaceId,
      ...(instanceId === undefined ? {} : { InstanceId: instanceId, InstanceOwnerId: world.options.accountId }),
    };
  } else if (target.kind === 'gateway') {
    fields = { GatewayId: target.gatewayId };
  } else {
    fields = { NatGatewayId: target.natGatewayId };
  }
  return { ...destinationShape(route), ...fields, Origin: route.origin, State: world.routeState(route) };
}

function routeTableShape(world: WorldModel, table: RtbRec): RouteTable {
  return {
    RouteTableId: table.id,
    VpcId: table.vpcId,
    OwnerId: world.options.accountId,
    Tags: tagList(table.tags),
    Routes: table.routes.map((route) => routeShape(world, route)),
    Associations: table.associations.map((association) => ({
      RouteTableAssociationId: association.id,
      RouteTableId: table.id,
      Main: association.main,
      ...(association.subnetId === undefined ? {} : { SubnetId: association.subnetId }),
      AssociationState: { State: 'associated' },
    })),
    PropagatingVgws: [],
  };
}

function addressShape(world: WorldModel, allocationId: string): Address {
  const eip = world.eip(allocationId);
  const view = world.eipView(eip);
  return {
    AllocationId: eip.allocationId,
    PublicIp: eip.publicIp,
    Domain: 'vpc',
    PublicIpv4Pool: 'amazon',
    NetworkBorderGroup: world.options.region,
    ...(view
      ? {
          AssociationId: view.associationId,
          NetworkInterfaceId: view.networkInterfaceId,
          NetworkInterfaceOwnerId: world.options.accountId,
          PrivateIpAddress: view.privateIp,
          ...(view.instanceId === undefined ? {} : { InstanceId: view.instanceId }),
        }
      : {}),
    ...(Object.keys(eip.tags).length > 0 ? { Tags: tagList(eip.tags) } : {}),
  };
}

function subnetShape(world: WorldModel, subnet: SubnetRec): Subnet {
  const { first, last } = subnetHostRange(subnet.cidr);
  return {
    SubnetId: subnet.id,
    SubnetArn: `arn:aws:ec2:${world.options.region}:${world.options.accountId}:subnet/${subnet.id}`,
    VpcId: subnet.vpcId,
    CidrBlock: subnet.cidr,
    AvailabilityZone: subnet.az,
    AvailabilityZoneId: `use1-az${subnet.az.slice(-1).charCodeAt(0) - 96}`,
    State: 'available',
    AvailableIpAddressCount: last - first + 1 - world.usedIps(subnet.id).size,
    DefaultForAz: false,
    MapPublicIpOnLaunch: false,
    OwnerId: world.options.accountId,
    Tags: tagList(subnet.tags),
  };
}

const CHECK_DETAIL: Readonly<Record<CheckStatus, string>> = {
  ok: 'passed',
  impaired: 'failed',
  initializing: 'initializing',
  'insufficient-data': 'insufficient-data',
};

function statusShape(instance: InstanceRec): InstanceStatus {
  const summary = (check: CheckStatus) =>
    instance.state === 'running' ? { Status: check, Details: [{ Name: 'reachability' as const, Status: CHECK_DETAIL[check] as 'passed' }] } : { Status: 'not-applicable' as const };
  return {
    InstanceId: instance.id,
    AvailabilityZone: instance.az,
    InstanceState: { Code: STATE_CODES[instance.state], Name: instance.state },
    InstanceStatus: summary(instance.instanceCheck),
    SystemStatus: summary(instance.systemCheck),
  };
}

const instanceStatusText = (instance: InstanceRec, check: CheckStatus): string => (instance.state === 'running' ? check : 'not-applicable');

// ---- Describe* ----

export function describeInstances(world: WorldModel, input: DescribeInstancesCommandInput): Out<DescribeInstancesCommandOutput> {
  const ids = input.InstanceIds ?? [];
  if (ids.length > 0 && input.MaxResults !== undefined) throw ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  const candidates = ids.length > 0 ? world.requireAll(ids, (id) => world.instances.get(id), 'i', 'InvalidInstanceID', 'instance') : [...world.instances.values()];
  const items = applyFilters(
    'DescribeInstances',
    candidates,
    input.Filters,
    {
      'instance-id': (i) => [i.id],
      'instance-state-name': (i) => [i.state],
      'instance-state-code': (i) => [String(STATE_CODES[i.state])],
      'availability-zone': (i) => [i.az],
      'vpc-id': (i) => (i.state === 'terminated' ? [] : [i.vpcId]),
      'subnet-id': (i) => (i.state === 'terminated' ? [] : [i.subnetId]),
      'private-ip-address': (i) => [world.primaryEni(i.id)?.primaryIp],
      'network-interface.network-interface-id': (i) => world.enisOf(i.id).map((eni) => eni.id),
      'network-interface.addresses.private-ip-address': (i) => world.enisOf(i.id).flatMap((eni) => visibleIps(world, eni).map(({ ip }) => ip)),
    },
    (i) => i.tags,
  );
  const { page, NextToken } = paginate(world, 'DescribeInstances', items, input, { min: 5, max: 1000 }, ids.length > 0);
  return {
    Reservations: page.map((instance) => ({
      ReservationId: instance.reservationId,
      OwnerId: world.options.accountId,
      Groups: [],
      Instances: [instanceShape(world, instance)],
    })),
    ...(NextToken === undefined ? {} : { NextToken }),
  };
}

export function describeInstanceStatus(world: WorldModel, input: DescribeInstanceStatusCommandInput): Out<DescribeInstanceStatusCommandOutput> {
  const ids = input.InstanceIds ?? [];
  if (ids.length > 0 && input.MaxResults !== undefined) throw ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  const candidates = ids.length > 0 ? world.requireAll(ids, (id) => world.instances.get(id), 'i', 'InvalidInstanceID', 'instance') : [...world.instances.values()];
  const shown = input.IncludeAllInstances === true ? candidates : candidates.filter((i) => i.state === 'running');
  const items = applyFilters(
    'DescribeInstanceStatus',
    shown,
    input.Filters,
    {
      'instance-state-name': (i) => [i.state],
      'instance-state-code': (i) => [String(STATE_CODES[i.state])],
      'availability-zone': (i) => [i.az],
      'instance-status.status': (i) => [instanceStatusText(i, i.instanceCheck)],
      'system-status.status': (i) => [instanceStatusText(i, i.systemCheck)],
      'instance-status.reachability': (i) => [i.state === 'running' ? CHECK_DETAIL[i.instanceCheck] : undefined],
      'system-status.reachability': (i) => [i.state === 'running' ? CHECK_DETAIL[i.systemCheck] : undefined],
    },
    () => ({}),
  );
  const { page, NextToken } = paginate(world, 'DescribeInstanceStatus', items, input, { min: 5, max: 1000 }, ids.length > 0);
  return { InstanceStatuses: page.map(statusShape), ...(NextToken === undefined ? {} : { NextToken }) };
}

export function describeRouteTables(world: WorldModel, input: DescribeRouteTablesCommandInput): Out<DescribeRouteTablesCommandOutput> {
  const ids = input.RouteTableIds ?? [];
  const candidates = ids.length > 0 ? world.requireAll(ids, (id) => world.routeTables.get(id), 'rtb', 'InvalidRouteTableID', 'routeTable') : [...world.routeTables.values()];
  const items = applyFilters(
    'DescribeRouteTables',
    candidates,
    input.Filters,
    {
      'route-table-id': (t) => [t.id],
      'vpc-id': (t) => [t.vpcId],
      'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
      'association.main': (t) => [String(t.associations.some((a) => a.main))],
      'route.destination-cidr-block': (t) => t.routes.map((r) => (kindOf(r) === 'ipv4' ? r.destination : undefined)),
      'route.destination-ipv6-cidr-block': (t) => t.routes.map((r) => (kindOf(r) === 'ipv6' ? r.destination : undefined)),
      'route.destination-prefix-list-id': (t) => t.routes.map((r) => (kindOf(r) === 'prefix-list' ? r.destination : undefined)),
      'route.network-interface-id': (t) => t.routes.map((r) => (r.target.kind === 'eni' ? r.target.networkInterfaceId : undefined)),
      'route.instance-id': (t) => t.routes.map((r) => (r.target.kind === 'eni' ? world.enis.get(r.target.networkInterfaceId)?.attachment?.instanceId : undefined)),
      'route.gateway-id': (t) => t.routes.map((r) => (r.target.kind === 'gateway' ? r.target.gatewayId : undefined)),
      'route.state': (t) => t.routes.map((r) => world.routeState(r)),
    },
    (t) => t.tags,
  );
  const { page, NextToken } = paginate(world, 'DescribeRouteTables', items, input, { min: 5, max: 100 }, ids.length > 0);
  return { RouteTables: page.map((table) => routeTableShape(world, table)), ...(NextToken === undefined ? {} : { NextToken }) };
}

export function describeAddresses(world: WorldModel, input: DescribeAddressesCommandInput): Out<DescribeAddressesCommandOutput> {
  const ids = input.AllocationIds ?? [];
  let candidates = ids.length > 0 ? world.requireAll(ids, (id) => world.eips.get(id), 'eipalloc', 'InvalidAllocationID', 'allocation') : [...world.eips.values()];
  const publicIps = input.PublicIps ?? [];
  if (publicIps.length > 0) {
    const missing = publicIps.filter((ip) => ![...world.eips.values()].some((eip) => eip.publicIp === ip));
    if (missing.length > 0) throw ec2Error('InvalidAddress.NotFound', `Address '${missing.join(', ')}' not found.`);
    candidates = candidates.filter((eip) => publicIps.includes(eip.publicIp));
  }
  const items = applyFilters(
    'DescribeAddresses',
    candidates,
    input.Filters,
    {
      'allocation-id': (e) => [e.allocationId],
      'public-ip': (e) => [e.publicIp],
      domain: () => ['vpc'],
      'association-id': (e) => [world.eipView(e)?.associationId],
      'network-interface-id': (e) => [world.eipView(e)?.networkInterfaceId],
      'private-ip-address': (e) => [world.eipView(e)?.privateIp],
      'instance-id': (e) => [world.eipView(e)?.instanceId],
      'network-interface-owner-id': (e) => [world.eipView(e) ? world.options.accountId : undefined],
    },
    (e) => e.tags,
  );
  return { Addresses: items.map((eip) => addressShape(world, eip.allocationId)) };
}

export function describeSubnets(world: WorldModel, input: DescribeSubnetsCommandInput): Out<DescribeSubnetsCommandOutput> {
  const ids = input.SubnetIds ?? [];
  const candidates = ids.length > 0 ? world.requireAll(ids, (id) => world.subnets.get(id), 'subnet', 'InvalidSubnetID', 'subnet') : [...world.subnets.values()];
  const items = applyFilters(
    'DescribeSubnets',
    candidates,
    input.Filters,
    {
      'subnet-id': (s) => [s.id],
      'vpc-id': (s) => [s.vpcId],
      'availability-zone': (s) => [s.az],
      'cidr-block': (s) => [s.cidr],
      cidrBlock: (s) => [s.cidr],
      state: () => ['available'],
    },
    (s) => s.tags,
  );
  const { page, NextToken } = paginate(world, 'DescribeSubnets', items, input, { min: 5, max: 1000 }, ids.length > 0);
  return { Subnets: page.map((subnet) => subnetShape(world, subnet)), ...(NextToken === undefined ? {} : { NextToken }) };
}

export function describeNetworkInterfaces(world: WorldModel, input: DescribeNetworkInterfacesCommandInput): Out<DescribeNetworkInterfacesCommandOutput> {
  const ids = input.NetworkInterfaceIds ?? [];
  const candidates = ids.length > 0 ? world.requireAll(ids, (id) => world.enis.get(id), 'eni', 'InvalidNetworkInterfaceID', 'networkInterface') : [...world.enis.values()];
  const items = applyFilters(
    'DescribeNetworkInterfaces',
    candidates,
    input.Filters,
    {
      'network-interface-id': (e) => [e.id],
      'attachment.instance-id': (e) => [e.attachment?.instanceId],
      'attachment.device-index': (e) => [e.attachment ? String(e.attachment.deviceIndex) : undefined],
      'subnet-id': (e) => [e.subnetId],
      'vpc-id': (e) => [e.vpcId],
      'availability-zone': (e) => [e.az],
      'mac-address': (e) => [e.mac],
      status: (e) => [e.attachment ? 'in-use' : 'available'],
      'private-ip-address': (e) => visibleIps(world, e).map(({ ip }) => ip),
      'addresses.private-ip-address': (e) => visibleIps(world, e).map(({ ip }) => ip),
    },
    (e) => e.tags,
  );
  const { page, NextToken } = paginate(world, 'DescribeNetworkInterfaces', items, input, { min: 5, max: 1000 }, ids.length > 0);
  return { NetworkInterfaces: page.map((eni) => networkInterfaceShape(world, eni)), ...(NextToken === undefined ? {} : { NextToken }) };
}

// ---- private addresses ----

export function assignPrivateIpAddresses(world: WorldModel, input: AssignPrivateIpAddressesCommandInput): Out<AssignPrivateIpAddressesCommandOutput> {
  if (input.Ipv4Prefixes !== undefined || input.Ipv4PrefixCount !== undefined) throw new VpcWorldUnsupportedError('AssignPrivateIpAddresses with IPv4 prefixes');
  if (input.NetworkInterfaceId === undefined) throw ec2Error('MissingParameter', "The request must contain the parameter networkInterfaceId");
  const eni = world.eni(input.NetworkInterfaceId);
  const subnet = world.subnet(eni.subnetId);
  const requested = input.PrivateIpAddresses ?? [];
  const count = input.SecondaryPrivateIpAddressCount;
  if (requested.length > 0 && count !== undefined) throw ec2Error('InvalidParameterCombination', 'You may specify either private IP addresses or a secondary private IP address count, not both');
  if (requested.length === 0 && count === undefined) throw ec2Error('MissingParameter', 'Either privateIpAddress or secondaryPrivateIpAddressCount must be specified');
  const reassign = input.AllowReassignment === true;
  // Validate everything before changing anything: EC2 applies the call whole or not at all.
  for (const ip of requested) {
    const problem = world.addressProblem(subnet, ip);
    if (problem) throw ec2Error('InvalidParameterValue', problem);
    const primaryOwner = world.primaryOwner(ip);
    if (primaryOwner?.id === eni.id) throw ec2Error('InvalidParameterValue', `Address ${ip} is already the primary private IP address of ${eni.id}`);
    if (primaryOwner) throw ec2Error('PrivateIpAddressInUse', `The specified private IP address ${ip} is already assigned to a resource as its primary address`);
    const holder = world.secondaryHolder(ip, 'truth');
    if (holder !== undefined && holder !== eni.id && !reassign) {
      throw ec2Error('PrivateIpAddressInUse', `The specified private IP address ${ip} is already assigned to a resource`);
    }
  }
  const assigned = [...requested];
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 1) throw ec2Error('InvalidParameterValue', `Invalid value '${count}' for secondaryPrivateIpAddressCount`);
    for (let k = 0; k < count; k += 1) {
      const ip = world.freeIp(subnet.id);
      world.setSecondaryHolder(ip, eni.id, world.visibilityDelayMs());
      assigned.push(ip);
    }
  }
  for (const ip of requested) {
    if (world.secondaryHolder(ip, 'truth') !== eni.id) world.setSecondaryHolder(ip, eni.id, world.visibilityDelayMs());
  }
  return { NetworkInterfaceId: eni.id, AssignedPrivateIpAddresses: assigned.map((ip) => ({ PrivateIpAddress: ip })), AssignedIpv4Prefixes: [] };
}

export function unassignPrivateIpAddresses(world: WorldModel, input: UnassignPrivateIpAddressesCommandInput): Out<UnassignPrivateIpAddressesCommandOutput> {
  if (input.Ipv4Prefixes !== undefined) throw new VpcWorldUnsupportedError('UnassignPrivateIpAddresses with IPv4 prefixes');
  if (input.NetworkInterfaceId === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter networkInterfaceId');
  const eni = world.eni(input.NetworkInterfaceId);
  const ips = input.PrivateIpAddresses ?? [];
  if (ips.length === 0) throw ec2Error('MissingParameter', 'The request must contain the parameter privateIpAddress');
  if (ips.includes(eni.primaryIp)) throw ec2Error('InvalidParameterValue', `The primary private IP address ${eni.primaryIp} cannot be unassigned`);
  if (ips.some((ip) => world.secondaryHolder(ip, 'truth') !== eni.id)) {
    throw ec2Error('InvalidParameterValue', `Some of the specified addresses are not assigned to interface ${eni.id}`);
  }
  for (const ip of ips) world.setSecondaryHolder(ip, undefined, world.visibilityDelayMs());
  return {};
}

// ---- Elastic IPs ----

export function associateAddress(world: WorldModel, input: AssociateAddressCommandInput): Out<AssociateAddressCommandOutput> {
  if (input.AllocationId === undefined) {
    if (input.PublicIp !== undefined) throw new VpcWorldUnsupportedError('AssociateAddress by PublicIp (EC2-Classic style); pass AllocationId');
    throw ec2Error('MissingParameter', 'The request must contain the parameter allocationId');
  }
  const eip = world.eip(input.AllocationId);
  let eni: EniRec;
  if (input.NetworkInterfaceId !== undefined) {
    eni = world.eni(input.NetworkInterfaceId);
    if (input.InstanceId !== undefined && eni.attachment?.instanceId !== input.InstanceId) {
      throw ec2Error('InvalidParameterCombination', `Network interface ${eni.id} is not attached to instance ${input.InstanceId}`);
    }
  } else if (input.InstanceId !== undefined) {
    const instance = world.instance(input.InstanceId);
    if (instance.state === 'terminated' || instance.state === 'shutting-down') {
      throw ec2Error('IncorrectInstanceState', `The instance '${instance.id}' is not in a valid state for this operation.`);
    }
    const enis = world.enisOf(instance.id);
    if (enis.length > 1) throw ec2Error('InvalidInstanceID', `There are multiple interfaces attached to instance '${instance.id}'. Please specify an interface ID for the operation instead.`);
    const primary = enis[0];
    if (!primary) throw ec2Error('IncorrectInstanceState', `The instance '${instance.id}' has no network interface.`);
    eni = primary;
  } else {
    throw ec2Error('MissingParameter', 'Either instance ID or network interface ID must be specified');
  }
  const privateIp = input.PrivateIpAddress ?? eni.primaryIp;
  if (privateIp !== eni.primaryIp && world.secondaryHolder(privateIp, 'truth') !== eni.id) {
    throw ec2Error('InvalidParameterValue', `The private IP address ${privateIp} is not assigned to network interface ${eni.id}`);
  }
  if (eip.association && input.AllowReassociation !== true) {
    throw ec2Error('Resource.AlreadyAssociated', `resource ${eip.allocationId} is already associated with associate-id ${eip.association.associationId}`);
  }
  // The address's previous Elastic IP, if any, is displaced but stays allocated.
  for (const other of world.eips.values()) {
    if (other !== eip && other.association?.networkInterfaceId === eni.id && other.association.privateIp === privateIp) other.association = undefined;
  }
  const associationId = world.nextId('eipassoc');
  eip.association = { associationId, networkInterfaceId: eni.id, privateIp };
  return { AssociationId: associationId };
}

export function disassociateAddress(world: WorldModel, input: DisassociateAddressCommandInput): Out<DisassociateAddressCommandOutput> {
  if (input.AssociationId !== undefined) {
    const associationId = input.AssociationId;
    world.checkIdFormat(associationId, 'eipassoc', 'InvalidAssociationID');
    const eip = [...world.eips.values()].find((candidate) => candidate.association?.associationId === associationId);
    if (!eip) throw ec2Error('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
    eip.association = undefined;
    return {};
  }
  if (input.PublicIp === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter AssociationId');
  const eip = [...world.eips.values()].find((candidate) => candidate.publicIp === input.PublicIp);
  if (!eip) throw ec2Error('InvalidAddress.NotFound', `Address '${input.PublicIp}' not found.`);
  eip.association = undefined;
  return {};
}

// ---- routes ----

function routeTargetFrom(world: WorldModel, table: RtbRec, input: CreateRouteCommandInput | ReplaceRouteCommandInput): RouteTargetRec {
  const unsupported = (['TransitGatewayId', 'VpcPeeringConnectionId', 'EgressOnlyInternetGatewayId', 'LocalGatewayId', 'CarrierGatewayId', 'VpcEndpointId', 'CoreNetworkArn', 'OdbNetworkArn'] as const).filter(
    (key) => (input as unknown as Record<string, unknown>)[key] !== undefined,
  );
  if (unsupported.length > 0) throw new VpcWorldUnsupportedError(`route target ${unsupported.join(', ')}`);
  const given = (['NetworkInterfaceId', 'InstanceId', 'GatewayId', 'NatGatewayId'] as const).filter((key) => input[key] !== undefined);
  if (given.length === 0) throw ec2Error('MissingParameter', 'The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, instanceId');
  if (given.length > 1) throw ec2Error('InvalidParameterCombination', `Only one of ${given.join(', ')} may be specified`);
  let eni: EniRec | undefined;
  if (input.NetworkInterfaceId !== undefined) {
    eni = world.eni(input.NetworkInterfaceId);
  } else if (input.InstanceId !== undefined) {
    const instance = world.instance(input.InstanceId);
    const enis = world.enisOf(instance.id);
    if (enis.length > 1) throw ec2Error('InvalidInstanceID', `There are multiple interfaces attached to instance '${instance.id}'. Please specify an interface ID for the operation instead.`);
    eni = enis[0];
    if (!eni) throw ec2Error('IncorrectInstanceState', `The instance '${instance.id}' has no network interface.`);
  } else if (input.GatewayId !== undefined) {
    return { kind: 'gateway', gatewayId: input.GatewayId };
  } else if (input.NatGatewayId !== undefined) {
    const gateway = world.natGateways.get(input.NatGatewayId);
    if (!gateway) throw ec2Error('InvalidNatGatewayID.NotFound', `The natGateway ID '${input.NatGatewayId}' does not exist`);
    if (gateway.vpcId !== table.vpcId) throw ec2Error('InvalidParameterValue', `route table ${table.id} and NAT gateway ${gateway.id} belong to different networks`);
    // A NAT gateway translates IPv4, and IPv6 only to NAT64's 64:ff9b::/96: the world refuses any other IPv6 route to one.
    if (input.DestinationIpv6CidrBlock !== undefined && input.DestinationIpv6CidrBlock !== '64:ff9b::/96') throw ec2Error('InvalidParameterValue', `NAT gateway ${gateway.id} cannot route ${input.DestinationIpv6CidrBlock}`);
    return { kind: 'nat-gateway', natGatewayId: input.NatGatewayId };
  }
  if (!eni) throw ec2Error('MissingParameter', 'No route target');
  if (eni.vpcId !== table.vpcId) throw ec2Error('InvalidParameterValue', `route table ${table.id} and network interface ${eni.id} belong to different networks`);
  return { kind: 'eni', networkInterfaceId: eni.id };
}

/** The request's one destination (sim/destinations.ts), as the route record keeps it. */
function destinationOf(world: WorldModel, input: DestinationInput): Pick<RouteRec, 'destination' | 'destinationKind'> {
  const { kind, value } = parseDestination(input, (id) => world.prefixLists.has(id));
  return kind === 'ipv4' ? { destination: value } : { destination: value, destinationKind: kind };
}

export function createRoute(world: WorldModel, input: CreateRouteCommandInput): Out<CreateRouteCommandOutput> {
  if (input.RouteTableId === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter routeTableId');
  const table = world.routeTable(input.RouteTableId);
  const dest = destinationOf(world, input);
  const destination = dest.destination;
  const target = routeTargetFrom(world, table, input);
  if (table.routes.some((route) => route.destination === destination)) throw ec2Error('RouteAlreadyExists', `The route identified by ${destination} already exists.`);
  table.routes.push({ ...dest, target, origin: 'CreateRoute' });
  world.emitChange({ kind: 'route', routeTableId: table.id, destination, target });
  return { Return: true };
}

export function replaceRoute(world: WorldModel, input: ReplaceRouteCommandInput): Out<ReplaceRouteCommandOutput> {
  if (input.RouteTableId === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter routeTableId');
  const table = world.routeTable(input.RouteTableId);
  const { destination } = destinationOf(world, input);
  const route = table.routes.find((candidate) => candidate.destination === destination);
  // EC2 answers a missing route with InvalidParameterValue here, not DeleteRoute's InvalidRoute.NotFound.
  if (!route) throw ec2Error('InvalidParameterValue', `There is no route defined for '${destination}' in the route table. Use CreateRoute instead.`);
  if (route.origin === 'CreateRouteTable') throw ec2Error('InvalidParameterValue', `Cannot replace local route ${destination} in route table ${table.id}`);
  route.target = routeTargetFrom(world, table, input);
  world.emitChange({ kind: 'route', routeTableId: table.id, destination, target: route.target });
  return {};
}

export function deleteRoute(world: WorldModel, input: DeleteRouteCommandInput): Out<DeleteRouteCommandOutput> {
  if (input.RouteTableId === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter routeTableId');
  const table = world.routeTable(input.RouteTableId);
  const { destination } = destinationOf(world, input);
  const index = table.routes.findIndex((candidate) => candidate.destination === destination);
  const route = table.routes[index];
  if (!route) throw ec2Error('InvalidRoute.NotFound', `no route with destination-cidr-block ${destination} in route table ${table.id}`);
  if (route.origin === 'CreateRouteTable') throw ec2Error('InvalidParameterValue', `cannot remove local route ${destination} in route table ${table.id}`);
  table.routes.splice(index, 1);
  world.emitChange({ kind: 'route', routeTableId: table.id, destination, target: undefined });
  return {};
}

// ---- attributes ----

export function modifyNetworkInterfaceAttribute(world: WorldModel, input: ModifyNetworkInterfaceAttributeCommandInput): Out<ModifyNetworkInterfaceAttributeCommandOutput> {
  if (input.NetworkInterfaceId === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter networkInterfaceId');
  const eni = world.eni(input.NetworkInterfaceId);
  const others = (['Description', 'Groups', 'Attachment', 'EnaSrdSpecification', 'EnablePrimaryIpv6', 'ConnectionTrackingSpecification', 'AssociatePublicIpAddress', 'AssociatedSubnetIds'] as const).filter(
    (key) => (input as unknown as Record<string, unknown>)[key] !== undefined,
  );
  if (others.length > 0) throw new VpcWorldUnsupportedError(`ModifyNetworkInterfaceAttribute ${others.join(', ')}`);
  const value = input.SourceDestCheck?.Value;
  if (value === undefined) throw ec2Error('MissingParameter', 'The request must contain exactly one attribute to modify');
  eni.sourceDestCheck = value;
  return {};
}

export function modifyInstanceAttribute(world: WorldModel, input: ModifyInstanceAttributeCommandInput): Out<ModifyInstanceAttributeCommandOutput> {
  if (input.InstanceId === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter instanceId');
  const instance = world.instance(input.InstanceId);
  let value = input.SourceDestCheck?.Value;
  if (value === undefined && input.Attribute === 'sourceDestCheck' && input.Value !== undefined) {
    if (input.Value !== 'true' && input.Value !== 'false') throw ec2Error('InvalidParameterValue', `Value (${input.Value}) for parameter value is invalid. Expected: 'true' or 'false'.`);
    value = input.Value === 'true';
  }
  if (value === undefined) throw new VpcWorldUnsupportedError('ModifyInstanceAttribute other than SourceDestCheck');
  const primary = world.primaryEni(instance.id);
  if (!primary) throw ec2Error('IncorrectInstanceState', `The instance '${instance.id}' is not in a valid state for this operation.`);
  primary.sourceDestCheck = value;
  return {};
}

// ---- instance lifecycle (remediation) ----

type StateChange = { InstanceId: string; CurrentState: { Code: number; Name: InstanceState }; PreviousState: { Code: number; Name: InstanceState } };

function changes(world: WorldModel, ids: readonly string[] | undefined, change: (instance: InstanceRec) => InstanceState): StateChange[] {
  if (!ids || ids.length === 0) throw ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  const instances = world.requireAll(ids, (id) => world.instances.get(id), 'i', 'InvalidInstanceID', 'instance');
  return instances.map((instance) => {
    const previous = instance.state;
    const current = change(instance);
    return { InstanceId: instance.id, PreviousState: { Code: STATE_CODES[previous], Name: previous }, CurrentState: { Code: STATE_CODES[current], Name: current } };
  });
}

const schedule = (world: WorldModel, instanceId: string, ms: number, apply: () => void): void => void world.transitions.push({ instanceId, at: world.now() + ms, apply });

/** Stops; a hung OS does not shut down on its own, so only `Force` makes that quick. */
export function stopInstances(world: WorldModel, input: StopInstancesCommandInput): Out<StopInstancesCommandOutput> {
  return {
    StoppingInstances: changes(world, input.InstanceIds, (instance) => {
      if (instance.state === 'terminated' || instance.state === 'shutting-down') throw ec2Error('IncorrectInstanceState', `The instance '${instance.id}' is not in a state from which it can be stopped.`);
      if (instance.state === 'stopped') return 'stopped';
      // EC2's answers for the instances it cannot stop (checked before any state changes).
      if (instance.rootDeviceType === 'instance-store') throw ec2Error('UnsupportedOperation', `The instance '${instance.id}' does not have an 'ebs' root device type and cannot be stopped.`);
      if (instance.spot?.type === 'one-time') {
        throw ec2Error('UnsupportedOperation', `You can't stop the Spot Instance '${instance.id}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.`);
      }
      const { stopMs, hungStopMs } = world.options.lifecycle;
      if (instance.state !== 'stopping') instance.state = 'stopping';
      const id = instance.id;
      schedule(world, id, instance.hung && !input.Force ? hungStopMs : stopMs, () => {
        if (world.instances.get(id)?.state === 'stopping') world.stop(id);
      });
      return 'stopping';
    }),
  };
}

export function startInstances(world: WorldModel, input: StartInstancesCommandInput): Out<StartInstancesCommandOutput> {
  return {
    StartingInstances: changes(world, input.InstanceIds, (instance) => {
      if (instance.state === 'running' || instance.state === 'pending') return instance.state;
      if (instance.state !== 'stopped') throw ec2Error('IncorrectInstanceState', `The instance '${instance.id}' is not in a state from which it can be started.`);
      instance.state = 'pending';
      instance.launchTime = new Date(world.now());
      const id = instance.id;
      const { startMs, statusMs } = world.options.lifecycle;
      schedule(world, id, startMs, () => {
        const rec = world.instances.get(id);
        if (rec?.state !== 'pending') return;
        const fault = rec.startFallbacks;
        if (fault && fault.remaining > 0) {
          fault.remaining -= 1;
          world.stop(id, { code: fault.code, message: fault.message });
          return;
        }
        world.start(id);
        schedule(world, id, statusMs, () => world.setStatus(id, { instance: 'ok', system: 'ok' }));
      });
      return 'pending';
    }),
  };
}

/** Reboots: the OS restarts (a hang is gone), forgets the addresses it was given by hand, and answers again after `rebootMs`. */
export function rebootInstances(world: WorldModel, input: RebootInstancesCommandInput): Out<RebootInstancesCommandOutput> {
  changes(world, input.InstanceIds, (instance) => {
    if (instance.state !== 'running') throw ec2Error('IncorrectInstanceState', `The instance '${instance.id}' is not in a state from which it can be rebooted.`);
    const id = instance.id;
    instance.hung = true;
    world.emitChange({ kind: 'reboot', instanceId: id, phase: 'down' });
    schedule(world, id, world.options.lifecycle.rebootMs, () => {
      const rec = world.instances.get(id);
      if (!rec || rec.state !== 'running') return;
      rec.hung = false;
      world.bootOs(rec);
      world.emitChange({ kind: 'reboot', instanceId: id, phase: 'up' });
    });
    return 'running';
  });
  return {};
}

export function terminateInstances(world: WorldModel, input: TerminateInstancesCommandInput): Out<TerminateInstancesCommandOutput> {
  return {
    TerminatingInstances: changes(world, input.InstanceIds, (instance) => {
      if (instance.state === 'terminated') return 'terminated';
      instance.state = 'shutting-down';
      const id = instance.id;
      schedule(world, id, world.options.lifecycle.terminateMs, () => world.terminate(id));
      return 'shutting-down';
    }),
  };
}
