import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
  SSMServiceException,
  type CommandInvocation,
  type DescribeInstanceInformationCommandInput,
  type GetCommandInvocationCommandInput,
  type GetCommandInvocationCommandOutput,
  type ListCommandInvocationsCommandInput,
  type ListCommandInvocationsCommandOutput,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSsmAgentPort, createSsmHostPort, invocationOutcome } from '../../shared/aws/ssm.js';
import type { HostScript } from '../../shared/core/ports.js';
import { AwsCallError } from '../../shared/errors.js';
import { manualClock } from '../../sim/clock.js';

const ssm = mockClient(SSMClient);
const client = new SSMClient({ region: 'us-east-1' });
const script: HostScript = { name: 'probe', lines: ['set -u', 'echo "vpcf ok"'] };

function ssmError(name: string, httpStatusCode = 400): SSMServiceException {
  return new SSMServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode }, message: `${name}: simulated` });
}

const instanceIds = (count: number, offset = 0): string[] =>
  Array.from({ length: count }, (_, index) => `i-${(index + offset).toString(16).padStart(17, '0')}`);

/** Instances per command id, as SendCommand received them. */
let sentTo: Map<string, string[]>;

/** SendCommand answers with a command id per call: cmd-1, cmd-2, ... */
function acceptCommands(): void {
  let counter = 0;
  ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
    const commandId = `cmd-${++counter}`;
    sentTo.set(commandId, [...(input.InstanceIds ?? [])]);
    return { Command: { CommandId: commandId } };
  });
}

/** A listed invocation whose one plugin (aws:runShellScript) is in the given state. */
function listedAs(instanceId: string, status: string, details: string, plugin: { code?: number; output?: string } = {}): CommandInvocation {
  return {
    InstanceId: instanceId,
    Status: status as CommandInvocation['Status'],
    StatusDetails: details,
    CommandPlugins: [{ Name: 'aws:runShellScript', Status: status as 'Success', StatusDetails: details, ResponseCode: plugin.code ?? -1, Output: plugin.output ?? '' }],
  };
}
const succeeded = (instanceId: string, output = ''): CommandInvocation => listedAs(instanceId, 'Success', 'Success', { code: 0, output });
const running = (instanceId: string): CommandInvocation => listedAs(instanceId, 'InProgress', 'InProgress');

type Page = CommandInvocation[] | Partial<ListCommandInvocationsCommandOutput> | Error;

/**
 * ListCommandInvocations answers per command from a queue of first pages (the last repeats); a
 * command without a queue lists every instance it was sent to as succeeded with no output.
 */
function listings(answers: Record<string, Page[]> = {}, nextPages: Record<string, Partial<ListCommandInvocationsCommandOutput>> = {}): void {
  const seen: Record<string, number> = {};
  ssm.on(ListCommandInvocationsCommand).callsFake(async (input: ListCommandInvocationsCommandInput) => {
    if (input.NextToken !== undefined) return nextPages[input.NextToken] ?? { CommandInvocations: [] };
    const id = input.CommandId ?? '';
    const queue = answers[id] ?? [(sentTo.get(id) ?? []).map((instanceId) => succeeded(instanceId))];
    const index = Math.min(seen[id] ?? 0, queue.length - 1);
    seen[id] = (seen[id] ?? 0) + 1;
    const answer = queue[index]!;
    if (answer instanceof Error) throw answer;
    return Array.isArray(answer) ? { CommandInvocations: answer } : answer;
  });
}

type Answer = Partial<GetCommandInvocationCommandOutput> | Error;

/** GetCommandInvocation answers per instance from a queue; the last answer repeats. */
function invocations(answers: Record<string, Answer[]>): void {
  const seen: Record<string, number> = {};
  ssm.on(GetCommandInvocationCommand).callsFake(async (input: GetCommandInvocationCommandInput) => {
    const id = input.InstanceId ?? '';
    const queue = answers[id] ?? [ssmError('InvocationDoesNotExist')];
    const index = Math.min(seen[id] ?? 0, queue.length - 1);
    seen[id] = (seen[id] ?? 0) + 1;
    const answer = queue[index]!;
    if (answer instanceof Error) throw answer;
    return answer;
  });
}

