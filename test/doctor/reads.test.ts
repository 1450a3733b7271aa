/**
 * doctor's reads (shared/aws/doctor-reads.ts) with aws-sdk-client-mock: the exact requests, as
 * the EC2, SSM and Lambda API references define them, and how each answer becomes facts. Then
 * gatherFacts over that adapter: which deployment it looks for, and what a failed read becomes.
 */
import {
  DescribeAddressesCommand,
  DescribeInstanceStatusCommand,
  DescribeInstanceTypesCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { GetFunctionConfigurationCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { DescribeInstanceInformationCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDoctorReads } from '../../shared/aws/doctor-reads.js';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { gatherFacts } from '../../shared/doctor/gather.js';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);
const clients = { ec2: new EC2Client({ region: 'us-east-1' }), ssm: new SSMClient({ region: 'us-east-1' }), lambda: new LambdaClient({ region: 'us-east-1' }) };
const reads = () => createDoctorReads(clients);
const ids = Array.from({ length: 60 }, (_, n) => `i-${n.toString(16).padStart(17, '0')}`);

beforeEach(() => {
  ec2.reset();
  ssm.reset();
  lambda.reset();
});

describe('doctor reads', () => {
  it('asks SSM for the instances by the InstanceIds filter, 50 a call, and keeps each PingStatus', async () => {
    ssm.on(DescribeInstanceInformationCommand).callsFake((input: { Filters: { Values: string[] }[] }) => ({
      InstanceInformationList: input.Filters[0]!.Values.slice(0, 2).map((InstanceId, n) => ({ InstanceId, PingStatus: n === 0 ? 'Online' : 'ConnectionLost' })),
    }));

    const status = await reads().pingStatus(ids);

    expect(ssm.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Key: 'InstanceIds', Values: ids.slice(0, 50) }], MaxResults: 50 },
      { Filters: [{ Key: 'InstanceIds', Values: ids.slice(50) }], MaxResults: 50 },
    ]);
    expect(status).toEqual({ [ids[0]!]: 'Online', [ids[1]!]: 'ConnectionLost', [ids[50]!]: 'Online', [ids[51]!]: 'ConnectionLost' });
  });

  it('reads security groups by group-id, folding each permission to its ports and sources', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        {
          GroupId: 'sg-1',
          VpcId: 'vpc-1',
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: 'sg-sensor' }], IpRanges: [{ CidrIp: '10.0.0.0/16' }], PrefixListIds: [{ PrefixListId: 'pl-1' }] }],
          IpPermissionsEgress: [{ IpProtocol: '-1', FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        },
      ],
    });

    const groups = await reads().securityGroups(['sg-1', 'sg-1']);

    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[0]?.args[0].input).toEqual({ Filters: [{ Name: 'group-id', Values: ['sg-1'] }], MaxResults: 1000 });
    expect(groups).toEqual([
      {
        groupId: 'sg-1',
        vpcId: 'vpc-1',
        ingress: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['10.0.0.0/16'], groupIds: ['sg-sensor'], prefixListIds: ['pl-1'] }],
        egress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], groupIds: [], prefixListIds: [] }],
      },
    ]);
  });

  it('reads the network ACLs of the VPCs, page by page, keeping IPv4 entries and their associations', async () => {
    ec2
      .on(DescribeNetworkAclsCommand)
      .resolvesOnce({
        NetworkAcls: [
          {
            NetworkAclId: 'acl-1',
            VpcId: 'vpc-1',
            IsDefault: true,
            Associations: [{ SubnetId: 'subnet-a' }],
            Entries: [
              { RuleNumber: 50, Egress: false, Protocol: '6', RuleAction: 'deny', CidrBlock: '10.0.50.0/24', PortRange: { From: 22, To: 22 } },
              { RuleNumber: 101, Egress: false, Protocol: '-1', RuleAction: 'allow', Ipv6CidrBlock: '::/0' },
            ],
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({ NetworkAcls: [] });

    const acls = await reads().networkAcls(['vpc-1']);

    expect(ec2.commandCalls(DescribeNetworkAclsCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }], MaxResults: 100 },
      { Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }], MaxResults: 100, NextToken: 'page-2' },
    ]);
    expect(acls).toEqual([{ networkAclId: 'acl-1', vpcId: 'vpc-1', isDefault: true, subnetIds: ['subnet-a'], entries: [{ ruleNumber: 50, egress: false, protocol: '6', action: 'deny', cidr: '10.0.50.0/24', ports: { from: 22, to: 22 } }] }]);
  });

  it('reads every route table of the VPCs with its main flag and subnet associations', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves({
      RouteTables: [{ RouteTableId: 'rtb-1', VpcId: 'vpc-1', Associations: [{ Main: true }, { SubnetId: 'subnet-a' }], Routes: [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', State: 'active' }], Tags: [{ Key: 'Name', Value: 'public' }] }],
    });

    const tables = await reads().routeTables(['vpc-1']);

    expect(ec2.commandCalls(DescribeRouteTablesCommand)[0]?.args[0].input).toEqual({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }], MaxResults: 100 });
    expect(tables).toEqual([{ routeTableId: 'rtb-1', vpcId: 'vpc-1', tags: { Name: 'public' }, main: true, subnetIds: ['subnet-a'], routes: [{ destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: { kind: 'other', description: 'igw-1' }, state: 'active' }] }]);
  });

  it('reads Ipv4AddressesPerInterface of each instance type once', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({ InstanceTypes: [{ InstanceType: 't3.micro', NetworkInfo: { Ipv4AddressesPerInterface: 2 } }] });

    expect(await reads().ipv4PerInterface(['t3.micro', 't3.micro', ''])).toEqual({ 't3.micro': 2 });
    expect(ec2.commandCalls(DescribeInstanceTypesCommand)[0]?.args[0].input).toEqual({ InstanceTypes: ['t3.micro'] });
  });

  it('reads the tagged instances\' type, profile, public IP and security groups per ENI', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-1', InstanceType: 't3.large', IamInstanceProfile: { Arn: 'arn:aws:iam::1:instance-profile/p' }, PublicIpAddress: '198.51.100.1', NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-1' }] }] }] }],
    });

    expect(await reads().instances()).toEqual({ 'i-1': { instanceType: 't3.large', profileArn: 'arn:aws:iam::1:instance-profile/p', publicIp: '198.51.100.1', eniSecurityGroups: { 'eni-1': ['sg-1'] } } });
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input).toEqual({ Filters: [{ Name: 'tag-key', Values: ['failover:group'] }], MaxResults: 1000 });
  });

  it('says a function is not there on ResourceNotFoundException, and reads its environment and VPC config when it is', async () => {
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'gone' }).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'here' }).resolves({ Environment: { Variables: { VPCF_VPC_IDS: 'vpc-1' } }, VpcConfig: { SubnetIds: ['subnet-s'], SecurityGroupIds: ['sg-s'] } });

    expect(await reads().lambdaFunction('gone')).toEqual({ found: false });
    expect(await reads().lambdaFunction('here')).toEqual({ found: true, environment: { VPCF_VPC_IDS: 'vpc-1' }, subnetIds: ['subnet-s'], securityGroupIds: ['sg-s'] });
  });
});

