/** DescribeInstances fields that remediation classifies an instance by (shared/core/classify.ts). */
import type { Instance as Ec2Instance } from '@aws-sdk/client-ec2';
import type { Instance } from '../core/model.js';

/** Set by Auto Scaling on the instances it launches; the `aws:` prefix is reserved, so no user can set it. */
const AUTO_SCALING_GROUP_TAG = 'aws:autoscaling:groupName';

/**
 * What remediation needs to know about an instance, from fields DescribeInstances already returns
 * (no extra call): its purchase option, its Spot request, its root device, its Auto Scaling group,
 * why it last changed state and when it was last started.
 */
export function classification(raw: Ec2Instance, tags: Readonly<Record<string, string>>): Partial<Instance> {
  const lifecycle = raw.InstanceLifecycle;
  const asg = tags[AUTO_SCALING_GROUP_TAG];
  const reason = raw.StateReason;
  const launchedAt = raw.LaunchTime?.getTime();
  return {
    lifecycle: lifecycle === undefined ? 'on-demand' : lifecycle === 'spot' || lifecycle === 'capacity-block' ? lifecycle : 'other',
    ...(raw.SpotInstanceRequestId ? { spotInstanceRequestId: raw.SpotInstanceRequestId } : {}),
    ...(raw.RootDeviceType === 'ebs' || raw.RootDeviceType === 'instance-store' ? { rootDeviceType: raw.RootDeviceType } : {}),
    ...(asg ? { autoScalingGroup: asg } : {}),
    ...(reason?.Code ? { stateReason: { code: reason.Code, message: reason.Message ?? '' } } : {}),
    ...(launchedAt !== undefined && Number.isFinite(launchedAt) ? { launchedAt } : {}),
  };
}
