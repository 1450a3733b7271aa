import { describe, expect, it } from 'vitest';
import { FailoverEngine } from '../../shared/core/engine.js';
import { ConfigError } from '../../shared/errors.js';
import { budgetOf, createCoreClients, createRuntime, lazy } from '../../shared/runtime.js';
import { manualClock } from '../../sim/clock.js';
import { memoryLog } from './support/harness.js';

describe('createRuntime', () => {
  it('builds the core over the clients it is given, with a fresh engine per owner', () => {
    const clients = createCoreClients();
    const runtime = createRuntime({ env: { VPCF_TABLE_NAME: 'vpc-failover-dev' }, clients, log: memoryLog() });

    expect(Object.isFrozen(runtime)).toBe(true);
    expect(runtime.config.tableName).toBe('vpc-failover-dev');
    expect(runtime.engine('a')).toBeInstanceOf(FailoverEngine);
    expect(runtime.engine('a')).not.toBe(runtime.engine('a'));
  });

  it('fails with the ConfigError of a bad setting', () => {
    expect(() => createRuntime({ env: { VPCF_TABLE_NAME: 'x' }, clients: createCoreClients(), log: memoryLog() })).toThrow(ConfigError);
  });
});

describe('createCoreClients', () => {
  it('builds the clients of the core, with short SDK retries, and one attempt for the sensor', async () => {
    const { lambda, ...core } = createCoreClients();

    expect(Object.keys(core).sort()).toEqual(['dynamodb', 'ec2', 'sns', 'ssm']);
    for (const client of Object.values(core)) expect(await client.config.maxAttempts()).toBe(2);
    expect(await lambda.config.maxAttempts()).toBe(1);
  });
});

describe('lazy', () => {
  it('builds on first use only, and once', () => {
    let builds = 0;
    const get = lazy(() => ({ n: ++builds }));

    expect(builds).toBe(0);
    expect(get()).toBe(get());
    expect(builds).toBe(1);
  });
});

describe('budgetOf', () => {
  it('ends the work before the settle time and keeps a margin from the timeout', () => {
    const clock = manualClock(1_000);

    const budget = budgetOf({ getRemainingTimeInMillis: () => 10_000 }, clock, 2_500, 500);

    expect(budget.deadline).toBe(1_000 + 10_000 - 500 - 2_500);
    expect(budget.signal.aborted).toBe(false);
    expect(budget.settle.aborted).toBe(false);
  });

  it('aborts the work first, then what follows it, before the margin', async () => {
    const budget = budgetOf({ getRemainingTimeInMillis: () => 700 }, manualClock(), 150, 500);
    const order: string[] = [];
    const aborted = (name: string, signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(void order.push(name))));

    await Promise.all([aborted('settle', budget.settle), aborted('work', budget.signal)]);

    expect(order).toEqual(['work', 'settle']);
  });

  it('never goes back in time when the invocation is already out of time', () => {
    const clock = manualClock(1_000);

    const budget = budgetOf({ getRemainingTimeInMillis: () => 100 }, clock);

    expect(budget.deadline).toBe(1_000);
  });
});
