/**
 * The EC2 API over the in-memory VPC: SDK v3 inputs in, SDK v3 output shapes out, EC2 error codes
 * thrown. Only the calls and filters the failover controller has reason to use are modelled;
 * anything else throws VpcWorldUnsupportedError so a test cannot pass on a guess.
 */
import type {
  AssignPrivateIpAddressesCommandInput,
  AssignPrivateIpAddressesCommandOutput,
  AssociateAddressCommandInput,
  AssociateAddressCommandOutput,
  CreateRouteCommandInput,
  CreateRouteCommandOutput,
  DeleteRouteCommandInput,
  DeleteRouteCommandOutput,
  DisassociateAddressCommandInput,
  DisassociateAddressCommandOutput,
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
  ReplaceRouteCommandInput,
  ReplaceRouteCommandOutput,
  UnassignPrivateIpAddressesCommandInput,
  UnassignPrivateIpAddressesCommandOutput,
} from '@aws-sdk/client-ec2';
import type { InstanceState } from '../shared/core/model.js';
import type {
  EniRec,
  InstanceRec,
  RouteRec,
  RouteTargetRec,
  RtbRec,
} from './core.js';
import { STATE_CODES } from './core.js';
import { type DestinationInput, destinationOf as parseDestination } from './destinations.js';
import { VpcWorldUnsupportedError, ec2Error } from './errors.js';
import type { WorldModel } from './model.js';
import type { Out } from './ec2-filters.js';

export { type Out, applyFilters, paginate } from './ec2-filters.js';
export * from './ec2-describe.js';

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
