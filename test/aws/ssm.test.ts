import {
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
  SSMServiceException,
  type GetCommandInvocationCommandInput,
  type GetCommandInvocationCommandOutput,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSsmHostPort, invocationOutcome } from '../../shared/aws/ssm.js';
import type { Clock, HostScript } from '../../shared/core/ports.js';
import { AwsCallError } from '../../shared/errors.js';
import { manualClock } from '../support/clock.js';

const ssm = mockClient(SSMClient);
const client = new SSMClient({ region: 'us-east-1' });
const script: HostScript = { name: 'probe', lines: ['set -u', 'echo "vpcf ok"'] };

function ssmError(name: string, httpStatusCode = 400): SSMServiceException {
  return new SSMServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message: `${name}: simulated` });
}

const instanceIds = (count: number, offset = 0): string[] =>
  Array.from({ length: count }, (_, index) => `i-${(index + offset).toString(16).padStart(17, '0')}`);

/** SendCommand answers with a command id per call: cmd-1, cmd-2, ... */
function acceptCommands(): void {
  let counter = 0;
  ssm.on(SendCommandCommand).callsFake(async () => ({ Command: { CommandId: `cmd-${++counter}` } }));
}

type Answer = Partial<GetCommandInvocationCommandOutput> | Error;

/** GetCommandInvocation answers per instance from a queue; the last answer repeats. */
function invocations(answers: Record<string, Answer[]>, fallback: Answer = { Status: 'Success', StatusDetails: 'Success', ResponseCode: 0 }): void {
  const seen: Record<string, number> = {};
  ssm.on(GetCommandInvocationCommand).callsFake(async (input: GetCommandInvocationCommandInput) => {
    const id = input.InstanceId ?? '';
    const queue = answers[id] ?? [fallback];
    const index = Math.min(seen[id] ?? 0, queue.length - 1);
    seen[id] = (seen[id] ?? 0) + 1;
    const answer = queue[index]!;
    if (answer instanceof Error) throw answer;
    return answer;
  });
}

const sendInputs = (): SendCommandCommandInput[] => ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input);
const pollInputs = (): GetCommandInvocationCommandInput[] => ssm.commandCalls(GetCommandInvocationCommand).map((call) => call.args[0].input);

beforeEach(() => {
  ssm.reset();
});

