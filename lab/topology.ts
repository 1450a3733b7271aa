/**
 * The lab's VPC in the simulated EC2: the project's HA fixtures (sim/fixtures.ts) with the tags a
 * real deployment carries, plus what the lab adds around them: clients (untagged instances, so the
 * controller ignores them), the in-VPC sensor's ENI, and the internet the NATs reach. Each fixture
 * builds its own VPC; with both, they are peered so that the one sensor reaches every member.
 */
import { type EniInfo, type InstanceInfo, type NatPair, type VipPair, type VpcWorld, buildNatPair, buildVipPair } from '../sim/world.js';

/** `nat-gateway`: with `nat`, a NAT gateway tagged for the NAT group, as its last resort. */
/** `vip2`: a second VIP group in a VPC of its own, not peered with the others, with its own sensor. */
export type LabGroup = 'vip' | 'nat' | 'nat-gateway' | 'vip2';

/** A namespace of the lab: an instance, or an ENI that belongs to no instance (the sensor's). */
export interface Host {
  /** Short name: the namespace's suffix and what its service answers. */
  readonly name: string;
  readonly instanceId?: string;
  readonly enis: readonly EniInfo[];
  /** Forwards for others (a NAT: ip_forward on, masquerade). */
  readonly nat: boolean;
  /** Runs the member service on the service port. */
  readonly member: boolean;
  /** The NAT gateway this namespace plays: routes that name the gateway go to its ENI. */
  readonly natGatewayId?: string;
}

export interface VipSide extends VipPair {
  readonly client: InstanceInfo;
}

export interface NatSide extends NatPair {
  /** One client in each private subnet (AZ a, AZ b, and the NATAZ=any subnet). */
  readonly clients: { readonly a: InstanceInfo; readonly b: InstanceInfo; readonly c: InstanceInfo };
  /** With `nat-gateway`: the zonal gateway in public subnet a, tagged `failover:group=<nat group>`, and its ENI. */
  readonly gateway?: { readonly natGatewayId: string; readonly eni: EniInfo };
  /**
   * The sensor fleet's ENIs, one in AZ a's and one in AZ b's private subnet: Lambdas placed there
   * reach the outside through the subnet's route table, so through the NAT that serves the AZ.
   */
  readonly sensors: { readonly a: EniInfo; readonly b: EniInfo };
}

/** A sensor of the lab: its namespace (the host's name), the Lambda function it stands for, and its ENI. */
export interface LabSensor {
  readonly host: string;
  readonly functionName: string;
  readonly eni: EniInfo;
  /** The main sensor (VPCF_SENSOR_FUNCTION), or one of the fleet (VPCF_SENSOR_FLEET). */
  readonly main: boolean;
}

/** The internet namespace: an echo server on a few documentation addresses. */
export interface Internet {
  readonly echoAddresses: readonly string[];
  readonly echoPort: number;
  /** The router's end and the internet's end of their link (a /30). */
  readonly routerIp: string;
  readonly internetIp: string;
}

export interface LabTopology {
  readonly world: VpcWorld;
  readonly vip?: VipSide;
  readonly nat?: NatSide;
  /** The second VPC's VIP group, probed by the sensor in its own VPC (`sensor-v2`). */
  readonly vip2?: VipSide & { readonly sensor: EniInfo };
  readonly sensor: EniInfo;
  /** Every sensor: the main one, then the fleet's. */
  readonly sensors: readonly LabSensor[];
  readonly hosts: readonly Host[];
  readonly internet: Internet;
  /** The members' `failover:ports`: each member's service listens there. */
  readonly servicePort: number;
}

export const SERVICE_PORT = 80;

/** Documentation space only (RFC 5737): nothing here can reach a real network. */
export const INTERNET: Internet = Object.freeze({
  echoAddresses: Object.freeze(['203.0.113.10', '203.0.113.11', '203.0.113.12']),
  echoPort: 443,
  routerIp: '198.51.100.1',
  internetIp: '198.51.100.2',
});

export const GROUPS = { vip: 'web', nat: 'egress', vip2: 'web2' } as const;

/** The sensors' function names, as a deployment names them (`<service>-<stage>-<function>`). */
export const SENSOR_FUNCTIONS = { main: 'vpc-failover-lab-sensor', a: 'vpc-failover-lab-sensorA', b: 'vpc-failover-lab-sensorB', vpc2: 'vpc-failover-lab-sensorVpc2' } as const;

const member = (name: string, info: InstanceInfo, nat: boolean): Host => ({ name, instanceId: info.instanceId, enis: info.interfaces, nat, member: true });
const client = (name: string, info: InstanceInfo): Host => ({ name, instanceId: info.instanceId, enis: info.interfaces, nat: false, member: false });

