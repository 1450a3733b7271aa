/**
 * Builds HA pairs in moto with the SDK, tagged per README's tag contract, and reads the end state
 * back through moto's own Describe calls. Every pair gets its own group (and NAT pairs their own
 * VPC: one nat group per VPC), so scenarios do not share holders, leases or cooldowns.
 */
import {
  AllocateAddressCommand,
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { CREDENTIALS, REGION } from './moto.js';

export const AZ_A = `${REGION}a` as const;
export const AZ_B = `${REGION}b` as const;

/** SDK clients of the test itself (the functions build their own), retrying briefly on a busy moto. */
export const clientConfig = (endpoint: string) => ({ endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 3 });

export interface Member {
  readonly instanceId: string;
  readonly eniId: string;
  readonly privateIp: string;
  readonly macAddress: string;
  readonly az: string;
}

export interface Vpc {
  readonly vpcId: string;
  /** One subnet per AZ: the first /24 in AZ a, the second in AZ b. */
  readonly subnets: { readonly [AZ_A]: string; readonly [AZ_B]: string };
  readonly cidrPrefix: string;
}

export interface VipPair {
  readonly group: string;
  readonly vip: string;
  readonly a: Member;
  readonly b: Member;
}
export interface EipPair {
  readonly group: string;
  readonly allocationId: string;
  readonly publicIp: string;
  readonly a: Member;
  readonly b: Member;
}
export interface NatPair {
  readonly group: string;
  readonly vpc: Vpc;
  readonly a: Member;
  readonly b: Member;
  /** Route tables by their NATAZ tag: AZ a's and `any` point at A, AZ b's at B. */
  readonly tables: { readonly [AZ_A]: string; readonly [AZ_B]: string; readonly any: string };
}
export interface OverlayPair {
  readonly group: string;
  readonly cidr: string;
  readonly a: Member;
  readonly b: Member;
  readonly tables: readonly string[];
}

const tags = (record: Record<string, string>): Tag[] => Object.entries(record).map(([Key, Value]) => ({ Key, Value }));

export class VpcBuilder {
  private ami: string | undefined;
  private vpcs = 0;
  /** Every VPC built, for the deployment's vpcIds param. */
  readonly vpcIds: string[] = [];

  constructor(readonly ec2: EC2Client) {}

  /** A VPC 10.<n>.0.0/16 with a /24 in each of two AZs. */
  async vpc(name: string): Promise<Vpc> {
    this.vpcs += 1;
    const prefix = `10.${100 + this.vpcs}`;
    const { Vpc: vpc } = await this.ec2.send(
      new CreateVpcCommand({ CidrBlock: `${prefix}.0.0/16`, TagSpecifications: [{ ResourceType: 'vpc', Tags: tags({ Name: name }) }] }),
    );
    const vpcId = must(vpc?.VpcId, 'VpcId');
    this.vpcIds.push(vpcId);
    const subnet = async (third: number, az: string) => {
      const { Subnet: created } = await this.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${prefix}.${third}.0/24`, AvailabilityZone: az }));
      return must(created?.SubnetId, 'SubnetId');
    };
    return { vpcId, subnets: { [AZ_A]: await subnet(1, AZ_A), [AZ_B]: await subnet(2, AZ_B) }, cidrPrefix: prefix };
  }

  /** One running instance in `az`, tagged as a member; its primary ENI's source/dest check as given. */
  async member(vpc: Vpc, az: typeof AZ_A | typeof AZ_B, memberTags: Record<string, string>, sourceDestCheck = true): Promise<Member> {
    this.ami ??= must((await this.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images?.[0]?.ImageId, 'ImageId');
    const { Instances: [instance] = [] } = await this.ec2.send(
      new RunInstancesCommand({
        ImageId: this.ami,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: vpc.subnets[az],
        TagSpecifications: [{ ResourceType: 'instance', Tags: tags(memberTags) }],
      }),
    );
    const eni = instance?.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0);
    const member = {
      instanceId: must(instance?.InstanceId, 'InstanceId'),
      eniId: must(eni?.NetworkInterfaceId, 'NetworkInterfaceId'),
      privateIp: must(instance?.PrivateIpAddress, 'PrivateIpAddress'),
      macAddress: must(eni?.MacAddress, 'MacAddress'),
      az,
    };
    if (!sourceDestCheck) await this.setSourceDestCheck(member.eniId, false);
    return member;
  }

  async setSourceDestCheck(eniId: string, value: boolean): Promise<void> {
    await this.ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, SourceDestCheck: { Value: value } }));
  }

  private memberTags(group: string, kind: string, role: 'a' | 'b' | 'c', extra: Record<string, string>): Record<string, string> {
    const priority = { a: '1', b: '2', c: '9' }[role];
    return { Name: `${group}-${role}`, 'failover:group': group, 'failover:kind': kind, 'failover:priority': priority, ...extra };
  }

  /** A vip pair in AZ a's subnet; the VIP is a secondary private IP on A. */
  async vipPair(vpc: Vpc, group: string, host: number): Promise<VipPair> {
    const vip = `${vpc.cidrPrefix}.1.${host}`;
    const a = await this.member(vpc, AZ_A, this.memberTags(group, 'vip', 'a', { 'failover:vip': vip }));
    const b = await this.member(vpc, AZ_A, this.memberTags(group, 'vip', 'b', { 'failover:vip': vip }));
    await this.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: a.eniId, PrivateIpAddresses: [vip] }));
    return { group, vip, a, b };
  }

  /** An eip pair across both AZs; the Elastic IP, tagged for the group, is associated with A's primary private IP. */
  async eipPair(vpc: Vpc, group: string): Promise<EipPair> {
    const allocated = await this.ec2.send(
      new AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: tags({ Name: `${group}-eip`, 'failover:group': group }) }] }),
    );
    const allocationId = must(allocated.AllocationId, 'AllocationId');
    const a = await this.member(vpc, AZ_A, this.memberTags(group, 'eip', 'a', { 'failover:eip': allocationId }));
    const b = await this.member(vpc, AZ_B, this.memberTags(group, 'eip', 'b', { 'failover:eip': allocationId }));
    await this.ec2.send(new AssociateAddressCommand({ AllocationId: allocationId, NetworkInterfaceId: a.eniId, PrivateIpAddress: a.privateIp }));
    return { group, allocationId, publicIp: must(allocated.PublicIp, 'PublicIp'), a, b };
  }

  /**
   * A nat pair in a VPC of its own: A in AZ a, B in AZ b, both forwarding (source/dest check off),
   * and three tables tagged NATAZ. The `any` table's route was created with A's instance ID, as
   * an operator may have done; the others target the ENIs.
   */
  async natPair(group: string): Promise<NatPair> {
    const vpc = await this.vpc(`${group}-vpc`);
    const a = await this.member(vpc, AZ_A, this.memberTags(group, 'nat', 'a', {}), false);
    const b = await this.member(vpc, AZ_B, this.memberTags(group, 'nat', 'b', {}), false);
    const table = async (natAz: string, target: { NetworkInterfaceId: string } | { InstanceId: string }) => {
      const id = await this.routeTable(vpc, { Name: `${group}-private-${natAz}`, NATAZ: natAz });
      await this.ec2.send(new CreateRouteCommand({ RouteTableId: id, DestinationCidrBlock: '0.0.0.0/0', ...target }));
      return id;
    };
    const tables = {
      [AZ_A]: await table(AZ_A, { NetworkInterfaceId: a.eniId }),
      [AZ_B]: await table(AZ_B, { NetworkInterfaceId: b.eniId }),
      any: await table('any', { InstanceId: a.instanceId }),
    };
    return { group, vpc, a, b, tables };
  }

  /** An overlay pair: `count` tables tagged failover:overlay=<group> route the /32 to A, which forwards; B does not yet. */
  async overlayPair(vpc: Vpc, group: string, address: string, count: number): Promise<OverlayPair> {
    const cidr = `${address}/32`;
    const a = await this.member(vpc, AZ_A, this.memberTags(group, 'overlay', 'a', { 'failover:overlay-ip': address }), false);
    const b = await this.member(vpc, AZ_B, this.memberTags(group, 'overlay', 'b', { 'failover:overlay-ip': address }));
    const tables: string[] = [];
    for (let index = 1; index <= count; index += 1) {
      const id = await this.routeTable(vpc, { Name: `${group}-${index}`, 'failover:overlay': group });
      await this.ec2.send(new CreateRouteCommand({ RouteTableId: id, DestinationCidrBlock: cidr, NetworkInterfaceId: a.eniId }));
      tables.push(id);
    }
    return { group, cidr, a, b, tables };
  }

  async routeTable(vpc: Vpc, tableTags: Record<string, string>): Promise<string> {
    const { RouteTable: table } = await this.ec2.send(
      new CreateRouteTableCommand({ VpcId: vpc.vpcId, TagSpecifications: [{ ResourceType: 'route-table', Tags: tags(tableTags) }] }),
    );
    return must(table?.RouteTableId, 'RouteTableId');
  }
}

// ---- reading the end state back, through moto's own Describe calls ----

/** The private IPs each ENI holds, primary first. */
export async function privateIps(ec2: EC2Client, eniIds: readonly string[]): Promise<Record<string, string[]>> {
  const { NetworkInterfaces = [] } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [...eniIds] }));
  return Object.fromEntries(NetworkInterfaces.map((eni) => [eni.NetworkInterfaceId ?? '', (eni.PrivateIpAddresses ?? []).map((ip) => ip.PrivateIpAddress ?? '')]));
}

export async function networkInterface(ec2: EC2Client, eniId: string) {
  const { NetworkInterfaces: [eni] = [] } = await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }));
  return { sourceDestCheck: eni?.SourceDestCheck, publicIp: eni?.Association?.PublicIp };
}

export async function addressOf(ec2: EC2Client, allocationId: string) {
  const { Addresses: [address] = [] } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }));
  return { networkInterfaceId: address?.NetworkInterfaceId, instanceId: address?.InstanceId, privateIp: address?.PrivateIpAddress };
}

/** The route to `destination` in each table: its target ENI, instance and state. */
export async function routesTo(ec2: EC2Client, tableIds: readonly string[], destination: string) {
  const { RouteTables = [] } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [...tableIds] }));
  return Object.fromEntries(
    RouteTables.map((table) => {
      const route = table.Routes?.find((r) => r.DestinationCidrBlock === destination);
      return [table.RouteTableId ?? '', route && { networkInterfaceId: route.NetworkInterfaceId, instanceId: route.InstanceId, state: route.State }];
    }),
  );
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`moto returned no ${what}`);
  return value;
}

export const newClient = (endpoint: string) => new EC2Client(clientConfig(endpoint));
