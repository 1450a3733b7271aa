import { describe, expect, it } from 'vitest';
import { FailoverEngine } from '../../shared/core/engine.js';
import { ConfigError } from '../../shared/errors.js';
import { createCoreClients, createRuntime, deadlineOf, lazy } from '../../shared/runtime.js';
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

describe('deadlineOf', () => {
  it('leaves a margin before Lambda would stop the invocation, and never goes back in time', () => {
    const clock = manualClock(1_000);

    expect(deadlineOf({ getRemainingTimeInMillis: () => 10_000 }, clock)).toBe(1_000 + 8_500);
    expect(deadlineOf({ getRemainingTimeInMillis: () => 10_000 }, clock, 2_000)).toBe(1_000 + 8_000);
    expect(deadlineOf({ getRemainingTimeInMillis: () => 500 }, clock)).toBe(1_000);
  });
});
