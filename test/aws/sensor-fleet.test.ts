/** The sensor fleet adapter: where each sensor runs, read from Lambda's record of the function and EC2's subnets, with exact requests. */
import { DescribeSubnetsCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { GetFunctionConfigurationCommand, InvokeCommand, LambdaClient, LambdaServiceException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createSensorFleet } from '../../shared/aws/sensor-fleet.js';
import { manualClock } from '../../sim/clock.js';

const lambdaMock = mockClient(LambdaClient);
const ec2Mock = mockClient(EC2Client);
const MAIN = 'vpc-failover-prod-sensor';
const A = 'vpc-failover-prod-sensorSubnet0a1b2c3d4e5f60718';
const B = 'vpc-failover-prod-sensorSubnet0f1e2d3c4b5a69788';

function fleet(names: string[] = [A, B], ttlMs?: number) {
  const clock = manualClock();
  const port = createSensorFleet(new LambdaClient({ region: 'eu-west-1' }), new EC2Client({ region: 'eu-west-1' }), { main: MAIN, fleet: names, clock, ...(ttlMs === undefined ? {} : { ttlMs }) });
  return { port, clock };
}

const configOf = (name: string, vpcId: string, subnets: string[]) =>
  lambdaMock.on(GetFunctionConfigurationCommand, { FunctionName: name }).resolves({ FunctionName: name, VpcConfig: { VpcId: vpcId, SubnetIds: subnets, SecurityGroupIds: ['sg-0123456789abcdef0'] } });

afterEach(() => {
  lambdaMock.reset();
  ec2Mock.reset();
});

describe('SensorFleetPort.sites', () => {
  it('reads each sensor\'s VPC and subnets from its function configuration, and the subnets\' zones in one DescribeSubnets', async () => {
    configOf(MAIN, 'vpc-0123456789abcdef0', ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2']);
    configOf(A, 'vpc-0123456789abcdef0', ['subnet-0ccccccccccccccc3']);
    configOf(B, 'vpc-0fedcba9876543210', ['subnet-0ddddddddddddddd4']);
    ec2Mock.on(DescribeSubnetsCommand).resolves({
      Subnets: [
        { SubnetId: 'subnet-0aaaaaaaaaaaaaaa1', AvailabilityZone: 'eu-west-1a' },
        { SubnetId: 'subnet-0bbbbbbbbbbbbbbb2', AvailabilityZone: 'eu-west-1b' },
        { SubnetId: 'subnet-0ccccccccccccccc3', AvailabilityZone: 'eu-west-1a' },
        { SubnetId: 'subnet-0ddddddddddddddd4', AvailabilityZone: 'eu-west-1c' },
      ],
    });

    const sites = await fleet().port.sites();

    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand).map((c) => c.args[0].input)).toEqual([{ FunctionName: MAIN }, { FunctionName: A }, { FunctionName: B }]);
    expect(ec2Mock.commandCalls(DescribeSubnetsCommand).map((c) => c.args[0].input)).toEqual([
      { SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2', 'subnet-0ccccccccccccccc3', 'subnet-0ddddddddddddddd4'] },
    ]);
    expect(sites.map(({ port: _port, ...rest }) => rest)).toEqual([
      { name: MAIN, main: true, egress: false, placement: { vpcId: 'vpc-0123456789abcdef0', subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', availabilityZone: 'eu-west-1a' }, { subnetId: 'subnet-0bbbbbbbbbbbbbbb2', availabilityZone: 'eu-west-1b' }] } },
      { name: A, main: false, egress: true, placement: { vpcId: 'vpc-0123456789abcdef0', subnets: [{ subnetId: 'subnet-0ccccccccccccccc3', availabilityZone: 'eu-west-1a' }] } },
      { name: B, main: false, egress: true, placement: { vpcId: 'vpc-0fedcba9876543210', subnets: [{ subnetId: 'subnet-0ddddddddddddddd4', availabilityZone: 'eu-west-1c' }] } },
    ]);
  });

  it('invokes each sensor by its own name', async () => {
    configOf(MAIN, 'vpc-0123456789abcdef0', ['subnet-0aaaaaaaaaaaaaaa1']);
    configOf(A, 'vpc-0123456789abcdef0', ['subnet-0ccccccccccccccc3']);
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"results":[]}') as never });
    const sites = await fleet([A]).port.sites();

    await sites[1]?.port.probe({ targets: [], timeoutMs: 1000 });

    expect(lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input.FunctionName)).toEqual([A]);
  });

  it('gives a sensor whose configuration cannot be read no placement, says why, and asks again at the next call', async () => {
    configOf(MAIN, 'vpc-0123456789abcdef0', ['subnet-0aaaaaaaaaaaaaaa1']);
    lambdaMock
      .on(GetFunctionConfigurationCommand, { FunctionName: A })
      .rejectsOnce(new LambdaServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized to perform: lambda:GetFunctionConfiguration' }))
      .resolves({ VpcConfig: { VpcId: 'vpc-0123456789abcdef0', SubnetIds: ['subnet-0ccccccccccccccc3'] } });
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
    const { port } = fleet([A]);

    const first = await port.sites();
    const second = await port.sites();

    expect(first[1]).toMatchObject({ name: A, problem: expect.stringContaining('lambda:GetFunctionConfiguration') });
    expect(first[1]?.placement).toBeUndefined();
    expect(second[1]?.placement).toEqual({ vpcId: 'vpc-0123456789abcdef0', subnets: [{ subnetId: 'subnet-0ccccccccccccccc3' }] });
    // The main sensor's placement was kept: only the failed one was asked again.
    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand).map((c) => c.args[0].input.FunctionName)).toEqual([MAIN, A, A]);
  });

  it('says so of a sensor that is not attached to a VPC', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ VpcConfig: { SubnetIds: [], SecurityGroupIds: [], VpcId: '' } });

    const sites = await fleet([A]).port.sites();

    expect(sites.map((s) => s.problem)).toEqual(['the function is not attached to a VPC', 'the function is not attached to a VPC']);
    expect(ec2Mock.commandCalls(DescribeSubnetsCommand)).toEqual([]);
  });

  it('keeps a placement without its zones when DescribeSubnets fails', async () => {
    configOf(MAIN, 'vpc-0123456789abcdef0', ['subnet-0aaaaaaaaaaaaaaa1']);
    ec2Mock.on(DescribeSubnetsCommand).rejects(new EC2ServiceException({ name: 'RequestLimitExceeded', $fault: 'client', $metadata: { httpStatusCode: 503 }, message: 'Request limit exceeded.' }));

    const sites = await fleet([]).port.sites();

    expect(sites[0]?.placement).toEqual({ vpcId: 'vpc-0123456789abcdef0', subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1' }] });
  });

  it('reads placements again once they are ttlMs old', async () => {
    configOf(MAIN, 'vpc-0123456789abcdef0', ['subnet-0aaaaaaaaaaaaaaa1']);
    ec2Mock.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
    const { port, clock } = fleet([], 60_000);

    await port.sites();
    clock.advance(59_999);
    await port.sites();
    clock.advance(1);
    await port.sites();

    expect(lambdaMock.commandCalls(GetFunctionConfigurationCommand)).toHaveLength(2);
  });
});
