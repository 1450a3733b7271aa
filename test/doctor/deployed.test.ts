/**
 * The deployed doctor ({"action":"doctor"}): the failover function's runtime runs the checks with
 * its own configuration (vpcIds, the sensor's name), over its own SDK clients (aws-sdk-client-mock).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
} from '@aws-sdk/client-ec2';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createFailoverRuntime } from '../../shared/failover-wiring.js';
import { memoryLog } from '../failover/support/harness.js';

const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
const lambda = mockClient(LambdaClient);
const region = { region: 'eu-west-1' };
const member = (id: string, vpc: string) => ({
  InstanceId: id,
  State: { Name: 'running' as const },
  Placement: { AvailabilityZone: 'eu-west-1a' },
  VpcId: vpc,
  SubnetId: 'subnet-1',
  PrivateIpAddress: '10.0.1.10',
  Tags: [{ Key: 'failover:group', Value: 'edge' }, { Key: 'failover:kind', Value: 'eip' }, { Key: 'failover:eip', Value: 'eipalloc-00000000000000001' }],
  NetworkInterfaces: [{ NetworkInterfaceId: `eni-${id}`, SubnetId: 'subnet-1', Attachment: { DeviceIndex: 0 }, PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.10', Primary: true }] }],
});

beforeEach(() => {
  ec2.reset();
  ssm.reset();
  lambda.reset();
  for (const command of [DescribeInstanceStatusCommand, DescribeRouteTablesCommand, DescribeSubnetsCommand, DescribeSecurityGroupsCommand, DescribeNetworkAclsCommand, DescribeInstanceTypesCommand, DescribeNetworkInterfacesCommand] as const) {
    ec2.on(command as never).resolves({});
  }
  ec2.on(DescribeAddressesCommand).resolves({ Addresses: [{ AllocationId: 'eipalloc-00000000000000001', PublicIp: '203.0.113.1', Tags: [{ Key: 'failover:group', Value: 'edge' }] }] });
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [member('i-0000000000000000a', 'vpc-00000000000000002'), member('i-0000000000000000b', 'vpc-00000000000000002')] }] });
  ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });
});

describe('doctor in the failover function', () => {
  it('checks with the deployment\'s vpcIds and its sensor, and answers the report with its table', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({ VpcConfig: { SubnetIds: ['subnet-s'], SecurityGroupIds: ['sg-s'] } });
    const rt = createFailoverRuntime({
      env: { VPCF_TABLE_NAME: 'vpc-failover-prod', VPCF_STAGE: 'prod', VPCF_VPC_IDS: 'vpc-00000000000000001', VPCF_SENSOR_FUNCTION: 'vpc-failover-prod-sensor' },
      clients: { ec2: new EC2Client(region), ssm: new SSMClient(region), dynamodb: new DynamoDBClient(region), lambda: new LambdaClient(region) },
      log: memoryLog(),
    });

    const report = await rt.doctor({ group: 'edge' });

    expect(lambda.commandCalls(GetFunctionConfigurationCommand).map((c) => c.args[0].input)).toEqual([{ FunctionName: 'vpc-failover-prod-sensor' }]);
    expect(report).toMatchObject({ region: 'eu-west-1', stage: 'prod', deployed: true, sensor: { subnetIds: ['subnet-s'], securityGroupIds: ['sg-s'], source: 'deployed' } });
    expect(report.deploy).toBeUndefined();
    expect(report.groups[0]?.findings).toContainEqual(expect.objectContaining({ check: 'vpc-scope', severity: 'blocker', detail: "vpc-00000000000000002 is not in this deployment's vpcIds param: its IAM policy may not change it" }));
    expect(report.groups[0]?.findings).toContainEqual(expect.objectContaining({ check: 'ssm', severity: 'blocker', detail: expect.stringContaining('i-0000000000000000a is not registered with SSM') }));
    expect(report.text).toContain('group edge (eip, vpc-00000000000000002)');
    expect(ec2.calls().map((c) => c.args[0].constructor.name).filter((name) => !name.startsWith('Describe'))).toEqual([]);
  });
  it('judges a VIP held outside the group from the core\'s own observe, with one read of the interfaces', async () => {
    const vipMember = (id: string, ip: string) => ({
      ...member(id, 'vpc-00000000000000001'),
      PrivateIpAddress: ip,
      Tags: [{ Key: 'failover:group', Value: 'web' }, { Key: 'failover:kind', Value: 'vip' }, { Key: 'failover:vip', Value: '10.0.1.100' }],
      NetworkInterfaces: [{ NetworkInterfaceId: `eni-${id}`, SubnetId: 'subnet-1', Attachment: { DeviceIndex: 0 }, PrivateIpAddresses: [{ PrivateIpAddress: ip, Primary: true }] }],
    });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [vipMember('i-0000000000000000a', '10.0.1.10'), vipMember('i-0000000000000000b', '10.0.1.11')] }] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-1', VpcId: 'vpc-00000000000000001', CidrBlock: '10.0.1.0/24', AvailabilityZone: 'eu-west-1a' }] });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-appliance', VpcId: 'vpc-00000000000000001', SubnetId: 'subnet-1', InterfaceType: 'interface', Description: 'appliance', PrivateIpAddresses: [{ PrivateIpAddress: '10.0.1.9', Primary: true }, { PrivateIpAddress: '10.0.1.100', Primary: false }] }],
    });
    lambda.on(GetFunctionConfigurationCommand).resolves({ VpcConfig: { SubnetIds: ['subnet-s'], SecurityGroupIds: ['sg-s'] } });
    const rt = createFailoverRuntime({
      env: { VPCF_TABLE_NAME: 'vpc-failover-prod', VPCF_STAGE: 'prod', VPCF_VPC_IDS: 'vpc-00000000000000001', VPCF_SENSOR_FUNCTION: 'vpc-failover-prod-sensor' },
      clients: { ec2: new EC2Client(region), ssm: new SSMClient(region), dynamodb: new DynamoDBClient(region), lambda: new LambdaClient(region) },
      log: memoryLog(),
    });

    const report = await rt.doctor({ group: 'web' });

    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input.Filters)).toEqual([[{ Name: 'addresses.private-ip-address', Values: ['10.0.1.100'] }]]);
    expect(report.groups[0]?.findings).toContainEqual({
      check: 'vip',
      severity: 'blocker',
      detail: expect.stringMatching(/^VIP 10\.0\.1\.100 is held by eni-appliance \(attached to no instance; interface type interface; 'appliance'\), outside web: an address held outside the group is never taken/),
      fix: expect.stringContaining('aws ec2 unassign-private-ip-addresses --network-interface-id eni-appliance --private-ip-addresses 10.0.1.100'),
    });
    expect(report.blockers).toBeGreaterThan(0);
  });
});
