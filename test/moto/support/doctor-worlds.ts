/**
 * What doctor needs around the HA pairs of ./vpc.ts to pass: a sensor subnet and security group,
 * members that let it in on their failover:ports, and for NAT pairs an internet gateway, public
 * addresses and private subnets behind the NATAZ tables. And the single faults the suite injects.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  DescribeNetworkAclsCommand,
  DescribeSecurityGroupsCommand,
  type EC2Client,
  ReplaceNetworkAclAssociationCommand,
} from '@aws-sdk/client-ec2';
import { AZ_A, AZ_B, type NatPair, type Vpc } from './vpc.js';

export interface Sensor {
  readonly subnetId: string;
  readonly securityGroupId: string;
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`moto returned no ${what}`);
  return value;
}

export async function subnet(ec2: EC2Client, vpc: Vpc, third: number, az: string): Promise<string> {
  const { Subnet: created } = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.vpcId, CidrBlock: `${vpc.cidrPrefix}.${third}.0/24`, AvailabilityZone: az }));
  return must(created?.SubnetId, 'SubnetId');
}

export async function defaultSecurityGroup(ec2: EC2Client, vpc: Vpc): Promise<string> {
  const { SecurityGroups = [] } = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.vpcId] }, { Name: 'group-name', Values: ['default'] }] }));
  return must(SecurityGroups[0]?.GroupId, 'GroupId');
}

export async function securityGroup(ec2: EC2Client, vpc: Vpc, name: string): Promise<string> {
  const { GroupId } = await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpc.vpcId, GroupName: name, Description: name }));
  return must(GroupId, 'GroupId');
}

/** A sensor subnet (x.50.0/24 in AZ a) and group; the VPC's default group (the members') lets it in on tcp 22. */
export async function sensorIn(ec2: EC2Client, vpc: Vpc): Promise<Sensor> {
  const subnetId = await subnet(ec2, vpc, 50, AZ_A);
  const securityGroupId = await securityGroup(ec2, vpc, 'vpc-failover-sensor');
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: await defaultSecurityGroup(ec2, vpc),
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: securityGroupId }] }],
    }),
  );
  return { subnetId, securityGroupId };
}

export async function tag(ec2: EC2Client, resources: readonly string[], tags: Record<string, string>): Promise<void> {
  await ec2.send(new CreateTagsCommand({ Resources: [...resources], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
}

/**
 * Makes a NAT pair work as a NAT: an internet gateway for the NATs' subnets, an Elastic IP on each
 * NAT, a private subnet behind each NATAZ table, and the default group letting the VPC in.
 */
export async function natWorks(ec2: EC2Client, pair: NatPair): Promise<void> {
  const { vpc } = pair;
  const { InternetGateway } = await ec2.send(new CreateInternetGatewayCommand({}));
  const igw = must(InternetGateway?.InternetGatewayId, 'InternetGatewayId');
  await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc.vpcId }));
  const { RouteTable } = await ec2.send(new CreateRouteTableCommand({ VpcId: vpc.vpcId }));
  const publicTable = must(RouteTable?.RouteTableId, 'RouteTableId');
  await ec2.send(new CreateRouteCommand({ RouteTableId: publicTable, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
  for (const subnetId of [vpc.subnets[AZ_A], vpc.subnets[AZ_B]]) await ec2.send(new AssociateRouteTableCommand({ RouteTableId: publicTable, SubnetId: subnetId }));
  for (const nat of [pair.a, pair.b]) {
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    await ec2.send(new AssociateAddressCommand({ AllocationId, NetworkInterfaceId: nat.eniId }));
  }
  const behind: [string, string, number][] = [[pair.tables[AZ_A], AZ_A, 3], [pair.tables[AZ_B], AZ_B, 4], [pair.tables.any, AZ_A, 5]];
  for (const [table, az, third] of behind) await ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: await subnet(ec2, vpc, third, az) }));
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({ GroupId: await defaultSecurityGroup(ec2, vpc), IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: `${vpc.cidrPrefix}.0.0/16` }] }] }),
  );
}

/** A network ACL for `subnetId` that denies tcp `port` from `cidr` (rule 50) and allows the rest (rule 100). */
export async function aclDenying(ec2: EC2Client, vpc: Vpc, subnetId: string, cidr: string, port: number): Promise<string> {
  const { NetworkAcl } = await ec2.send(new CreateNetworkAclCommand({ VpcId: vpc.vpcId }));
  const aclId = must(NetworkAcl?.NetworkAclId, 'NetworkAclId');
  const entry = (RuleNumber: number, Egress: boolean, RuleAction: 'allow' | 'deny', extra: object) =>
    ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber, Egress, RuleAction, ...extra } as never));
  await entry(50, false, 'deny', { Protocol: '6', PortRange: { From: port, To: port }, CidrBlock: cidr });
  await entry(100, false, 'allow', { Protocol: '-1', CidrBlock: '0.0.0.0/0' });
  await entry(100, true, 'allow', { Protocol: '-1', CidrBlock: '0.0.0.0/0' });
  const { NetworkAcls = [] } = await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
  const association = NetworkAcls.flatMap((a) => a.Associations ?? []).find((a) => a.SubnetId === subnetId);
  await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: must(association?.NetworkAclAssociationId, 'NetworkAclAssociationId'), NetworkAclId: aclId }));
  return aclId;
}