describe('gathering the facts', () => {
  function emptyAccount(): void {
    for (const command of [DescribeInstancesCommand, DescribeInstanceStatusCommand, DescribeRouteTablesCommand, DescribeAddressesCommand, DescribeSubnetsCommand, DescribeSecurityGroupsCommand, DescribeNetworkAclsCommand, DescribeInstanceTypesCommand, DescribeNetworkInterfacesCommand] as const) {
      ec2.on(command as never).resolves({});
    }
  }

  it('takes vpcIds and the sensor\'s placement from the stage\'s deployed functions', async () => {
    emptyAccount();
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'vpc-failover-prod-failover' }).resolves({ Environment: { Variables: { VPCF_VPC_IDS: 'vpc-1,vpc-2', VPCF_SENSOR_FUNCTION: 'vpc-failover-prod-sensor' } } });
    lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'vpc-failover-prod-sensor' }).resolves({ VpcConfig: { SubnetIds: ['subnet-s'], SecurityGroupIds: ['sg-s'] } });

    const facts = await gatherFacts({ region: 'us-east-1', stage: 'prod', ec2: createEc2Port(clients.ec2), reads: reads() });

    expect(facts).toMatchObject({ deployed: true, vpcIds: ['vpc-1', 'vpc-2'], sensor: { subnetIds: ['subnet-s'], securityGroupIds: ['sg-s'], source: 'deployed' } });
  });

  it('finds no deployment when the stage\'s function does not exist, and never guesses a sensor', async () => {
    emptyAccount();
    lambda.on(GetFunctionConfigurationCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));

    const facts = await gatherFacts({ region: 'us-east-1', stage: 'dev', ec2: createEc2Port(clients.ec2), reads: reads() });

    expect(facts.deployed).toBe(false);
    expect(facts.sensor).toBeUndefined();
    expect(facts.vpcIds).toBeUndefined();
  });

  it('leaves a read it may not make as "not read", naming the error, and goes on', async () => {
    emptyAccount();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: ids[0], State: { Name: 'running' }, VpcId: 'vpc-1', Tags: [{ Key: 'failover:group', Value: 'web' }], NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Groups: [{ GroupId: 'sg-1' }] }] }] }] });
    ec2.on(DescribeSecurityGroupsCommand).rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'You are not authorized to perform this operation.' }));

    const facts = await gatherFacts({ region: 'us-east-1', stage: 'dev', ec2: createEc2Port(clients.ec2), reads: reads(), deployment: {} });

    expect(facts.unread).toEqual({ securityGroups: 'DescribeSecurityGroups failed (UnauthorizedOperation): You are not authorized to perform this operation.' });
    expect(facts.securityGroups).toEqual([]);
  });

  it('reports SSM registration it could not read as a reason, not as "not registered"', async () => {
    emptyAccount();
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: ids[0], State: { Name: 'running' }, Tags: [{ Key: 'failover:group', Value: 'web' }], NetworkInterfaces: [] }] }] });
    ssm.on(DescribeInstanceInformationCommand).rejects(new SSMServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'not authorized to perform ssm:DescribeInstanceInformation' }));

    const facts = await gatherFacts({ region: 'us-east-1', stage: 'dev', ec2: createEc2Port(clients.ec2), reads: reads(), deployment: {} });

    expect(facts.ssm).toEqual({ ok: false, error: 'DescribeInstanceInformation failed (AccessDeniedException): not authorized to perform ssm:DescribeInstanceInformation' });
    expect(lambda.calls()).toHaveLength(0);
  });
  it('takes the ENIs that hold a VIP from the core\'s observe, one DescribeNetworkInterfaces by address, and reads them no second time', async () => {
    emptyAccount();
    const vipTags = [{ Key: 'failover:group', Value: 'web' }, { Key: 'failover:kind', Value: 'vip' }, { Key: 'failover:vip', Value: '10.0.1.100' }];
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: ids[0], State: { Name: 'running' }, VpcId: 'vpc-1', SubnetId: 'subnet-a', Tags: vipTags, NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', SubnetId: 'subnet-a', Attachment: { DeviceIndex: 0 } }] }] }] });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-pod', VpcId: 'vpc-1', SubnetId: 'subnet-a', InterfaceType: 'branch', Description: 'EKS pod', RequesterManaged: false, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.9', Primary: true }, { PrivateIpAddress: '10.0.1.100', Primary: false }] }],
    });

    const facts = await gatherFacts({ region: 'us-east-1', stage: 'dev', ec2: createEc2Port(clients.ec2), reads: reads(), deployment: {} });

    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input)).toEqual([{ Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.1.100'] }], MaxResults: expect.any(Number) }]);
    expect(facts.snapshot.addressHolders).toEqual([expect.objectContaining({ networkInterfaceId: 'eni-pod', subnetId: 'subnet-a', description: 'EKS pod', interfaceType: 'branch' })]);
    expect(facts).not.toHaveProperty('addressHolders');
  });

  it('fails with the AWS error when the interfaces that may hold a VIP cannot be read: discovery cannot judge ownership without them', async () => {
    emptyAccount();
    const vipTags = [{ Key: 'failover:group', Value: 'web' }, { Key: 'failover:kind', Value: 'vip' }, { Key: 'failover:vip', Value: '10.0.1.100' }];
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: ids[0], State: { Name: 'running' }, VpcId: 'vpc-1', Tags: vipTags, NetworkInterfaces: [] }] }] });
    ec2.on(DescribeNetworkInterfacesCommand).rejects(new EC2ServiceException({ name: 'UnauthorizedOperation', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'You are not authorized to perform this operation.' }));

    const gathering = gatherFacts({ region: 'us-east-1', stage: 'dev', ec2: createEc2Port(clients.ec2), reads: reads(), deployment: {} });

    await expect(gathering).rejects.toThrow(/DescribeNetworkInterfaces failed \(UnauthorizedOperation\)/);
  });
});
