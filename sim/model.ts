/**
 * Builders and state transitions for the in-memory VPC: what a test does to the world directly,
 * outside the AWS API (launching, stopping, impairing, hanging instances).
 */
import { type SsmAgentState, newSsmAgentState } from './ssm-agents.js';
import type { InstanceState } from '../shared/core/model.js';
import { cidrContains, ipv4ToInt, isIpv4, parseCidr } from '../shared/core/validate.js';
import type { CheckStatus, EniRec, InstanceRec, RouteTargetRec, Tags } from './core.js';
import { WorldCore, intToIp } from './core.js';

/** One interface as a test needs it. */
export interface EniInfo {
  readonly networkInterfaceId: string;
  readonly macAddress: string;
  readonly privateIp: string;
  readonly subnetId: string;
  readonly deviceIndex?: number;
}

/** What `addInstance` made: the instance and its primary interface, plus every interface. */
export interface InstanceInfo extends EniInfo {
  readonly instanceId: string;
  readonly vpcId: string;
  readonly az: string;
  readonly interfaces: readonly EniInfo[];
}

export interface InterfaceOptions {
  /** Defaults to the instance's subnet. */
  readonly subnet?: string;
  /** Defaults to the next free address of the subnet. */
  readonly privateIp?: string;
  /** Assigned in EC2 (visible at once) and, unless `osSecondaryIps` is false, up in the OS as /32. */
  readonly secondaryIps?: readonly string[];
  readonly sourceDestCheck?: boolean;
  readonly deleteOnTermination?: boolean;
  /** What DescribeNetworkInterfaces shows as Description, InterfaceType and RequesterManaged. */
  readonly description?: string;
  readonly interfaceType?: string;
  readonly requesterManaged?: boolean;
}

export interface AddInstanceOptions extends InterfaceOptions {
  readonly tags?: Tags;
  /** Picks the first subnet in this AZ (creating one if there is none) when `subnet` is not given. */
  readonly az?: string;
  readonly state?: InstanceState;
  /** Both status checks; defaults to ok. */
  readonly status?: CheckStatus;
  /** Whether the secondary IPs are also configured in the OS (default true). */
  readonly osSecondaryIps?: boolean;
  /** More interfaces, attached at device index 1, 2, ... */
  readonly extraInterfaces?: readonly InterfaceOptions[];
  /** A Spot instance from a request of this type (a `sir-…` request is made up for it). */
  readonly spot?: 'one-time' | 'persistent';
  /** Default `ebs`. */
  readonly rootDeviceType?: 'ebs' | 'instance-store';
}

export type RouteTargetSpec =
  | { readonly networkInterfaceId: string }
  | { readonly instanceId: string }
  | { readonly gatewayId: string }
  | { readonly natGatewayId: string };

export interface RouteSpec {
  /** An IPv4 CIDR, unless `kind` says otherwise. */
  readonly destination: string;
  readonly kind?: 'ipv4' | 'ipv6' | 'prefix-list';
  readonly target: RouteTargetSpec;
}

