/**
 * Auto Scaling adapter: finishing a lifecycle action. Completing one that is already finished
 * (by us on a duplicate event, by another tool, or by the heartbeat timeout) counts as done.
 */
import { CompleteLifecycleActionCommand, type AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CallOptions } from '../core/ports.js';
import type { LifecycleAction } from '../events/schemas.js';
import { isAwsErrorCode, toAwsCallError } from './translate.js';

export type LifecycleResult = 'CONTINUE' | 'ABANDON';

/** Lets an Auto Scaling group proceed with a launch or a termination it holds for a hook. */
export interface LifecyclePort {
  /**
   * Sends CompleteLifecycleAction. Resolves `already-completed` when Auto Scaling has no active
   * action for the token any more. Throws AwsCallError (throttling is retriable).
   */
  complete(action: LifecycleAction, result: LifecycleResult, options?: CallOptions): Promise<'completed' | 'already-completed'>;
}

// The API answers a finished, expired or unknown action with this ValidationError message.
const NO_ACTIVE_ACTION = /No active Lifecycle Action found/i;

export function createLifecyclePort(client: AutoScalingClient): LifecyclePort {
  return {
    async complete(action, result, call = {}) {
      const context = {
        autoScalingGroupName: action.autoScalingGroupName,
        lifecycleHookName: action.lifecycleHookName,
        instanceId: action.instanceId,
      };
      try {
        await client.send(
          new CompleteLifecycleActionCommand({
            AutoScalingGroupName: action.autoScalingGroupName,
            LifecycleHookName: action.lifecycleHookName,
            LifecycleActionToken: action.token,
            InstanceId: action.instanceId,
            LifecycleActionResult: result,
          }),
          { abortSignal: call.signal },
        );
        return 'completed';
      } catch (error) {
        if (isAwsErrorCode(error, 'ValidationError') && error instanceof Error && NO_ACTIVE_ACTION.test(error.message)) return 'already-completed';
        throw toAwsCallError('CompleteLifecycleAction', error, context);
      }
    },
  };
}
