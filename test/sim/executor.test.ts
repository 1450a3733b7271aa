/**
 * The SSM executor option: scripts run by someone else (the lab runs them in network namespaces)
 * keep SSM's timeline: InProgress while running, then the outcome as the agent reports it.
 */
import { GetCommandInvocationCommand, type GetCommandInvocationCommandOutput, SendCommandCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../sim/clock.js';
import { type ScriptExecutor, type ScriptOutcome, buildVipPair } from '../../sim/world.js';

/** An executor whose runs finish when the test says so. */
function deferredExecutor() {
  const runs: { instanceId: string; script: string; executionTimeoutMs: number; finish: (outcome: ScriptOutcome) => void; fail: (error: Error) => void }[] = [];
  const executor: ScriptExecutor = (instanceId, script, { executionTimeoutMs }) =>
    new Promise((resolve, reject) => runs.push({ instanceId, script, executionTimeoutMs, finish: resolve, fail: reject }));
  return { runs, executor };
}

/** Lets the executor's settled promise reach the world. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const clock = manualClock();
  const { runs, executor } = deferredExecutor();
  const pair = buildVipPair({ worldOptions: { clock, ssm: { notFoundPolls: 0, executionDelayMs: 500, executor } } });
  const { ssm } = pair.world.clients();
  async function send(instanceId: string, commands = ['echo hello', 'exit 3'], executionTimeout = '10'): Promise<() => Promise<GetCommandInvocationCommandOutput>> {
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands, executionTimeout: [executionTimeout] }, TimeoutSeconds: 30 }));
    const commandId = sent.Command?.CommandId ?? '';
    return () => ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  }
  return { ...pair, clock, runs, send };
}

describe('SSM with an executor', () => {
  it('stays InProgress while the script runs, then reports its output and exit code', async () => {
    const { a, clock, runs, send } = setup();
    const poll = await send(a.instanceId);
    clock.advance(500);

    const running = await poll();
    clock.advance(1_200);
    runs[0]?.finish({ exitCode: 3, stdout: 'hello\n', stderr: 'oops\n' });
    await flush();
    const done = await poll();

    expect(runs.map((r) => [r.instanceId, r.script, r.executionTimeoutMs])).toEqual([[a.instanceId, 'echo hello\nexit 3', 10_000]]);
    expect(running).toMatchObject({ Status: 'InProgress', ResponseCode: -1, ExecutionStartDateTime: new Date(clock.now() - 1_200).toISOString() });
    expect(done).toMatchObject({ Status: 'Failed', StatusDetails: 'Failed', ResponseCode: 3, StandardOutputContent: 'hello\n', StandardErrorContent: 'oops\n', ExecutionElapsedTime: 'PT1.200S' });
  });

  it('reports a script killed at executionTimeout as ExecutionTimedOut', async () => {
    const { a, clock, runs, send } = setup();
    const poll = await send(a.instanceId, ['sleep 60'], '5');
    clock.advance(500);
    await poll();

    clock.advance(5_000);
    runs[0]?.finish({ timedOut: true, stdout: 'partial\n' });
    await flush();

    expect(await poll()).toMatchObject({ Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut', ResponseCode: -1, StandardOutputContent: 'partial\n' });
  });

  it('fails the invocation when the executor cannot run the script at all', async () => {
    const { a, clock, runs, send } = setup();
    const poll = await send(a.instanceId);
    clock.advance(500);
    await poll();

    runs[0]?.fail(new Error('no namespace for the instance'));
    await flush();

    expect(await poll()).toMatchObject({ Status: 'Failed', StandardErrorContent: expect.stringContaining('no namespace for the instance') });
  });

  it('never runs a script on a hung instance, nor on a stopped one', async () => {
    const { world, a, b, clock, runs, send } = setup();
    world.hang(a.instanceId);
    world.stop(b.instanceId);
    const pollHung = await send(a.instanceId);
    const pollStopped = await send(b.instanceId);

    clock.advance(31_000);
    const hung = await pollHung();
    const stopped = await pollStopped();

    expect(runs).toEqual([]);
    expect(hung).toMatchObject({ Status: 'TimedOut', StatusDetails: 'DeliveryTimedOut' });
    expect(stopped).toMatchObject({ Status: 'Failed', StatusDetails: 'Undeliverable' });
  });

  it('starts each invocation once, however often the world settles while it runs', async () => {
    const { world, a, clock, runs, send } = setup();
    const poll = await send(a.instanceId);
    clock.advance(500);

    await poll();
    world.settle();
    await poll();

    expect(runs).toHaveLength(1);
  });
});