const sendInputs = (): SendCommandCommandInput[] => ssm.commandCalls(SendCommandCommand).map((call) => call.args[0].input);
const listInputs = (): ListCommandInvocationsCommandInput[] => ssm.commandCalls(ListCommandInvocationsCommand).map((call) => call.args[0].input);
const getInputs = (): GetCommandInvocationCommandInput[] => ssm.commandCalls(GetCommandInvocationCommand).map((call) => call.args[0].input);

const A = 'i-0000000000000000a';
const B = 'i-0000000000000000b';
/** What the SSM agent appends to a plugin Output it cut, and puts before stderr. */
const OUTPUT_CUT = '\n---Output truncated---';
const ERROR_TITLE = '\n----------ERROR-------\n';

beforeEach(() => {
  ssm.reset();
  sentTo = new Map();
});

describe('SsmHostPort.run', () => {
  it('sends AWS-RunShellScript with the script lines, execution timeout and delivery timeout', async () => {
    acceptCommands();
    listings();
    const clock = manualClock();

    await createSsmHostPort(client, { clock }).run([A], script, clock.now() + 5_000);

    expect(sendInputs()).toEqual([
      {
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [A],
        Parameters: { commands: ['set -u', 'echo "vpcf ok"'], executionTimeout: ['10'] },
        TimeoutSeconds: 30,
        Comment: 'vpc-failover probe',
      },
    ]);
  });

  it('uses the configured execution timeout and comment', async () => {
    acceptCommands();
    listings();
    const clock = manualClock();

    await createSsmHostPort(client, { clock, executionTimeoutSeconds: 3, comment: 'activate vip web' }).run([A], script, clock.now() + 5_000);

    expect(sendInputs()[0]).toMatchObject({ Parameters: { commands: script.lines, executionTimeout: ['3'] }, Comment: 'activate vip web' });
  });

  it('sends one command per 50 instances and lists the invocations of each command, with details', async () => {
    acceptCommands();
    listings();
    const clock = manualClock();
    const ids = instanceIds(120);

    const results = await createSsmHostPort(client, { clock }).run(ids, script, clock.now() + 5_000);

    expect(sendInputs().map((input) => input.InstanceIds)).toEqual([ids.slice(0, 50), ids.slice(50, 100), ids.slice(100)]);
    expect(listInputs()).toEqual([
      { CommandId: 'cmd-1', Details: true, MaxResults: 50 },
      { CommandId: 'cmd-2', Details: true, MaxResults: 50 },
      { CommandId: 'cmd-3', Details: true, MaxResults: 50 },
    ]);
    expect(getInputs()).toEqual([]);
    expect(results.map((r) => r.instanceId)).toEqual(ids);
    expect(results.every((r) => r.status === 'success')).toBe(true);
  });

  it('polls a 50-instance command with one ListCommandInvocations call per round, not one call per instance', async () => {
    acceptCommands();
    const ids = instanceIds(50);
    listings({ 'cmd-1': [ids.map(running), ids.map(running), ids.map((id) => succeeded(id, 'vpcf ok\n'))] });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock, pollIntervalMs: 200 }).run(ids, script, clock.now() + 5_000);

    expect(clock.sleeps).toEqual([200, 200, 200]);
    expect(listInputs()).toHaveLength(3);
    expect(getInputs()).toHaveLength(0);
    expect(results).toHaveLength(50);
    expect(results[49]).toEqual({ instanceId: ids[49], status: 'success', exitCode: 0, stdout: 'vpcf ok\n', stderr: '' });
  });

  it('runs each instance once even when listed twice', async () => {
    acceptCommands();
    listings();
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A, A], script, clock.now() + 5_000);

    expect(sendInputs()[0]?.InstanceIds).toEqual([A]);
    expect(results).toHaveLength(1);
  });

  it('does nothing for no instances', async () => {
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([], script, clock.now() + 5_000);

    expect(results).toEqual([]);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('counts instances the listing does not show yet as pending: empty first, then partial', async () => {
    acceptCommands();
    listings({ 'cmd-1': [[], [succeeded(A, 'a\n')], [succeeded(A, 'a\n'), succeeded(B, 'b\n')]] });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock, pollIntervalMs: 200 }).run([A, B], script, clock.now() + 5_000);

    expect(listInputs()).toHaveLength(3);
    expect(clock.sleeps).toEqual([200, 200, 200]);
    expect(results).toEqual([
      { instanceId: A, status: 'success', exitCode: 0, stdout: 'a\n', stderr: '' },
      { instanceId: B, status: 'success', exitCode: 0, stdout: 'b\n', stderr: '' },
    ]);
  });

  it('reads the exit code from the plugin and omits it when ResponseCode is -1', async () => {
    acceptCommands();
    listings({
      'cmd-1': [
        [
          listedAs(A, 'Failed', 'Failed', { code: 3, output: 'vpcf result=no-interface\n' }),
          listedAs(B, 'TimedOut', 'DeliveryTimedOut', { code: -1 }),
        ],
      ],
    });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A, B], script, clock.now() + 5_000);

    expect(results).toEqual([
      { instanceId: A, status: 'failed', exitCode: 3, stdout: 'vpcf result=no-interface\n', stderr: '' },
      { instanceId: B, status: 'undeliverable', stdout: '', stderr: '' },
    ]);
    expect(getInputs()).toHaveLength(0);
  });

  it('reports an undeliverable invocation listed without plugins without reading it again', async () => {
    acceptCommands();
    listings({ 'cmd-1': [[{ InstanceId: A, Status: 'Failed', StatusDetails: 'Undeliverable', CommandPlugins: [] }]] });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A], script, clock.now() + 5_000);

    expect(results).toEqual([{ instanceId: A, status: 'undeliverable', stdout: '', stderr: '' }]);
    expect(getInputs()).toHaveLength(0);
  });

  it('follows NextToken within a round when the first page does not cover every instance', async () => {
    acceptCommands();
    listings({ 'cmd-1': [{ CommandInvocations: [succeeded(A)], NextToken: 'page-2' }] }, { 'page-2': { CommandInvocations: [succeeded(B)] } });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A, B], script, clock.now() + 5_000);

    expect(listInputs()).toEqual([
      { CommandId: 'cmd-1', Details: true, MaxResults: 50 },
      { CommandId: 'cmd-1', Details: true, MaxResults: 50, NextToken: 'page-2' },
    ]);
    expect(results.map((r) => r.status)).toEqual(['success', 'success']);
  });

  it('does not ask for the next page once every pending instance is listed', async () => {
    acceptCommands();
    listings({ 'cmd-1': [{ CommandInvocations: [succeeded(A)], NextToken: 'page-2' }] });
    const clock = manualClock();

    await createSsmHostPort(client, { clock }).run([A], script, clock.now() + 5_000);

    expect(listInputs()).toEqual([{ CommandId: 'cmd-1', Details: true, MaxResults: 50 }]);
  });

  it('reads the full result with GetCommandInvocation when the listed output was cut, and only for that instance', async () => {
    acceptCommands();
    const full = `${'vpcf probe id=i-1 check=tcp result=ok\n'.repeat(130)}vpcf probe-end checks=130\n`;
    const cut = `${full.slice(0, 2_500 - OUTPUT_CUT.length)}${OUTPUT_CUT}`;
    listings({ 'cmd-1': [[succeeded(A, cut), succeeded(B, 'short\n')]] });
    invocations({ [A]: [{ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, StandardOutputContent: full, StandardErrorContent: '' }] });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A, B], script, clock.now() + 5_000);

    expect(getInputs()).toEqual([{ CommandId: 'cmd-1', InstanceId: A }]);
    expect(results).toEqual([
      { instanceId: A, status: 'success', exitCode: 0, stdout: full, stderr: '' },
      { instanceId: B, status: 'success', exitCode: 0, stdout: 'short\n', stderr: '' },
    ]);
  });

  it('reads the full result when the listed output is long enough to have been cut, even without a marker', async () => {
    acceptCommands();
    const long = 'x'.repeat(2_400);
    listings({ 'cmd-1': [[succeeded(A, long)]] });
    invocations({ [A]: [{ Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, StandardOutputContent: `${long}yz` }] });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A], script, clock.now() + 5_000);

    expect(getInputs()).toHaveLength(1);
    expect(results[0]?.stdout).toBe(`${long}yz`);
  });

  it('reads stderr with GetCommandInvocation when the listed output has an error part', async () => {
    acceptCommands();
    listings({ 'cmd-1': [[listedAs(A, 'Failed', 'Failed', { code: 127, output: `${ERROR_TITLE}sh: ip: not found` })]] });
    invocations({ [A]: [{ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 127, StandardOutputContent: '', StandardErrorContent: 'sh: ip: not found\n' }] });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A], script, clock.now() + 5_000);

    expect(getInputs()).toEqual([{ CommandId: 'cmd-1', InstanceId: A }]);
    expect(results).toEqual([{ instanceId: A, status: 'failed', exitCode: 127, stdout: '', stderr: 'sh: ip: not found\n' }]);
  });

  it('asks again next round when GetCommandInvocation does not have the invocation yet', async () => {
    acceptCommands();
    listings({ 'cmd-1': [[succeeded(A, `${ERROR_TITLE}warning`)]] });
    invocations({
      [A]: [ssmError('InvocationDoesNotExist'), { Status: 'Success', StatusDetails: 'Success', ResponseCode: 0, StandardOutputContent: 'ok\n', StandardErrorContent: 'warning' }],
    });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock, pollIntervalMs: 200 }).run([A], script, clock.now() + 5_000);

    expect(getInputs()).toHaveLength(2);
    expect(listInputs()).toHaveLength(2);
    expect(results).toEqual([{ instanceId: A, status: 'success', exitCode: 0, stdout: 'ok\n', stderr: 'warning' }]);
  });

  it('reports timed-out at the deadline and never waits past it', async () => {
    acceptCommands();
    listings({ 'cmd-1': [[running(A)]] });
    const clock = manualClock(1_000_000);
    const deadline = 1_000_000 + 1_300;

    const results = await createSsmHostPort(client, { clock, pollIntervalMs: 500 }).run([A], script, deadline);

    expect(results).toEqual([{ instanceId: A, status: 'timed-out', stdout: '', stderr: '' }]);
    expect(clock.sleeps).toEqual([500, 500, 300]);
    expect(clock.now()).toBe(deadline);
  });

  it('reports timed-out without polling when the deadline has already passed', async () => {
    acceptCommands();
    listings();
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A], script, clock.now());

    expect(results[0]?.status).toBe('timed-out');
    expect(listInputs()).toHaveLength(0);
  });

  it('keeps the first terminal answer of an instance while others of its command keep running', async () => {
    acceptCommands();
    listings({
      'cmd-1': [
        [succeeded(A), running(B)],
        [listedAs(A, 'Failed', 'Failed', { code: 9 }), running(B)],
        [listedAs(A, 'Failed', 'Failed', { code: 9 }), listedAs(B, 'Failed', 'Failed', { code: 4 })],
      ],
    });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A, B], script, clock.now() + 5_000);

    expect(listInputs()).toHaveLength(3);
    expect(results).toEqual([
      { instanceId: A, status: 'success', exitCode: 0, stdout: '', stderr: '' },
      { instanceId: B, status: 'failed', exitCode: 4, stdout: '', stderr: '' },
    ]);
  });

  it('keeps polling through throttling', async () => {
    acceptCommands();
    listings({ 'cmd-1': [ssmError('ThrottlingException'), [succeeded(A)]] });
    const clock = manualClock();

    const results = await createSsmHostPort(client, { clock }).run([A], script, clock.now() + 5_000);

    expect(listInputs()).toHaveLength(2);
    expect(results[0]?.status).toBe('success');
  });

  it('throws a non-retriable listing error with the command and its instances', async () => {
    acceptCommands();
    listings({ 'cmd-1': [ssmError('AccessDeniedException', 403)] });
    const clock = manualClock();

    const error = await createSsmHostPort(client, { clock })
      .run([A, B], script, clock.now() + 5_000)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'ListCommandInvocations', code: 'AccessDeniedException', retriable: false });
    expect((error as AwsCallError).context).toEqual({ commandId: 'cmd-1', instanceIds: `${A},${B}` });
  });

  it('throws a non-retriable GetCommandInvocation error with the instance and command', async () => {
    acceptCommands();
    listings({ 'cmd-1': [[succeeded(A, `${ERROR_TITLE}oops`)]] });
    invocations({ [A]: [ssmError('AccessDeniedException', 403)] });
    const clock = manualClock();

    const error = await createSsmHostPort(client, { clock })
      .run([A], script, clock.now() + 5_000)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'GetCommandInvocation', code: 'AccessDeniedException', retriable: false });
    expect((error as AwsCallError).context).toEqual({ instanceId: A, commandId: 'cmd-1' });
  });

  it('does not swallow a programming error while polling', async () => {
    acceptCommands();
    listings({ 'cmd-1': [new TypeError('not an AWS error')] });
    const clock = manualClock();

    const error = await createSsmHostPort(client, { clock })
      .run([A], script, clock.now() + 5_000)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TypeError);
    expect(listInputs()).toHaveLength(1);
  });

  it('reports an instance SSM does not manage as undeliverable without losing the rest of its chunk', async () => {
    const unmanaged = 'i-0000000000000000c';
    ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
      if (input.InstanceIds?.includes(unmanaged)) throw ssmError('InvalidInstanceId');
      const commandId = `cmd-${input.InstanceIds?.join('+')}`;
      sentTo.set(commandId, [...(input.InstanceIds ?? [])]);
      return { Command: { CommandId: commandId } };
    });
    listings();
    const clock = manualClock();
    const ids = [A, unmanaged, B];

    const results = await createSsmHostPort(client, { clock }).run(ids, script, clock.now() + 5_000);

    expect(sendInputs().map((input) => input.InstanceIds)).toEqual([ids, [A], [unmanaged], [B]]);
    expect(results.map((r) => [r.instanceId, r.status])).toEqual([
      [A, 'success'],
      [unmanaged, 'undeliverable'],
      [B, 'success'],
    ]);
  });

  it('throws a retriable AwsCallError when SendCommand is throttled, after every chunk settled', async () => {
    let sends = 0;
    ssm.on(SendCommandCommand).callsFake(async () => {
      sends += 1;
      if (sends === 1) throw ssmError('ThrottlingException');
      return { Command: { CommandId: `cmd-${sends}` } };
    });
    listings();
    const clock = manualClock();

    const error = await createSsmHostPort(client, { clock })
      .run(instanceIds(60), script, clock.now() + 5_000)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'SendCommand', code: 'ThrottlingException', retriable: true });
    expect((error as AwsCallError).context['script']).toBe('probe');
    expect(sends).toBe(2);
    expect(listInputs()).toHaveLength(0);
  });
});

