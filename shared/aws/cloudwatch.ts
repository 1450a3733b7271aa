/**
 * AlarmPort over CloudWatch DescribeAlarms: the alarms of this deployment (a name prefix) that are
 * in ALARM, metric and composite alike (without AlarmTypes, DescribeAlarms returns metric alarms only).
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmPort } from '../core/ports.js';
import { toAwsCallError } from './translate.js';

/** Pages are bounded: a deployment has a handful of alarms, this many pages is a loop. */
const MAX_PAGES = 20;

/** @throws AwsCallError from `firing` when CloudWatch refuses or cannot be reached. */
export function createAlarmPort(client: CloudWatchClient): AlarmPort {
  return {
    async firing(prefix, call = {}) {
      const names: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        let output;
        try {
          output = await client.send(
            new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, StateValue: 'ALARM', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100, ...(token ? { NextToken: token } : {}) }),
            { abortSignal: call.signal },
          );
        } catch (error) {
          throw toAwsCallError('DescribeAlarms', error, { prefix });
        }
        for (const alarm of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) if (alarm.AlarmName) names.push(alarm.AlarmName);
        token = output.NextToken;
        if (!token) break;
      }
      return names.sort();
    },
  };
}
