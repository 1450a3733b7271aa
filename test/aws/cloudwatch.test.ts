import { CloudWatchClient, CloudWatchServiceException, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAlarmPort } from '../../shared/aws/cloudwatch.js';
import { AwsCallError } from '../../shared/errors.js';

const cloudwatch = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'us-east-1' });

describe('alarm port (DescribeAlarms)', () => {
  beforeEach(() => cloudwatch.reset());

  it('asks for this deployment’s metric and composite alarms in ALARM, through every page', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'vpc-failover-prod-move-failed' }], NextToken: 'page-2' })
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'vpc-failover-prod-composite' }] });

    const firing = await createAlarmPort(client).firing('vpc-failover-prod-');

    expect(firing).toEqual(['vpc-failover-prod-composite', 'vpc-failover-prod-move-failed']);
    const inputs = cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { AlarmNamePrefix: 'vpc-failover-prod-', StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
      { AlarmNamePrefix: 'vpc-failover-prod-', StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100, NextToken: 'page-2' },
    ]);
  });

  it('translates a refusal into an AwsCallError that names the call', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(new CloudWatchServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not allowed' }));

    const error = await createAlarmPort(client).firing('vpc-failover-prod-').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect((error as AwsCallError).operation).toBe('DescribeAlarms');
  });
});
