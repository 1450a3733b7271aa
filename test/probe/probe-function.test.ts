/** The scheduled probe function: one run of rounds per invocation, bounded by the run length and the Lambda deadline. */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/probe.js';
import { ConfigError } from '../../shared/errors.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { createProbeRuntime } from '../../shared/probe/wiring.js';
import { lazy } from '../../shared/runtime.js';
import { lambdaContext, runtimeFor, testClientConfig } from '../support/harness.js';
import { VpcWorld, buildHaWorld } from '../../sim/world.js';
import { wiredProbe } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

describe('probe function', () => {
  it('runs rounds for VPCF_PROBE_RUN_SECONDS and logs a summary', async () => {
    const p = await wiredProbe(db, { VPCF_PROBE_RUN_SECONDS: '20' });
    const handler = createHandler(() => p.runtime);
    const start = p.clock.now();

    const summary = await handler({}, lambdaContext('req-1', 300_000, 'probe'));

    // 2 s rounds, each started only if its 1 s connects end within the 20 s run.
    expect(summary.rounds).toBe(10);
    expect(p.clock.now()).toBeLessThanOrEqual(start + 20_000);
    expect(p.invokes()).toHaveLength(10);
    expect(p.log.lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'probe run done', extra: [expect.objectContaining({ rounds: 10, moves: 0 })] }));
  });

  it('stops in time to report when the invocation has less time left than the run length', async () => {
    const p = await wiredProbe(db);
    const handler = createHandler(() => p.runtime);
    const start = p.clock.now();

    const summary = await handler({}, lambdaContext('req-1', 9_500, 'probe'));

    // 9.5 s left less the 1.5 s margin: rounds at 0, 2, 4 and 6 s; one at 8 s could not finish its connects.
    expect(summary.rounds).toBe(4);
    expect(p.clock.now()).toBeLessThanOrEqual(start + 8_000);
  });

  it('keeps node state across invocations of a warm environment', async () => {
    const p = await wiredProbe(db, { VPCF_PROBE_RUN_SECONDS: '10' });
    const handler = createHandler(() => p.runtime);
    await handler({}, lambdaContext('req-1', 300_000, 'probe'));
    p.world.hang(p.pair.a.instanceId);

    // Two one-round runs: the second failed round makes fall 2 only if the first one was remembered.
    const oneRound = (id: string) => handler({}, lambdaContext(id, 2_500 + 1_500, 'probe'));
    const first = await oneRound('req-2');
    const second = await oneRound('req-3');

    expect([first.rounds, second.rounds]).toEqual([1, 1]);
    expect(first.moves).toEqual([]);
    expect(second.moves[0]).toMatchObject({ group: 'web', from: p.pair.a.instanceId, to: p.pair.b.instanceId });
    expect(p.world.vipHolder(p.pair.vip)).toBe(p.pair.b.instanceId);
  });

  it('fails the invocation with a ConfigError when no sensor function is configured', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    buildHaWorld('vip', { world, ports: '443' });
    const { env, clients } = await runtimeFor(world, clock, db);
    const extras = { lambda: new LambdaClient(testClientConfig), cloudwatch: new CloudWatchClient(testClientConfig) };
    const handler = createHandler(lazy(() => createProbeRuntime({ env, clients: { ...clients, ...extras }, clock })));

    await expect(handler({}, lambdaContext('req-1', 60_000, 'probe'))).rejects.toBeInstanceOf(ConfigError);
    expect(world.count()).toBe(0);
  });
});
