/** Plain-data builders for WorldSnapshot, for the pure core's tests. */
import type { AddressHolder, ElasticIp, Instance, InstanceState, NetworkInterface, Route, RouteDestination, RouteTable, StatusChecks, Subnet, WorldSnapshot } from '../../shared/core/model.js';

export const SUBNETS: Subnet[] = [
  { subnetId: 'subnet-a', vpcId: 'vpc-1', cidrBlock: '10.0.1.0/24', availabilityZone: 'eu-west-1a' },
  { subnetId: 'subnet-b', vpcId: 'vpc-1', cidrBlock: '10.0.2.0/24', availabilityZone: 'eu-west-1b' },
];

export interface NodeSpec {
  id: string;
  az?: 'a' | 'b';
  state?: InstanceState;
  tags?: Record<string, string>;
  secondary?: string[];
  sourceDestCheck?: boolean;
  vpcId?: string;
  /** What remediation reads (lifecycle, root device, state reason, launch time...). */
  extra?: Partial<Pick<Instance, 'lifecycle' | 'spotInstanceRequestId' | 'rootDeviceType' | 'autoScalingGroup' | 'stateReason' | 'launchedAt'>>;
}

/** Instance `i-…N` gets ENI `eni-…N`, MAC `02:00:00:00:00:0N` and private IP 10.0.<az>.(10+N). */
export function node({ id, az = 'a', state = 'running', tags = {}, secondary = [], sourceDestCheck = true, vpcId = 'vpc-1', extra = {} }: NodeSpec): Instance {
  const n = Number.parseInt(id.slice(-2), 16) % 200;
  const subnetId = `subnet-${az}`;
  const privateIp = `10.0.${az === 'a' ? 1 : 2}.${10 + n}`;
  return {
    instanceId: id,
    state,
    availabilityZone: `eu-west-1${az}`,
    vpcId,
    subnetId,
    privateIp,
    tags,
    // As the EC2 adapter reads it: Auto Scaling membership from the tag only AWS can set.
    ...(tags['aws:autoscaling:groupName'] ? { autoScalingGroup: tags['aws:autoscaling:groupName'] } : {}),
    ...extra,
    networkInterfaces: [
      {
        networkInterfaceId: `eni-${id.slice(2)}`,
        deviceIndex: 0,
        subnetId,
        macAddress: `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`,
        sourceDestCheck,
        privateIps: [{ address: privateIp, primary: true }, ...secondary.map((address) => ({ address, primary: false }))],
      },
    ],
  };
}

export const eniOf = (id: string) => `eni-${id.slice(2)}`;

/**
 * The instance with one more ENI, at device index 1 (listed after the primary, as the adapter sorts
 * them): `eni-…N-1`, MAC `02:00:00:00:01:0N`, private IP 10.0.<az>.(100+N), source/dest check on.
 */
export function withSecondEni(instance: Instance, o: { az?: 'a' | 'b'; secondary?: string[]; sourceDestCheck?: boolean } = {}): Instance {
  const { az = 'a', secondary = [], sourceDestCheck = true } = o;
  const n = Number.parseInt(instance.instanceId.slice(-2), 16) % 200;
  const eni: NetworkInterface = {
    networkInterfaceId: secondEniOf(instance.instanceId),
    deviceIndex: 1,
    subnetId: `subnet-${az}`,
    macAddress: `02:00:00:00:01:${n.toString(16).padStart(2, '0')}`,
    sourceDestCheck,
    privateIps: [{ address: `10.0.${az === 'a' ? 1 : 2}.${100 + n}`, primary: true }, ...secondary.map((address) => ({ address, primary: false }))],
  };
  return { ...instance, networkInterfaces: [...instance.networkInterfaces, eni] };
}

export const secondEniOf = (id: string) => `eni-${id.slice(2)}-1`;

/** A route through a member's primary ENI (by instance ID) or elsewhere; a string destination is an IPv4 CIDR. */
export function route(destination: string | RouteDestination, to: string | { other: string }, state: Route['state'] = 'active'): Route {
  return {
    destination: typeof destination === 'string' ? { kind: 'ipv4', value: destination } : destination,
    state,
    target: typeof to === 'string' ? { kind: 'eni', networkInterfaceId: eniOf(to), instanceId: to } : { kind: 'other', description: to.other },
  };
}

export function table(routeTableId: string, tags: Record<string, string>, routes: Route[], vpcId = 'vpc-1'): RouteTable {
  return { routeTableId, vpcId, tags, routes };
}

/** An Elastic IP as DescribeAddresses shows it, tagged for `group` unless `tags` says otherwise. */
export function eip(allocationId: string, publicIp: string, o: { group?: string; tags?: Record<string, string>; association?: ElasticIp['association'] } = {}): ElasticIp {
  return { allocationId, publicIp, tags: o.tags ?? (o.group === undefined ? {} : { 'failover:group': o.group }), ...(o.association ? { association: o.association } : {}) };
}

/** An ENI outside the instances of a snapshot that holds `ips` (secondary), in subnet-a of vpc-1 by default. */
export function outsider(id: string, ips: string[], o: Partial<Omit<AddressHolder, 'networkInterfaceId' | 'privateIps'>> & { primaryIp?: string } = {}): AddressHolder {
  const { primaryIp = '10.0.1.250', ...rest } = o;
  return {
    networkInterfaceId: id,
    vpcId: 'vpc-1',
    subnetId: 'subnet-a',
    description: '',
    interfaceType: 'interface',
    requesterManaged: false,
    ...rest,
    privateIps: [{ address: primaryIp, primary: true }, ...ips.map((address) => ({ address, primary: false }))],
  };
}

/**
 * What the adapter's holder lookup returns for these instances: every ENI of theirs that holds a
 * VIP some vip-kind instance names (members included, as DescribeNetworkInterfaces lists them).
 */
function holdersAmong(instances: readonly Instance[]): AddressHolder[] {
  const vips = new Set(instances.filter((i) => i.tags['failover:kind'] === 'vip').map((i) => i.tags['failover:vip']?.trim() ?? ''));
  return instances.flatMap((i) =>
    i.networkInterfaces
      .filter((eni) => eni.privateIps.some((ip) => vips.has(ip.address)))
      .map((eni) => ({ networkInterfaceId: eni.networkInterfaceId, instanceId: i.instanceId, vpcId: i.vpcId, subnetId: eni.subnetId, description: '', interfaceType: 'interface', requesterManaged: false, privateIps: eni.privateIps })),
  );
}

export function snapshot(parts: {
  instances: Instance[];
  status?: Record<string, StatusChecks>;
  routeTables?: RouteTable[];
  addresses?: ElasticIp[];
  /** ENIs outside `instances` that hold a watched address. */
  holders?: AddressHolder[];
  at?: number;
}): WorldSnapshot {
  const status = Object.fromEntries(parts.instances.filter((i) => i.state === 'running').map((i) => [i.instanceId, 'ok' as StatusChecks]));
  return {
    observedAt: parts.at ?? 0,
    instances: parts.instances,
    statusChecks: { ...status, ...parts.status },
    routeTables: parts.routeTables ?? [],
    addresses: parts.addresses ?? [],
    subnets: SUBNETS,
    addressHolders: [...holdersAmong(parts.instances), ...(parts.holders ?? [])],
  };
}

export const DEFAULTS = { cooldownMs: 60_000, failback: { vip: 'manual', eip: 'manual', overlay: 'manual', nat: 'auto' } } as const;
