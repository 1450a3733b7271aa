/**
 * The remediation adapter: Spot request types (EC2 DescribeSpotInstanceRequests) and replacing an
 * Auto Scaling member (TerminateInstanceInAutoScalingGroup), over injected clients.
 */
import { TerminateInstanceInAutoScalingGroupCommand, type AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeSpotInstanceRequestsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { CallOptions, RemediationPort } from '../core/ports.js';
import { toAwsCallError } from './translate.js';

/** EC2 filters take at most 200 values each; pages hold up to 1,000 requests. */
const FILTER_VALUES_PER_CALL = 200;
const PAGE_SIZE = 1000;

export function createRemediationPort(clients: { readonly ec2: EC2Client; readonly autoscaling: AutoScalingClient }): RemediationPort {
  /** By filter, not by `SpotInstanceRequestIds`: a request EC2 no longer reports is simply absent, not an error for the whole call. */
  async function typesOf(ids: readonly string[], call: CallOptions): Promise<Record<string, 'one-time' | 'persistent'>> {
    const types: Record<string, 'one-time' | 'persistent'> = {};
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await clients.ec2
        .send(
          new DescribeSpotInstanceRequestsCommand({
            Filters: [{ Name: 'spot-instance-request-id', Values: [...ids] }],
            MaxResults: PAGE_SIZE,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
          { abortSignal: call.signal },
        )
        .catch((error: unknown) => {
          throw toAwsCallError('DescribeSpotInstanceRequests', error, { spotInstanceRequestIds: ids.join(',') });
        });
      for (const request of page.SpotInstanceRequests ?? []) {
        if (request.SpotInstanceRequestId && (request.Type === 'one-time' || request.Type === 'persistent')) types[request.SpotInstanceRequestId] = request.Type;
      }
      nextToken = page.NextToken || undefined;
    } while (nextToken !== undefined);
    return types;
  }

  return {
    async spotRequestTypes(requestIds, call = {}) {
      const ids = [...new Set(requestIds)].sort();
      const chunks = Array.from({ length: Math.ceil(ids.length / FILTER_VALUES_PER_CALL) }, (_, i) => ids.slice(i * FILTER_VALUES_PER_CALL, (i + 1) * FILTER_VALUES_PER_CALL));
      return Object.assign({}, ...(await Promise.all(chunks.map((chunk) => typesOf(chunk, call)))));
    },

    async replaceInAutoScalingGroup(instanceId, call = {}) {
      try {
        await clients.autoscaling.send(
          // The group keeps its size and launches a replacement; decrementing would shrink it instead.
          new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: instanceId, ShouldDecrementDesiredCapacity: false }),
          { abortSignal: call.signal },
        );
      } catch (error) {
        throw toAwsCallError('TerminateInstanceInAutoScalingGroup', error, { instanceId });
      }
    },
  };
}
