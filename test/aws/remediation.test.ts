/** The remediation adapter: exact requests to EC2 (Spot request types) and Auto Scaling (replace a member). */
import { AutoScalingClient, AutoScalingServiceException, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeSpotInstanceRequestsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createRemediationPort } from '../../shared/aws/remediation.js';
import { AwsCallError } from '../../shared/errors.js';

const ec2Mock = mockClient(EC2Client);
const asgMock = mockClient(AutoScalingClient);
const port = () => createRemediationPort({ ec2: new EC2Client({ region: 'us-east-1' }), autoscaling: new AutoScalingClient({ region: 'us-east-1' }) });
const A = 'i-0000000000000000a';

afterEach(() => {
  ec2Mock.reset();
  asgMock.reset();
});

describe('RemediationPort.replaceInAutoScalingGroup', () => {
  it('terminates through the Auto Scaling group without lowering its desired capacity, so the group launches a replacement', async () => {
    asgMock.on(TerminateInstanceInAutoScalingGroupCommand).resolves({ Activity: { ActivityId: 'a-1', AutoScalingGroupName: 'web-asg', Cause: 'c', StartTime: new Date(0), StatusCode: 'InProgress' } });

    await port().replaceInAutoScalingGroup(A);

    expect(asgMock.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([{ InstanceId: A, ShouldDecrementDesiredCapacity: false }]);
  });

  it('fails as a non-retriable AwsCallError naming the call and the instance when Auto Scaling does not manage it', async () => {
    asgMock.on(TerminateInstanceInAutoScalingGroupCommand).rejects(
      new AutoScalingServiceException({ name: 'ValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: `Instance Id not found - No managed instance found for instance ID: ${A}` }),
    );

    const error = await port().replaceInAutoScalingGroup(A).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'TerminateInstanceInAutoScalingGroup', retriable: false, context: { instanceId: A } });
  });
});

describe('RemediationPort.spotRequestTypes', () => {
  it('asks for the requests by filter, so one EC2 no longer reports is absent rather than an error, and follows NextToken', async () => {
    ec2Mock
      .on(DescribeSpotInstanceRequestsCommand)
      .resolvesOnce({ SpotInstanceRequests: [{ SpotInstanceRequestId: 'sir-1', Type: 'one-time' }], NextToken: 'page-2' })
      .resolvesOnce({ SpotInstanceRequests: [{ SpotInstanceRequestId: 'sir-2', Type: 'persistent' }] });

    const types = await port().spotRequestTypes(['sir-2', 'sir-1', 'sir-gone', 'sir-1']);

    expect(types).toEqual({ 'sir-1': 'one-time', 'sir-2': 'persistent' });
    expect(ec2Mock.commandCalls(DescribeSpotInstanceRequestsCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Name: 'spot-instance-request-id', Values: ['sir-1', 'sir-2', 'sir-gone'] }], MaxResults: 1000 },
      { Filters: [{ Name: 'spot-instance-request-id', Values: ['sir-1', 'sir-2', 'sir-gone'] }], MaxResults: 1000, NextToken: 'page-2' },
    ]);
  });

  it('asks about at most 200 requests per call (the filter-value limit)', async () => {
    ec2Mock.on(DescribeSpotInstanceRequestsCommand).resolves({ SpotInstanceRequests: [] });
    const ids = Array.from({ length: 201 }, (_, i) => `sir-${String(i).padStart(3, '0')}`);

    await port().spotRequestTypes(ids);

    expect(ec2Mock.commandCalls(DescribeSpotInstanceRequestsCommand).map((c) => c.args[0].input.Filters?.[0]?.Values?.length)).toEqual([200, 1]);
  });
});
