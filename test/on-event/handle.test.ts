/** handleEvent's contract with Lambda: what it returns, what it throws (only retriable failures), and what it completes. */
import { describe, expect, it } from 'vitest';
import type { LifecyclePort } from '../../shared/aws/autoscaling.js';
import type { GroupResult, RunRequest } from '../../shared/core/engine.js';
import type { InstanceState } from '../../shared/core/model.js';
import type { Ec2Action, LeaseGrant } from '../../shared/core/ports.js';
import { type EventDeps, handleEvent } from '../../shared/events/handle.js';
import { AwsCallError, FailoverError, ObserveError, RefusedError } from '../../shared/errors.js';
import { manualClock } from '../../sim/clock.js';
import { node, snapshot } from '../support/snapshot.js';
import { fixture } from './support/events.js';
import { memoryLog } from './support/harness.js';

const A = 'i-0000000000000000a';
const nat = (state: InstanceState, sourceDestCheck = false) =>
  node({ id: A, state, sourceDestCheck, tags: { 'failover:group': 'nat', 'failover:kind': 'nat' } });

function deps(
  options: {
    run?: (request: RunRequest) => Promise<GroupResult[]>;
    observe?: () => Promise<ReturnType<typeof snapshot>>;
    apply?: (a: Ec2Action) => Promise<void>;
    complete?: LifecyclePort['complete'];
    enrolled?: Record<string, string>;
  } = {},
) {
  const clock = manualClock();
  const completed: string[] = [];
  const calls: string[] = [];
  const grant: LeaseGrant = { group: 'nat', owner: 'on-event:test', token: 1, expiresAt: clock.now() + 30_000 };
  const d: EventDeps = {
    engine: {
      observe: async () => (calls.push('observe'), (options.observe ?? (async () => snapshot({ instances: [nat('running')], at: clock.now() })))()),
      run: async (request) => (calls.push(`run${request.grant ? ' with lease' : ''}`), (options.run ?? (async () => []))(request)),
      lease: async (group) => (calls.push(`lease ${group}`), grant),
      release: async () => void calls.push('release'),
    },
    ec2: {
      apply: options.apply ?? (async () => undefined),
      enrollment: async () => (calls.push('enrollment'), { at: clock.now(), groups: new Map(Object.entries(options.enrolled ?? { [A]: 'nat' })) }),
    },
    lifecycle: {
      complete:
        options.complete ??
        (async (action) => {
          completed.push(action.token);
          return 'completed';
        }),
    },
    clock,
    log: memoryLog(),
  };
  return { d, clock, completed, calls, deadline: clock.now() + 30_000 };
}

const result = (outcome: GroupResult['outcome'], holder?: string): GroupResult => ({
  group: 'nat',
  kind: 'nat',
  trigger: 'event',
  dryRun: false,
  outcome,
  reason: outcome,
  before: [],
  after: [{ scope: 'rtb-1', pointsAt: 'eni-x', broken: false, ...(holder ? { holder } : {}) }],
  actions: [],
  durationMs: 0,
});
const TOKEN = '87654321-4321-4321-4321-210987654321';
const terminate = () => fixture('aws.autoscaling/terminate-lifecycle', { instanceId: A, token: TOKEN });

