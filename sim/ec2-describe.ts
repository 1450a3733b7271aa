/**
 * The simulated EC2's Describe* calls and the SDK v3 shapes they answer with.
 */
import type {
  Address,
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
  Instance,
  InstanceNetworkInterface,
  InstanceStatus,
  NetworkInterface,
  Route,
  RouteTable,
  Subnet,
} from '@aws-sdk/client-ec2';
import type { CheckStatus, EniRec, InstanceRec, RouteRec, RtbRec, SubnetRec } from './core.js';
import { STATE_CODES, subnetHostRange, tagList } from './core.js';
import { destinationShape, kindOf } from './destinations.js';
import { ec2Error } from './errors.js';
import type { WorldModel } from './model.js';
import { type Out, applyFilters, paginate } from './ec2-filters.js';

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