/** DescribeInstances' StateReason after a stop through the API. */
const USER_STOP = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
/** What EC2 shows when a start falls back to `stopped` for want of access to a volume's KMS key. */
const KMS_FALLBACK = { code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch' };

export class WorldModel extends WorldCore {
  /** SSM agents: links cut, agents never registered, VPCs with the SSM endpoints (see ssm-agents.ts). */
  readonly ssmAgents: SsmAgentState = newSsmAgentState();

  /** Creates a VPC with its main route table (local route only, untagged). */
  addVpc(options: { cidr?: string; tags?: Tags } = {}): string {
    const cidr = options.cidr ?? `10.${this.vpcs.size}.0.0/16`;
    if (!parseCidr(cidr)) throw new Error(`VpcWorld.addVpc: bad CIDR ${cidr}`);
    const id = this.nextId('vpc');
    this.vpcs.set(id, { id, cidr, tags: { ...options.tags } });
    const rtbId = this.nextId('rtb');
    this.routeTables.set(rtbId, {
      id: rtbId,
      vpcId: id,
      tags: {},
      routes: [{ destination: cidr, target: { kind: 'gateway', gatewayId: 'local' }, origin: 'CreateRouteTable' }],
      associations: [{ id: this.nextId('rtbassoc'), main: true }],
    });
    return id;
  }

  private defaultVpc(): string {
    const first = this.vpcs.keys().next();
    return first.done ? this.addVpc() : first.value;
  }

  /** Creates a subnet; by default the next free /24 of the (first) VPC, in us-east-1a. */
  addSubnet(options: { vpc?: string; cidr?: string; az?: string; tags?: Tags } = {}): string {
    const vpcId = options.vpc ?? this.defaultVpc();
    const vpc = this.vpcs.get(vpcId);
    if (!vpc) throw new Error(`VpcWorld.addSubnet: no VPC ${vpcId}`);
    const cidr = options.cidr ?? this.nextSubnetCidr(vpc.cidr, vpcId);
    const parsed = parseCidr(cidr);
    if (!parsed || !cidrContains(vpc.cidr, parsed.base)) throw new Error(`VpcWorld.addSubnet: ${cidr} is not inside ${vpc.cidr}`);
    for (const other of this.subnets.values()) {
      const otherBase = parseCidr(other.cidr)?.base ?? '';
      if (other.vpcId === vpcId && (cidrContains(other.cidr, parsed.base) || cidrContains(cidr, otherBase))) {
        throw new Error(`VpcWorld.addSubnet: ${cidr} overlaps ${other.id} (${other.cidr})`);
      }
    }
    const id = this.nextId('subnet');
    this.subnets.set(id, { id, vpcId, cidr, az: options.az ?? `${this.options.region}a`, tags: { ...options.tags } });
    return id;
  }

  private nextSubnetCidr(vpcCidr: string, vpcId: string): string {
    const parsed = parseCidr(vpcCidr);
    if (!parsed || parsed.prefixLength > 23) throw new Error(`VpcWorld.addSubnet: give a cidr for VPC ${vpcCidr}`);
    const base = ipv4ToInt(parsed.base);
    const count = 2 ** (24 - parsed.prefixLength);
    for (let k = 1; k < count; k += 1) {
      const candidate = `${intToIp(base + k * 256)}/24`;
      const clash = [...this.subnets.values()].some((s) => s.vpcId === vpcId && (cidrContains(s.cidr, intToIp(base + k * 256)) || cidrContains(candidate, parseCidr(s.cidr)?.base ?? '')));
      if (!clash) return candidate;
    }
    throw new Error(`VpcWorld.addSubnet: VPC ${vpcCidr} is full`);
  }

  private subnetFor(options: { subnet?: string; az?: string }): string {
    if (options.subnet !== undefined) {
      const subnet = this.subnet(options.subnet);
      if (options.az !== undefined && subnet.az !== options.az) throw new Error(`VpcWorld: subnet ${subnet.id} is in ${subnet.az}, not ${options.az}`);
      return subnet.id;
    }
    const az = options.az ?? `${this.options.region}a`;
    const existing = [...this.subnets.values()].find((s) => s.az === az);
    return existing?.id ?? this.addSubnet({ az });
  }

  /** Creates an ENI, optionally attached; secondaries are visible at once (no assignment delay). */
  addNetworkInterface(options: InterfaceOptions & { subnet: string; attachTo?: { instanceId: string; deviceIndex: number }; tags?: Tags }): EniInfo {
    const subnet = this.subnet(options.subnet);
    const used = this.usedIps(subnet.id);
    const claim = (ip: string): void => {
      const problem = this.addressProblem(subnet, ip);
      if (problem) throw new Error(`VpcWorld: ${problem}`);
      if (used.has(ip)) throw new Error(`VpcWorld: ${ip} is already in use in ${subnet.id}`);
      used.add(ip);
    };
    const primaryIp = options.privateIp ?? this.freeIp(subnet.id);
    claim(primaryIp);
    for (const ip of options.secondaryIps ?? []) claim(ip);
    const id = this.nextId('eni');
    const eni: EniRec = {
      id,
      subnetId: subnet.id,
      vpcId: subnet.vpcId,
      az: subnet.az,
      mac: this.nextMac(),
      primaryIp,
      sourceDestCheck: options.sourceDestCheck ?? true,
      attachment: undefined,
      tags: { ...options.tags },
      description: options.description ?? '',
      interfaceType: options.interfaceType ?? 'interface',
      requesterManaged: options.requesterManaged ?? false,
    };
    this.enis.set(id, eni);
    for (const ip of options.secondaryIps ?? []) this.setSecondaryHolder(ip, id, Number.NEGATIVE_INFINITY);
    if (options.attachTo) this.attach(id, options.attachTo.instanceId, options.attachTo.deviceIndex, options.deleteOnTermination ?? false);
    return { networkInterfaceId: id, macAddress: eni.mac, privateIp: primaryIp, subnetId: subnet.id, ...(options.attachTo ? { deviceIndex: options.attachTo.deviceIndex } : {}) };
  }

  /** Attaches an ENI; a running instance's OS brings its primary address up (hotplug). */
  attach(eniId: string, instanceId: string, deviceIndex: number, deleteOnTermination = false): void {
    const eni = this.eni(eniId);
    const instance = this.instance(instanceId);
    if (eni.attachment) throw new Error(`VpcWorld: ${eniId} is already attached to ${eni.attachment.instanceId}`);
    if (this.enisOf(instanceId).some((other) => other.attachment?.deviceIndex === deviceIndex)) throw new Error(`VpcWorld: ${instanceId} already has device index ${deviceIndex}`);
    if (eni.az !== instance.az) throw new Error(`VpcWorld: ${eniId} is in ${eni.az}, ${instanceId} in ${instance.az}`);
    eni.attachment = { attachmentId: this.nextId('eni-attach'), instanceId, deviceIndex, deleteOnTermination, attachTime: new Date(this.now()) };
    if (instance.state === 'running') this.osAddInterface(instance, eni);
  }

  detach(eniId: string): void {
    const eni = this.eni(eniId);
    const instanceId = eni.attachment?.instanceId;
    eni.attachment = undefined;
    if (instanceId !== undefined) this.instances.get(instanceId)?.os.delete(eni.mac);
  }

  /** Launches an instance with a primary ENI (and any extra ones) in one subnet's AZ. */
  addInstance(options: AddInstanceOptions = {}): InstanceInfo {
    const subnetId = this.subnetFor(options);
    const subnet = this.subnet(subnetId);
    const id = this.nextId('i');
    const instance: InstanceRec = {
      id,
      reservationId: this.nextId('r'),
      az: subnet.az,
      vpcId: subnet.vpcId,
      subnetId,
      launchTime: new Date(this.now()),
      state: options.state ?? 'running',
      tags: { ...options.tags },
      instanceCheck: options.status ?? 'ok',
      systemCheck: options.status ?? 'ok',
      hung: false,
      os: new Map(),
      spot: options.spot === undefined ? undefined : { requestId: this.nextId('sir'), type: options.spot },
      rootDeviceType: options.rootDeviceType ?? 'ebs',
      stateReason: undefined,
      startFallbacks: undefined,
    };
    this.instances.set(id, instance);
    const specs: InterfaceOptions[] = [options, ...(options.extraInterfaces ?? [])];
    const interfaces = specs.map((spec, deviceIndex) =>
      this.addNetworkInterface({
        ...spec,
        subnet: spec.subnet ?? subnetId,
        attachTo: { instanceId: id, deviceIndex },
        deleteOnTermination: spec.deleteOnTermination ?? true,
      }),
    );
    if (instance.state === 'running') {
      this.bootOs(instance);
      if (options.osSecondaryIps !== false) {
        specs.forEach((spec, index) => {
          const mac = interfaces[index]?.macAddress;
          for (const ip of spec.secondaryIps ?? []) if (mac !== undefined) instance.os.get(mac)?.set(ip, 32);
        });
      }
    }
    const primary = interfaces[0];
    if (!primary) throw new Error('VpcWorld.addInstance: no primary interface');
    return { ...primary, instanceId: id, vpcId: subnet.vpcId, az: subnet.az, interfaces };
  }

  /** Creates a route table with a local route for the VPC, plus the given routes. */
  addRouteTable(options: { vpc?: string; tags?: Tags; routes?: readonly RouteSpec[]; subnets?: readonly string[] } = {}): string {
    const vpcId = options.vpc ?? this.defaultVpc();
    const vpc = this.vpcs.get(vpcId);
    if (!vpc) throw new Error(`VpcWorld.addRouteTable: no VPC ${vpcId}`);
    const id = this.nextId('rtb');
    this.routeTables.set(id, {
      id,
      vpcId,
      tags: { ...options.tags },
      routes: [{ destination: vpc.cidr, target: { kind: 'gateway', gatewayId: 'local' }, origin: 'CreateRouteTable' }],
      associations: (options.subnets ?? []).map((subnetId) => ({ id: this.nextId('rtbassoc'), subnetId: this.subnet(subnetId).id, main: false })),
    });
    for (const route of options.routes ?? []) this.addRoute(id, route.destination, route.target, route.kind);
    return id;
  }

  /** Resolves a route target as EC2 does: an instance means its primary ENI. */
  resolveTarget(target: RouteTargetSpec): RouteTargetRec {
    if ('networkInterfaceId' in target) return { kind: 'eni', networkInterfaceId: this.eni(target.networkInterfaceId).id };
    if ('instanceId' in target) {
      const eni = this.primaryEni(this.instance(target.instanceId).id);
      if (!eni) throw new Error(`VpcWorld: ${target.instanceId} has no primary interface`);
      return { kind: 'eni', networkInterfaceId: eni.id };
    }
    if ('gatewayId' in target) return { kind: 'gateway', gatewayId: target.gatewayId };
    return { kind: 'nat-gateway', natGatewayId: target.natGatewayId };
  }

  /** Adds a route as CreateRoute would; `kind` says which destination field it is (IPv4 by default). */
  addRoute(routeTableId: string, destination: string, target: RouteTargetSpec, kind: 'ipv4' | 'ipv6' | 'prefix-list' = 'ipv4'): void {
    const table = this.routeTable(routeTableId);
    if (kind === 'ipv4' && !parseCidr(destination)) throw new Error(`VpcWorld.addRoute: bad CIDR ${destination}`);
    if (kind === 'prefix-list' && !this.prefixLists.has(destination)) throw new Error(`VpcWorld.addRoute: no prefix list ${destination} (addPrefixList first)`);
    if (table.routes.some((route) => route.destination === destination)) throw new Error(`VpcWorld.addRoute: ${routeTableId} already has ${destination}`);
    const resolved = this.resolveTarget(target);
    table.routes.push({ destination, ...(kind === 'ipv4' ? {} : { destinationKind: kind }), target: resolved, origin: 'CreateRoute' });
    this.emitChange({ kind: 'route', routeTableId: table.id, destination, target: resolved });
  }

  /** Managed prefix lists by ID (only their existence matters to routes). */
  readonly prefixLists = new Map<string, { readonly name: string }>();

  /** Creates a managed prefix list; returns its ID (`pl-…`). */
  addPrefixList(name = 'corporate'): string {
    const id = this.nextId('pl');
    this.prefixLists.set(id, { name });
    return id;
  }

  /** Allocates an Elastic IP (public addresses from 203.0.113.0/24, documentation space). */
  addEip(options: { tags?: Tags; publicIp?: string } = {}): string {
    const allocationId = this.nextId('eipalloc');
    const publicIp = options.publicIp ?? `203.0.113.${9 + this.eips.size + 1}`;
    if (!isIpv4(publicIp)) throw new Error(`VpcWorld.addEip: bad address ${publicIp}`);
    this.eips.set(allocationId, { allocationId, publicIp, tags: { ...options.tags }, association: undefined });
    return allocationId;
  }

  /** Associates at once, replacing any association of the EIP; returns the association ID. */
  associateEip(allocationId: string, target: { networkInterfaceId?: string; instanceId?: string; privateIp?: string }): string {
    const eip = this.eip(allocationId);
    const eniId = target.networkInterfaceId ?? (target.instanceId === undefined ? undefined : this.primaryEni(target.instanceId)?.id);
    if (eniId === undefined) throw new Error('VpcWorld.associateEip: give networkInterfaceId or instanceId');
    const eni = this.eni(eniId);
    const privateIp = target.privateIp ?? eni.primaryIp;
    if (privateIp !== eni.primaryIp && this.secondaryHolder(privateIp, 'truth') !== eni.id) throw new Error(`VpcWorld.associateEip: ${privateIp} is not on ${eni.id}`);
    const associationId = this.nextId('eipassoc');
    eip.association = { associationId, networkInterfaceId: eni.id, privateIp };
    return associationId;
  }

  /** Assigns a secondary address at once (no delay), optionally also bringing it up in the OS. */
  assignSecondaryIp(eniId: string, ip: string, options: { os?: boolean } = {}): void {
    const eni = this.eni(eniId);
    const problem = this.addressProblem(this.subnet(eni.subnetId), ip);
    if (problem) throw new Error(`VpcWorld: ${problem}`);
    if (this.primaryOwner(ip)) throw new Error(`VpcWorld: ${ip} is a primary address`);
    this.setSecondaryHolder(ip, eni.id, Number.NEGATIVE_INFINITY);
    const instanceId = eni.attachment?.instanceId;
    if (options.os && instanceId !== undefined) this.instances.get(instanceId)?.os.get(eni.mac)?.set(ip, 32);
  }

  // ---- state transitions ----

  /** Sets the state field only, for transitional states (pending, stopping, shutting-down). */
  setState(instanceId: string, state: InstanceState): void {
    this.changeState(this.instance(instanceId), state);
  }

  /** Sets the state and tells the listeners, if it changed. */
  private changeState(instance: InstanceRec, to: InstanceState): void {
    const from = instance.state;
    instance.state = to;
    if (from !== to) this.emitChange({ kind: 'instance-state', instanceId: instance.id, from, to });
  }

  /** Stops the instance: routes to it turn blackhole, its OS forgets every address it added. `reason`: the StateReason EC2 shows (a user's stop by default). */
  stop(instanceId: string, reason: { code: string; message: string } = USER_STOP): void {
    const instance = this.instance(instanceId);
    if (instance.state === 'terminated') throw new Error(`VpcWorld.stop: ${instanceId} is terminated`);
    instance.hung = false;
    instance.os.clear();
    instance.stateReason = reason;
    this.changeState(instance, 'stopped');
  }

  /** Makes an instance a Spot instance (of a request of this type) or gives it an instance-store root, after it was built. */
  setPurchase(instanceId: string, options: { spot?: 'one-time' | 'persistent'; rootDeviceType?: 'ebs' | 'instance-store' }): void {
    const instance = this.instance(instanceId);
    if (options.spot !== undefined) instance.spot = { requestId: instance.spot?.requestId ?? this.nextId('sir'), type: options.spot };
    if (options.rootDeviceType !== undefined) instance.rootDeviceType = options.rootDeviceType;
  }

  /**
   * Fault: the next `times` starts of the instance go to `pending` and fall back to `stopped`, as
   * EC2 does when an EBS volume is encrypted under a customer-managed KMS key the caller may not use.
   */
  failStarts(instanceId: string, times: number, reason: { code: string; message: string } = KMS_FALLBACK): void {
    this.instance(instanceId).startFallbacks = { remaining: times, ...reason };
  }

  /** Starts a stopped instance: DHCP brings the primary addresses up; status checks initialize. */
  start(instanceId: string, options: { status?: CheckStatus } = {}): void {
    const instance = this.instance(instanceId);
    if (instance.state === 'terminated') throw new Error(`VpcWorld.start: ${instanceId} is terminated`);
    instance.stateReason = undefined;
    // A fresh boot: whatever hung the OS before the stop is gone.
    instance.hung = false;
    instance.instanceCheck = options.status ?? 'initializing';
    instance.systemCheck = options.status ?? 'initializing';
    this.bootOs(instance);
    this.changeState(instance, 'running');
  }

  /**
   * Terminates: ENIs marked delete-on-termination are deleted (their addresses and Elastic IP
   * associations go with them; routes to them turn blackhole), the others are detached.
   */
  terminate(instanceId: string): void {
    const instance = this.instance(instanceId);
    instance.hung = false;
    instance.os.clear();
    for (const eni of this.enisOf(instanceId)) {
      if (eni.attachment?.deleteOnTermination) {
        for (const ip of this.secondariesOf(eni.id, 'truth')) this.setSecondaryHolder(ip, undefined, 0);
        for (const eip of this.eips.values()) if (eip.association?.networkInterfaceId === eni.id) eip.association = undefined;
        this.enis.delete(eni.id);
      } else {
        eni.attachment = undefined;
      }
    }
    this.changeState(instance, 'terminated');
  }

  /** Fails a status check (reachability); does not by itself stop SSM or probes (see `hang`). */
  impair(instanceId: string, which: 'instance' | 'system' | 'both' = 'instance'): void {
    const instance = this.instance(instanceId);
    if (which !== 'system') instance.instanceCheck = 'impaired';
    if (which !== 'instance') instance.systemCheck = 'impaired';
  }

  setStatus(instanceId: string, status: { instance?: CheckStatus; system?: CheckStatus }): void {
    const instance = this.instance(instanceId);
    if (status.instance) instance.instanceCheck = status.instance;
    if (status.system) instance.systemCheck = status.system;
  }

  /** Running, status checks ok, but SSM never delivers and the OS does not answer. */
  hang(instanceId: string): void {
    this.instance(instanceId).hung = true;
  }

  unhang(instanceId: string): void {
    this.instance(instanceId).hung = false;
  }
}