describe('SsmHostPort.start and collect: a sweep sent by one run and read by the next', () => {
  it('sends the command and returns at once, listing nothing and naming the instances SSM refused', async () => {
    const unmanaged = 'i-0000000000000000c';
    ssm.on(SendCommandCommand).callsFake(async (input: SendCommandCommandInput) => {
      if (input.InstanceIds?.includes(unmanaged)) throw ssmError('InvalidInstanceId');
      return { Command: { CommandId: 'cmd-1' } };
    });
    const clock = manualClock();

    const pending = await createSsmHostPort(client, { clock }).start([A, unmanaged, A], script);

    expect(pending).toEqual({ sentAt: clock.now(), commands: [{ commandId: 'cmd-1', instanceIds: [A] }], refused: [unmanaged] });
    expect(listInputs()).toEqual([]);
    expect(clock.sleeps).toEqual([]);
  });

  it('reads a command sent by an earlier run at once, without waiting a poll interval first', async () => {
    acceptCommands();
    listings();
    const clock = manualClock();
    const host = createSsmHostPort(client, { clock });
    const pending = await host.start([A, B], script);
    clock.advance(60_000);

    const results = await host.collect(pending, clock.now() + 2_000);

    expect(clock.sleeps).toEqual([]);
    expect(listInputs()).toHaveLength(1);
    expect(results.map((r) => [r.instanceId, r.status])).toEqual([
      [A, 'success'],
      [B, 'success'],
    ]);
  });

  it('waits one poll interval before reading a command it has just sent', async () => {
    acceptCommands();
    listings();
    const clock = manualClock();
    const host = createSsmHostPort(client, { clock });

    await host.collect(await host.start([A], script), clock.now() + 5_000);

    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThan(0);
  });

  it('reports the refused instances as undeliverable and the rest as timed out once the run is aborted', async () => {
    const unmanaged = 'i-0000000000000000c';
    acceptCommands();
    listings({ 'cmd-1': [[running(A)]] });
    const clock = manualClock();
    const host = createSsmHostPort(client, { clock });
    const pending = { sentAt: clock.now() - 60_000, commands: [{ commandId: 'cmd-1', instanceIds: [A] }], refused: [unmanaged] };
    sentTo.set('cmd-1', [A]);

    const results = await host.collect(pending, clock.now() + 5_000, { signal: AbortSignal.abort() });

    expect(listInputs()).toEqual([]);
    expect(results.map((r) => [r.instanceId, r.status])).toEqual([
      [unmanaged, 'undeliverable'],
      [A, 'timed-out'],
    ]);
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

describe('SsmAgentPort.pingStatus', () => {
  beforeEach(() => {
    ssm.reset();
  });

  it('asks DescribeInstanceInformation by an InstanceIds filter, 50 instances a call, and maps each PingStatus', async () => {
    const ids = instanceIds(120);
    ssm.on(DescribeInstanceInformationCommand).callsFake(async (input: DescribeInstanceInformationCommandInput) => {
      const asked = input.Filters?.[0]?.Values ?? [];
      // Every third one unregistered (not listed); the others by position.
      const statuses = ['Online', 'ConnectionLost', 'Inactive'] as const;
      return { InstanceInformationList: asked.flatMap((id, i) => (ids.indexOf(id) % 3 === 2 && i % 2 === 0 ? [] : [{ InstanceId: id, PingStatus: statuses[ids.indexOf(id) % 3] }])) };
    });

    const status = await createSsmAgentPort(client).pingStatus([...ids, ids[0]!]);

    const calls = ssm.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { Filters: [{ Key: 'InstanceIds', Values: ids.slice(0, 50) }], MaxResults: 50 },
      { Filters: [{ Key: 'InstanceIds', Values: ids.slice(50, 100) }], MaxResults: 50 },
      { Filters: [{ Key: 'InstanceIds', Values: ids.slice(100) }], MaxResults: 50 },
    ]);
    expect(status.size).toBe(120);
    expect(status.get(ids[0]!)).toBe('online');
    expect(status.get(ids[1]!)).toBe('connection-lost');
    expect(status.get(ids[5]!)).toBe('inactive');
    expect(status.get(ids[2]!)).toBe('not-registered');
  });

  it('follows NextToken within a chunk', async () => {
    const ids = instanceIds(2);
    ssm
      .on(DescribeInstanceInformationCommand, { NextToken: undefined })
      .resolves({ InstanceInformationList: [{ InstanceId: ids[0], PingStatus: 'Online' }], NextToken: 'page-2' })
      .on(DescribeInstanceInformationCommand, { NextToken: 'page-2' })
      .resolves({ InstanceInformationList: [{ InstanceId: ids[1], PingStatus: 'ConnectionLost' }] });

    const status = await createSsmAgentPort(client).pingStatus(ids);

    expect(ssm.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
    expect([...status]).toEqual([
      [ids[0], 'online'],
      [ids[1], 'connection-lost'],
    ]);
  });

  it('makes no call for no instances', async () => {
    expect((await createSsmAgentPort(client).pingStatus([])).size).toBe(0);
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)).toHaveLength(0);
  });

  it('translates a refusal into an AwsCallError naming the operation, never into "not registered"', async () => {
    ssm.on(DescribeInstanceInformationCommand).rejects(ssmError('AccessDeniedException'));

    const error = await createSsmAgentPort(client).pingStatus(instanceIds(1)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'DescribeInstanceInformation', code: 'AccessDeniedException', retriable: false });
  });
});
