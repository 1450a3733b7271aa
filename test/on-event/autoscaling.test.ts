/** The Auto Scaling adapter sends exactly what the CompleteLifecycleAction reference asks for. */
import { AutoScalingClient, AutoScalingServiceException, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLifecyclePort } from '../../shared/aws/autoscaling.js';
import type { LifecycleAction } from '../../shared/events/schemas.js';
import { AwsCallError } from '../../shared/errors.js';

const client = new AutoScalingClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const mock = mockClient(client);
const action: LifecycleAction = {
  autoScalingGroupName: 'nat-asg',
  lifecycleHookName: 'vpc-failover-terminate',
  token: '87654321-4321-4321-4321-210987654321',
  instanceId: 'i-1234567890abcdef0',
};

function asgError(name: string, message: string, httpStatusCode = 400): AutoScalingServiceException {
  return new AutoScalingServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
}

beforeEach(() => mock.reset());

describe('LifecyclePort.complete', () => {
  it('sends the group, hook, token, instance and result', async () => {
    mock.on(CompleteLifecycleActionCommand).resolves({});

    await expect(createLifecyclePort(client).complete(action, 'CONTINUE')).resolves.toBe('completed');

    expect(mock.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input)).toEqual([
      {
        AutoScalingGroupName: 'nat-asg',
        LifecycleHookName: 'vpc-failover-terminate',
        LifecycleActionToken: '87654321-4321-4321-4321-210987654321',
        InstanceId: 'i-1234567890abcdef0',
        LifecycleActionResult: 'CONTINUE',
      },
    ]);
  });

  it('counts an action that is no longer active as already completed', async () => {
    mock.on(CompleteLifecycleActionCommand).rejects(asgError('ValidationError', 'No active Lifecycle Action found with token 87654321-4321-4321-4321-210987654321'));

    await expect(createLifecyclePort(client).complete(action, 'CONTINUE')).resolves.toBe('already-completed');
  });

  it('reports any other ValidationError as a non-retriable AwsCallError with the hook as context', async () => {
    mock.on(CompleteLifecycleActionCommand).rejects(asgError('ValidationError', 'Invalid lifecycle action result'));

    const error = await createLifecyclePort(client).complete(action, 'CONTINUE').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      operation: 'CompleteLifecycleAction',
      code: 'ValidationError',
      retriable: false,
      context: { autoScalingGroupName: 'nat-asg', lifecycleHookName: 'vpc-failover-terminate', instanceId: 'i-1234567890abcdef0' },
    });
  });

  it('reports throttling as retriable', async () => {
    mock.on(CompleteLifecycleActionCommand).rejects(asgError('Throttling', 'Rate exceeded'));

    await expect(createLifecyclePort(client).complete(action, 'CONTINUE')).rejects.toMatchObject({ code: 'Throttling', retriable: true });
  });

  it('lets a programming error through untranslated', async () => {
    mock.on(CompleteLifecycleActionCommand).rejects(new TypeError('bad mapping'));

    await expect(createLifecyclePort(client).complete(action, 'CONTINUE')).rejects.toBeInstanceOf(TypeError);
  });
});
