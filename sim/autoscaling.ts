/**
 * Auto Scaling lifecycle actions: the hooks an ASG raises on launch or terminate, finished with
 * CompleteLifecycleAction or by the heartbeat timeout applying the default result.
 */
import type { CompleteLifecycleActionCommandInput, CompleteLifecycleActionCommandOutput } from '@aws-sdk/client-auto-scaling';
import type { LifecycleActionRec } from './core.js';
import { asgError } from './errors.js';
import type { Out } from './ec2.js';
import type { WorldModel } from './model.js';

export interface StartLifecycleActionOptions {
  readonly asg: string;
  readonly hook: string;
  readonly instanceId: string;
  /** e.g. `autoscaling:EC2_INSTANCE_TERMINATING`. */
  readonly transition: string;
  /** Heartbeat timeout; AWS's default is 3600 s. */
  readonly heartbeatTimeoutMs?: number;
  readonly defaultResult?: 'CONTINUE' | 'ABANDON';
}

/** Registers a pending lifecycle action and returns its token. */
export function startLifecycleAction(world: WorldModel, options: StartLifecycleActionOptions): string {
  const token = world.nextUuid('lifecycle');
  const startedAt = world.now();
  world.lifecycleActions.set(token, {
    token,
    asg: options.asg,
    hook: options.hook,
    instanceId: options.instanceId,
    transition: options.transition,
    startedAt,
    timeoutAt: startedAt + (options.heartbeatTimeoutMs ?? 3_600_000),
    defaultResult: options.defaultResult ?? 'ABANDON',
    completed: undefined,
  });
  return token;
}

export function completeLifecycleAction(world: WorldModel, input: CompleteLifecycleActionCommandInput): Out<CompleteLifecycleActionCommandOutput> {
  if (input.AutoScalingGroupName === undefined || input.LifecycleHookName === undefined || input.LifecycleActionResult === undefined) {
    throw asgError('ValidationError', 'AutoScalingGroupName, LifecycleHookName and LifecycleActionResult are required');
  }
  const result = input.LifecycleActionResult;
  if (result !== 'CONTINUE' && result !== 'ABANDON') throw asgError('ValidationError', `Invalid lifecycle action result: ${result}. Valid values are CONTINUE and ABANDON`);
  const active = (action: LifecycleActionRec): boolean =>
    action.completed === undefined && action.asg === input.AutoScalingGroupName && action.hook === input.LifecycleHookName;
  let action: LifecycleActionRec | undefined;
  if (input.LifecycleActionToken !== undefined) {
    const candidate = world.lifecycleActions.get(input.LifecycleActionToken);
    action = candidate && active(candidate) && (input.InstanceId === undefined || candidate.instanceId === input.InstanceId) ? candidate : undefined;
    if (!action) throw asgError('ValidationError', `No active Lifecycle Action found with token ${input.LifecycleActionToken}`);
  } else if (input.InstanceId !== undefined) {
    action = [...world.lifecycleActions.values()].find((candidate) => active(candidate) && candidate.instanceId === input.InstanceId);
    if (!action) throw asgError('ValidationError', `No active Lifecycle Action found with instance ID ${input.InstanceId}`);
  } else {
    throw asgError('ValidationError', 'Either LifecycleActionToken or InstanceId must be specified');
  }
  action.completed = { result, at: world.now(), by: 'api' };
  return {};
}