describe('handleEvent: what an event costs', () => {
  it('ignores an event about an instance that is not enrolled without observing the world', async () => {
    const { d, calls, deadline } = deps({ enrolled: {} });

    const outcome = await handleEvent(fixture('aws.ec2/stopping', { instanceId: A }), d, deadline);

    expect(outcome).toMatchObject({ action: 'ignore', reason: expect.stringContaining('not enrolled') });
    expect(calls).toEqual(['enrollment']);
  });

  it('takes the lease of a stopping instance’s group while it observes, and hands it to the run', async () => {
    const { d, calls, deadline } = deps({ observe: async () => snapshot({ instances: [nat('stopping')] }), run: async () => [result('changed')] });

    await handleEvent(fixture('aws.ec2/stopping', { instanceId: A }), d, deadline);

    expect(calls).toEqual(['enrollment', 'observe', 'lease nat', 'run with lease']);
  });

  it('releases a lease taken ahead when the event turns out stale', async () => {
    const { d, calls, deadline } = deps({ observe: async () => snapshot({ instances: [nat('running')] }) });

    const outcome = await handleEvent(fixture('aws.ec2/stopping', { instanceId: A }), d, deadline);

    expect(outcome.action).toBe('ignore');
    expect(calls).toEqual(['enrollment', 'observe', 'lease nat', 'release']);
  });

  it('takes no lease for a launch hook, which never moves anything', async () => {
    const { d, calls, deadline } = deps({ observe: async () => snapshot({ instances: [nat('pending')] }) });

    await handleEvent(fixture('aws.autoscaling/launch-lifecycle', { instanceId: A, token: TOKEN }), d, deadline);

    expect(calls).toEqual(['enrollment', 'observe']);
  });
});

describe('handleEvent', () => {
  it('throws a retriable error when the lease stayed busy, so Lambda retries the event', async () => {
    const { d, deadline } = deps({ observe: async () => snapshot({ instances: [nat('stopping')] }), run: async () => [result('busy', A)] });

    const error = await handleEvent(fixture('aws.ec2/stopping', { instanceId: A }), d, deadline).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(FailoverError);
    expect(error).toMatchObject({ retriable: true });
  });

  it('lets a retriable observe failure through after the in-function retries', async () => {
    const { d, deadline } = deps({
      observe: async () => {
        throw new ObserveError('throttled', { retriable: true });
      },
    });

    await expect(handleEvent(fixture('aws.ec2/stopping', { instanceId: A }), d, deadline)).rejects.toBeInstanceOf(ObserveError);
  });

  it('answers a refusal from the engine with a result, not an error', async () => {
    const { d, deadline } = deps({
      observe: async () => snapshot({ instances: [nat('stopped')] }),
      run: async () => {
        throw new RefusedError("no group named 'nat'");
      },
    });

    const outcome = await handleEvent(fixture('aws.ec2/stopped', { instanceId: A }), d, deadline);

    expect(outcome).toMatchObject({ action: 'reconcile', groups: [], reason: expect.stringContaining("no group named 'nat'") });
  });

  it('completes a terminate action once the instance holds nothing, and holds it otherwise', async () => {
    const released = deps({ run: async () => [result('changed', 'i-0000000000000000b')] });
    const holding = deps({ run: async () => [result('refused', A)] });

    const done = await handleEvent(terminate(), released.d, released.deadline);
    const held = await handleEvent(terminate(), holding.d, holding.deadline);

    expect(done.lifecycle).toBe('completed');
    expect(released.completed).toEqual([TOKEN]);
    expect(held.lifecycle).toBe('held');
    expect(holding.completed).toEqual([]);
  });

  it('completes a launch action even when disabling source/dest check was refused', async () => {
    const { d, deadline, completed } = deps({
      observe: async () => snapshot({ instances: [nat('pending', true)] }),
      apply: async () => {
        throw new AwsCallError('ModifyNetworkInterfaceAttribute', 'UnauthorizedOperation', 'not allowed');
      },
    });

    const outcome = await handleEvent(fixture('aws.autoscaling/launch-lifecycle', { instanceId: A, token: TOKEN }), d, deadline);

    expect(outcome).toMatchObject({ action: 'prepare', lifecycle: 'completed' });
    expect(completed).toEqual([TOKEN]);
  });

  it('reports a refused CompleteLifecycleAction as failed and leaves it to the hook timeout', async () => {
    const { d, deadline } = deps({
      run: async () => [result('changed')],
      complete: async () => {
        throw new AwsCallError('CompleteLifecycleAction', 'AccessDenied', 'not allowed');
      },
    });

    await expect(handleEvent(terminate(), d, deadline)).resolves.toMatchObject({ lifecycle: 'failed' });
  });
});