describe('SsmHostPort.run', () => {
  it('sends AWS-RunShellScript with the script lines, execution timeout and delivery timeout', async () => {
    acceptCommands();
    invocations({});
    const clock = manualClock();

    await createSsmHostPort(client, { clock }).run(['i-0000000000000000a'], script, clock.now() + 5_000);

    expect(sendInputs()).toEqual([
      {
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-0000000000000000a'],
        Parameters: { commands: ['set -u', 'echo "vpcf ok"'], executionTimeout: ['10'] },
        TimeoutSeconds: 30,
        Comment: 'vpc-failover probe',
      },
    ]);
  });

  it('uses the configured execution timeout and comment', async () => {
    acceptCommands();
    invocations({});
    const clock = manualClock();

    await createSsmHostPort(client, { clock, executionTimeoutSeconds: 3, comment: 'activate vip web' }).run(
      ['i-0000000000000000a'],
      script,
      clock.now() + 5_000,
    );

    expect(sendInputs()[0]).toMatchObject({ Parameters: { commands: script.lines, executionTimeout: ['3'] }, Comment: 'activate vip web' });
  });

  it('sends one command per 50 instances and polls each instance under its own command', async () => {
    acceptCommands();
    invocations({});
    const clock = manualClock();
    const ids = instanceIds(120);

    const results = await createSsmHostPort(client, { clock }).run(ids, script, clock.now() + 5_000);

    expect(sendInputs().map((input) => input.InstanceIds)).toEqual([ids.slice(0, 50), ids.slice(50, 100), ids.slice(100)]);
    const commandOf = Object.fromEntries(pollInputs().map((input) => [input.InstanceId, input.CommandId]));
    const commandsUsed = new Set(Object.values(commandOf));
    expect(Object.keys(commandOf)).toHaveLength(120);
    expect(commandsUsed.size).toBe(3);
    expect(commandOf[ids[0]!]).toBe(commandOf[ids[49]!]);
    expect(commandOf[ids[0]!]).not.toBe(commandOf[ids[50]!]);
    expect(results.map((r) => r.instanceId)).toEqual(ids);
    expect(results.every((r) => r.status === 'success')).toBe(true);
  });

  it('runs each instance once even when listed twice', async () => {
    acceptCommands();
    invocations({});
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run(['i-0000000000000000a', 'i-0000000000000000a'], script, clock.now() + 5_000);

    expect(sendInputs()[0]?.InstanceIds).toEqual(['i-0000000000000000a']);
    expect(results).toHaveLength(1);
  });

  it('does nothing for no instances', async () => {
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([], script, clock.now() + 5_000);

    expect(results).toEqual([]);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('keeps polling while the invocation does not exist yet, then reports output and exit code', async () => {
    acceptCommands();
    invocations({
      'i-0000000000000000a': [
        ssmError('InvocationDoesNotExist'),
        ssmError('InvocationDoesNotExist'),
        { Status: 'InProgress', StatusDetails: 'InProgress', ResponseCode: -1 },
        { Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, StandardOutputContent: 'vpcf ok\n', StandardErrorContent: '' },
      ],
    });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock, pollIntervalMs: 200 }).run(['i-0000000000000000a'], script, clock.now() + 5_000);

    expect(pollInputs()).toHaveLength(4);
    expect(pollInputs()[0]).toEqual({ CommandId: 'cmd-1', InstanceId: 'i-0000000000000000a' });
    expect(clock.sleeps).toEqual([200, 200, 200, 200]);
    expect(results).toEqual([{ instanceId: 'i-0000000000000000a', status: 'success', exitCode: 0, stdout: 'vpcf ok\n', stderr: '' }]);
  });

  it('reports timed-out at the deadline and never waits past it', async () => {
    acceptCommands();
    invocations({ 'i-0000000000000000a': [{ Status: 'InProgress', StatusDetails: 'InProgress' }] });
    const clock = manualClock(1_000_000);
    const deadline = 1_000_000 + 1_300;

    const results = await createSsmHostPort(client, { clock, pollIntervalMs: 500 }).run(['i-0000000000000000a'], script, deadline);

    expect(results).toEqual([{ instanceId: 'i-0000000000000000a', status: 'timed-out', stdout: '', stderr: '' }]);
    expect(clock.sleeps).toEqual([500, 500, 300]);
    expect(clock.now()).toBe(deadline);
  });

  it('reports timed-out without polling when the deadline has already passed', async () => {
    acceptCommands();
    invocations({});
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run(['i-0000000000000000a'], script, clock.now());

    expect(results[0]?.status).toBe('timed-out');
    expect(pollInputs()).toHaveLength(0);
  });

  it('stops polling an instance once it is terminal while others keep running', async () => {
    acceptCommands();
    invocations({
      'i-0000000000000000a': [{ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0 }],
      'i-0000000000000000b': [{ Status: 'InProgress' }, { Status: 'InProgress' }, { Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 4 }],
    });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run(['i-0000000000000000a', 'i-0000000000000000b'], script, clock.now() + 5_000);

    expect(pollInputs().filter((input) => input.InstanceId === 'i-0000000000000000a')).toHaveLength(1);
    expect(pollInputs().filter((input) => input.InstanceId === 'i-0000000000000000b')).toHaveLength(3);
    expect(results).toEqual([
      { instanceId: 'i-0000000000000000a', status: 'success', exitCode: 0, stdout: '', stderr: '' },
      { instanceId: 'i-0000000000000000b', status: 'failed', exitCode: 4, stdout: '', stderr: '' },
    ]);
  });

  it('keeps polling through throttling', async () => {
    acceptCommands();
    invocations({ 'i-0000000000000000a': [ssmError('ThrottlingException'), { Status: 'Success', StatusDetails: 'Success', ResponseCode: 0 }] });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run(['i-0000000000000000a'], script, clock.now() + 5_000);

    expect(results[0]?.status).toBe('success');
  });

  it('throws a non-retriable polling error', async () => {
    acceptCommands();
    invocations({ 'i-0000000000000000a': [ssmError('AccessDeniedException', 403)] });
    const clock = manualClock();

    const error = await createSsmHostPort(client, { clock })
      .run(['i-0000000000000000a'], script, clock.now() + 5_000)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'GetCommandInvocation', code: 'AccessDeniedException', retriable: false });
    expect((error as AwsCallError).context).toEqual({ instanceId: 'i-0000000000000000a', commandId: 'cmd-1' });
  });

  it('reports an instance SSM does not manage as undeliverable without losing the rest of its chunk', async () => {
    const unmanaged = 'i-0000000000000000c';
    ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
      if (input.InstanceIds?.includes(unmanaged)) throw ssmError('InvalidInstanceId');
      return { Command: { CommandId: `cmd-${input.InstanceIds?.join('+')}` } };
    });
    invocations({});
    const clock = manualClock();
    const ids = ['i-0000000000000000a', unmanaged, 'i-0000000000000000b'];

    const results = await createSsmHostPort(client, { clock }).run(ids, script, clock.now() + 5_000);

    expect(sendInputs().map((input) => input.InstanceIds)).toEqual([ids, [ids[0]], [unmanaged], [ids[2]]]);
    expect(results.map((r) => [r.instanceId, r.status])).toEqual([
      ['i-0000000000000000a', 'success'],
      [unmanaged, 'undeliverable'],
      ['i-0000000000000000b', 'success'],
    ]);
  });

  it('throws a retriable AwsCallError when SendCommand is throttled, after every chunk settled', async () => {
    let sends = 0;
    ssm.on(SendCommandCommand).callsFake(async () => {
      sends += 1;
      if (sends === 1) throw ssmError('ThrottlingException');
      return { Command: { CommandId: `cmd-${sends}` } };
    });
    invocations({});
    const clock = manualClock();

    const error = await createSsmHostPort(client, { clock })
      .run(instanceIds(60), script, clock.now() + 5_000)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'SendCommand', code: 'ThrottlingException', retriable: true });
    expect((error as AwsCallError).context['script']).toBe('probe');
    expect(sends).toBe(2);
    expect(pollInputs()).toHaveLength(0);
  });
});

describe('invocationOutcome', () => {
  it.each([
    ['Pending', 'Pending', undefined],
    ['InProgress', 'InProgress', undefined],
    ['Delayed', 'Delayed', undefined],
    ['Cancelling', 'Cancelling', undefined],
    ['Success', 'Success', 'success'],
    ['Failed', 'Failed', 'failed'],
    ['Cancelled', 'Cancelled', 'failed'],
    ['Failed', 'Terminated', 'failed'],
    ['TimedOut', 'ExecutionTimedOut', 'timed-out'],
    ['TimedOut', 'Execution Timed Out', 'timed-out'],
    ['TimedOut', 'DeliveryTimedOut', 'undeliverable'],
    ['TimedOut', 'Delivery Timed Out', 'undeliverable'],
    ['Failed', 'Undeliverable', 'undeliverable'],
    ['Failed', 'InvalidPlatform', 'undeliverable'],
    ['Failed', 'AccessDenied', 'undeliverable'],
    ['TimedOut', undefined, 'timed-out'],
    ['Failed', 'SomethingNew', 'failed'],
    [undefined, undefined, undefined],
  ])('maps Status %s / StatusDetails %s to %s', (status, details, expected) => {
    expect(invocationOutcome(status, details)).toBe(expected);
  });
});
