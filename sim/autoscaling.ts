/**
 * Auto Scaling: lifecycle actions (the hooks an ASG raises on launch or terminate, finished with
 * CompleteLifecycleAction or by the heartbeat timeout applying the default result), and
 * TerminateInstanceInAutoScalingGroup (the member is terminated; unless the desired capacity is
 * decremented, the group launches a replacement with the same tags in the same subnet).
 */
import type {
  CompleteLifecycleActionCommandInput,
  CompleteLifecycleActionCommandOutput,
  TerminateInstanceInAutoScalingGroupCommandInput,
  TerminateInstanceInAutoScalingGroupCommandOutput,
} from '@aws-sdk/client-auto-scaling';
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

/** Set by Auto Scaling on its instances: the world's only record of membership. */
const GROUP_TAG = 'aws:autoscaling:groupName';

export function terminateInstanceInAutoScalingGroup(world: WorldModel, input: TerminateInstanceInAutoScalingGroupCommandInput): Out<TerminateInstanceInAutoScalingGroupCommandOutput> {
  if (input.InstanceId === undefined) throw asgError('ValidationError', '1 validation error detected: Value null at \'instanceId\' failed to satisfy constraint: Member must not be null');
  if (input.ShouldDecrementDesiredCapacity === undefined) {
    throw asgError('ValidationError', '1 validation error detected: Value null at \'shouldDecrementDesiredCapacity\' failed to satisfy constraint: Member must not be null');
  }
  const instance = world.instances.get(input.InstanceId);
  const group = instance?.tags[GROUP_TAG];
  if (!instance || group === undefined || instance.state === 'terminated') {
    throw asgError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${input.InstanceId}`);
  }
  const { terminateMs, startMs, statusMs } = world.options.lifecycle;
  const id = instance.id;
  if (instance.state !== 'shutting-down') {
    instance.state = 'shutting-down';
    const decrement = input.ShouldDecrementDesiredCapacity;
    world.transitions.push({
      instanceId: id,
      at: world.now() + terminateMs,
      apply: () => {
        const gone = world.instances.get(id);
        if (!gone || gone.state === 'terminated') return;
        const { subnetId, tags } = gone;
        world.terminate(id);
        if (decrement) return;
        // The group keeps its size: a fresh instance, booting, from the same launch template (same tags).
        const fresh = world.addInstance({ subnet: subnetId, tags: { ...tags }, status: 'initializing' });
        world.replacements.push({ terminated: id, launched: fresh.instanceId, group });
        world.transitions.push({ instanceId: fresh.instanceId, at: world.now() + startMs + statusMs, apply: () => world.setStatus(fresh.instanceId, { instance: 'ok', system: 'ok' }) });
      },
    });
  }
  return {
    Activity: {
      ActivityId: world.nextUuid('activity'),
      AutoScalingGroupName: group,
      Description: `Terminating EC2 instance: ${id}`,
      Cause: `At ${new Date(world.now()).toISOString()} instance ${id} was taken out of service in response to a user request${input.ShouldDecrementDesiredCapacity ? ', shrinking the capacity from N to N-1' : ''}.`,
      StartTime: new Date(world.now()),
      StatusCode: 'InProgress',
      Progress: 0,
    },
  };
}
