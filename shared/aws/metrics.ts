/**
 * MetricsPort over CloudWatch PutMetricData: a round's metrics in one call, split only when a call
 * would carry more than 1,000 metrics (the API's limit per request).
 */
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum as CwDatum, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { MetricDatum, MetricsPort } from '../probe/ports.js';
import { toAwsCallError } from './translate.js';

export const MAX_METRICS_PER_CALL = 1_000;
/** One datum carries at most 150 values. */
const MAX_VALUES = 150;

function toCloudWatch(d: MetricDatum): CwDatum[] {
  const base = {
    MetricName: d.name,
    Unit: d.unit as StandardUnit,
    Timestamp: new Date(d.timestamp),
    Dimensions: Object.entries(d.dimensions).map(([Name, Value]) => ({ Name, Value })),
  };
  if (d.values === undefined) return [{ ...base, Value: d.value ?? 0 }];
  const out: CwDatum[] = [];
  for (let i = 0; i < d.values.length; i += MAX_VALUES) out.push({ ...base, Values: d.values.slice(i, i + MAX_VALUES) });
  return out;
}

/** @throws AwsCallError (with the namespace in its context) when a call fails; the calls run concurrently. */
export function createCloudWatchMetrics(client: CloudWatchClient, namespace: string): MetricsPort {
  return {
    async put(data, call = {}) {
      const all = data.flatMap(toCloudWatch);
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < all.length; i += MAX_METRICS_PER_CALL) {
        const MetricData = all.slice(i, i + MAX_METRICS_PER_CALL);
        calls.push(
          client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData }), { abortSignal: call.signal }).catch((error: unknown) => {
            throw toAwsCallError('PutMetricData', error, { namespace });
          }),
        );
      }
      await Promise.all(calls);
    },
  };
}