/** Builds the groups into `world` (one VPC each), with their clients and the sensor; `memberTags` go on every member. */
export function buildLabTopology(world: VpcWorld, groups: readonly LabGroup[], memberTags: Readonly<Record<string, string>> = {}): LabTopology {
  const ports = String(SERVICE_PORT);
  const tags = { tagsA: memberTags, tagsB: memberTags };
  const hosts: Host[] = [];
  let vip: VipSide | undefined;
  let nat: NatSide | undefined;
  if (groups.includes('vip')) {
    const pair = buildVipPair({ world, group: GROUPS.vip, ports, ...tags });
    const vipClient = world.addInstance({ subnet: pair.subnetId, tags: { Name: 'web-client' } });
    vip = { ...pair, client: vipClient };
    hosts.push(member('web-a', pair.a, false), member('web-b', pair.b, false), client('web-client', vipClient));
  }
  if (groups.includes('nat')) {
    const pair = buildNatPair({ world, group: GROUPS.nat, ports, ...tags });
    const clients = {
      a: world.addInstance({ subnet: pair.privateSubnets.a, tags: { Name: 'client-a' } }),
      b: world.addInstance({ subnet: pair.privateSubnets.b, tags: { Name: 'client-b' } }),
      c: world.addInstance({ subnet: pair.privateSubnets.c, tags: { Name: 'client-c' } }),
    };
    const gateway = groups.includes('nat-gateway') ? natGateway(world, pair) : undefined;
    // Lambdas in a VPC: ENIs of their own, attached to no instance.
    const sensors = {
      a: world.addNetworkInterface({ subnet: pair.privateSubnets.a, tags: { Name: 'vpc-failover-sensor-a' } }),
      b: world.addNetworkInterface({ subnet: pair.privateSubnets.b, tags: { Name: 'vpc-failover-sensor-b' } }),
    };
    nat = { ...pair, clients, sensors, ...(gateway ? { gateway } : {}) };
    hosts.push(member('nat-a', pair.a, true), member('nat-b', pair.b, true), client('client-a', clients.a), client('client-b', clients.b), client('client-c', clients.c));
    hosts.push({ name: 'sensor-a', enis: [sensors.a], nat: false, member: false }, { name: 'sensor-b', enis: [sensors.b], nat: false, member: false });
    if (gateway) hosts.push({ name: 'natgw', enis: [gateway.eni], nat: true, member: false, natGatewayId: gateway.natGatewayId });
  }
  let vip2: (VipSide & { sensor: EniInfo }) | undefined;
  if (groups.includes('vip2')) {
    // Its own VPC, peered with nothing: only a sensor placed there can reach its members.
    const pair = buildVipPair({ world, group: GROUPS.vip2, ports, ...tags });
    const vip2Client = world.addInstance({ subnet: pair.subnetId, tags: { Name: 'web2-client' } });
    const sensorSubnet2 = world.addSubnet({ vpc: pair.vpcId, az: `${world.options.region}a`, tags: { Name: 'sensor-vpc2' } });
    const sensor2 = world.addNetworkInterface({ subnet: sensorSubnet2, tags: { Name: 'vpc-failover-sensor-vpc2' } });
    vip2 = { ...pair, client: vip2Client, sensor: sensor2 };
    hosts.push(member('web2-a', pair.a, false), member('web2-b', pair.b, false), client('web2-client', vip2Client), { name: 'sensor-v2', enis: [sensor2], nat: false, member: false });
  }
  const vpcId = vip?.vpcId ?? nat?.vpcId;
  if (vpcId === undefined) throw new Error('buildLabTopology: no group to build');
  // Each fixture has its own VPC and there is one sensor: peer them, as a deployment would.
  if (vip && nat) peer(world, vip.vpcId, nat.vpcId);
  // The sensor is a Lambda in the VPC: an ENI of its own, attached to no instance.
  const sensorSubnet = world.addSubnet({ vpc: vpcId, az: `${world.options.region}a`, tags: { Name: 'sensor' } });
  const sensor = world.addNetworkInterface({ subnet: sensorSubnet, tags: { Name: 'vpc-failover-sensor' } });
  hosts.push({ name: 'sensor', enis: [sensor], nat: false, member: false });
  const sensors: LabSensor[] = [
    { host: 'sensor', functionName: SENSOR_FUNCTIONS.main, eni: sensor, main: true },
    ...(nat ? [{ host: 'sensor-a', functionName: SENSOR_FUNCTIONS.a, eni: nat.sensors.a, main: false }, { host: 'sensor-b', functionName: SENSOR_FUNCTIONS.b, eni: nat.sensors.b, main: false }] : []),
    ...(vip2 ? [{ host: 'sensor-v2', functionName: SENSOR_FUNCTIONS.vpc2, eni: vip2.sensor, main: false }] : []),
  ];
  return { world, ...(vip ? { vip } : {}), ...(nat ? { nat } : {}), ...(vip2 ? { vip2 } : {}), sensor, sensors, hosts, internet: INTERNET, servicePort: SERVICE_PORT };
}

/**
 * A zonal, public NAT gateway in public subnet a, available and tagged for the NAT group; in the lab
 * a namespace behind an ENI of its own in that subnet, which forwards and masquerades as a NAT
 * instance does (AWS gives a gateway a requester-managed ENI in its subnet).
 */
function natGateway(world: VpcWorld, pair: NatPair): { natGatewayId: string; eni: EniInfo } {
  const eni = world.addNetworkInterface({ subnet: pair.publicSubnets.a, tags: { Name: 'nat-gateway' } });
  const natGatewayId = world.addNatGateway({ subnet: pair.publicSubnets.a, tags: { Name: 'nat-gateway', 'failover:group': GROUPS.nat } });
  return { natGatewayId, eni };
}

/** A VPC peering connection: each VPC's tables route the other's CIDR through it. */
function peer(world: VpcWorld, a: string, b: string): void {
  const pcx = world.nextId('pcx');
  const cidr = (vpc: string) => world.vpcs.get(vpc)?.cidr ?? '';
  for (const table of world.routeTables.values()) {
    if (table.vpcId === a) world.addRoute(table.id, cidr(b), { gatewayId: pcx });
    if (table.vpcId === b) world.addRoute(table.id, cidr(a), { gatewayId: pcx });
  }
}
