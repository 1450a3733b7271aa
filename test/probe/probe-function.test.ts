/** The scheduled probe function: one run of rounds per invocation, bounded by the run length and the Lambda deadline. */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/probe.js';
import { type RunSummary, newMemory } from '../../shared/probe/loop.js';
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

/** The run's summary; fails the test if the run was skipped. */
function ran(outcome: RunSummary | { skipped: string }): RunSummary {
  if ('skipped' in outcome) throw new Error(`run skipped: ${outcome.skipped}`);
  return outcome;
}

describe('probe function', () => {
  it('runs rounds for VPCF_PROBE_RUN_SECONDS and logs a summary', async () => {
    const p = await wiredProbe(db, { VPCF_PROBE_RUN_SECONDS: '20' });
    const handler = createHandler(() => p.runtime);
    const start = p.clock.now();

    const summary = ran(await handler({}, lambdaContext('req-1', 300_000, 'probe')));

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

    const summary = ran(await handler({}, lambdaContext('req-1', 9_500, 'probe')));

    // 9.5 s left, less 0.5 s kept from the timeout and 2.5 s to settle: rounds at 0, 2 and 4 s; one at 6 s could not finish its connects.
    expect(summary.rounds).toBe(3);
    expect(p.clock.now()).toBeLessThanOrEqual(start + 6_500);
  });

  it('keeps node state across invocations of a warm environment', async () => {
    const p = await wiredProbe(db, { VPCF_PROBE_RUN_SECONDS: '10' });
    const handler = createHandler(() => p.runtime);
    await handler({}, lambdaContext('req-1', 300_000, 'probe'));
    p.world.hang(p.pair.a.instanceId);

    // Two one-round runs (3 s of work: one round and its connects): the second failed round makes
    // fall 2 only if the first one was remembered.
    const oneRound = async (id: string) => ran(await handler({}, lambdaContext(id, 6_000, 'probe')));
    const first = await oneRound('req-2');
    const second = await oneRound('req-3');

    expect([first.rounds, second.rounds]).toEqual([1, 1]);
    expect(first.moves).toEqual([]);
    expect(second.moves[0]).toMatchObject({ group: 'web', from: p.pair.a.instanceId, to: p.pair.b.instanceId });
    expect(p.world.vipHolder(p.pair.vip)).toBe(p.pair.b.instanceId);
  });

  const scheduled = (at: number) => ({ version: '0', id: 'e', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: new Date(at).toISOString(), region: 'us-east-1', resources: [], detail: {} });

  it('probes nothing for a delivery of a minute that is over (a throttled retry, a duplicate)', async () => {
    const p = await wiredProbe(db);
    const handler = createHandler(() => p.runtime);

    const outcome = await handler(scheduled(p.clock.now() - 61_000), lambdaContext('req-1', 60_000, 'probe'));

    expect(outcome).toEqual({ skipped: expect.stringMatching(/^late by 61 s/) });
    expect(p.invokes()).toEqual([]);
    expect(p.world.count()).toBe(0);
  });

  it('runs an economy round once for its scheduled minute, though Lambda delivers the event twice', async () => {
    const p = await wiredProbe(db, { VPCF_PROBE_MODE: 'economy' });
    const handler = createHandler(() => p.runtime);
    const event = scheduled(p.clock.now() - 2_000);

    const first = await handler(event, lambdaContext('req-1', 60_000, 'probe'));
    const invokes = p.invokes().length;
    const second = await handler(event, lambdaContext('req-2', 60_000, 'probe'));

    expect(ran(first).rounds).toBe(1);
    expect(second).toEqual({ skipped: expect.stringMatching(/^a second delivery/) });
    expect(p.invokes()).toHaveLength(invokes);
  });

  it('probes only what is left of its minute when it starts late', async () => {
    const p = await wiredProbe(db);
    const handler = createHandler(() => p.runtime);
    const start = p.clock.now();

    const summary = ran(await handler(scheduled(start - 40_000), lambdaContext('req-1', 60_000, 'probe')));

    // 57 s from its scheduled time: 17 s left, rounds every 2 s whose connects end in time.
    expect(summary.rounds).toBe(8);
    expect(p.clock.now()).toBeLessThanOrEqual(start + 17_000);
  });

  it('refuses a payload that is neither a scheduled event nor {}, naming the field, and changes nothing', async () => {
    const p = await wiredProbe(db);
    const handler = createHandler(() => p.runtime);

    await expect(handler({ source: 'aws.events', 'detail-type': 'Scheduled Event', time: 'soon' }, lambdaContext('req-1', 60_000, 'probe'))).rejects.toMatchObject({ field: 'time' });
    expect(p.world.count()).toBe(0);
  });

  it('picks up the rise/fall state from the table after a cold start', async () => {
    const p = await wiredProbe(db, { VPCF_PROBE_RUN_SECONDS: '10' });
    const old = createHandler(() => p.runtime);
    await old({}, lambdaContext('req-1', 300_000, 'probe'));
    p.world.hang(p.pair.a.instanceId);
    ran(await old({}, lambdaContext('req-2', 6_000, 'probe')));

    const fresh = createHandler(() => p.runtime, newMemory());
    const summary = ran(await fresh({}, lambdaContext('req-3', 6_000, 'probe')));

    expect(summary.moves[0]).toMatchObject({ group: 'web', from: p.pair.a.instanceId, to: p.pair.b.instanceId });
    expect(p.log.lines).toContainEqual(expect.objectContaining({ message: 'probe state restored after a cold start' }));
  });

  it('fails the invocation with a ConfigError when no sensor function is configured', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    buildHaWorld('vip', { world, ports: '443' });
    const { env, clients } = await runtimeFor(world, clock, db);
    const extras = { lambda: new LambdaClient(testClientConfig) };
    const handler = createHandler(lazy(() => createProbeRuntime({ env, clients: { ...clients, ...extras }, clock })));

    await expect(handler({}, lambdaContext('req-1', 60_000, 'probe'))).rejects.toBeInstanceOf(ConfigError);
    expect(world.count()).toBe(0);
  });

  describe('one run at a time, through the run lease in the state table', () => {
    it('lets one of two overlapping runs probe and the other exit at once, logged', async () => {
      const p = await wiredProbe(db, { VPCF_PROBE_RUN_SECONDS: '10' });
      const one = createHandler(() => p.runtime, newMemory());
      const two = createHandler(() => p.runtime, newMemory());

      const outcomes = await Promise.all([one({}, lambdaContext('req-1', 60_000, 'probe')), two({}, lambdaContext('req-2', 60_000, 'probe'))]);

      const probed = outcomes.filter((o): o is RunSummary => !('skipped' in o));
      expect(probed).toHaveLength(1);
      expect(outcomes.filter((o) => 'skipped' in o)).toEqual([{ skipped: expect.stringMatching(/^another probe run holds the run lease/) }]);
      expect(p.invokes()).toHaveLength(probed[0]!.rounds);
      expect(p.log.lines).toContainEqual(expect.objectContaining({ message: 'probe run skipped', extra: [{ reason: expect.stringMatching(/^another probe run/) }] }));
    });

    it('probes again in the next run once the previous one gave the lease up', async () => {
      const p = await wiredProbe(db, { VPCF_PROBE_RUN_SECONDS: '10' });
      const one = createHandler(() => p.runtime, newMemory());
      const two = createHandler(() => p.runtime, newMemory());

      ran(await one({}, lambdaContext('req-1', 60_000, 'probe')));
      const next = ran(await two({}, lambdaContext('req-2', 60_000, 'probe')));

      expect(next.rounds).toBe(5);
    });

    it('skips while a run that died holding the lease could still be running, and probes once its invocation would have ended', async () => {
      const p = await wiredProbe(db, { VPCF_PROBE_RUN_SECONDS: '10' });
      await p.runtime.runLease.claim('probe:died', p.clock.now(), p.clock.now() + 60_000);
      const handler = createHandler(() => p.runtime);

      const during = await handler({}, lambdaContext('req-1', 60_000, 'probe'));
      p.clock.advance(60_000);
      const after = await handler({}, lambdaContext('req-2', 60_000, 'probe'));

      expect(during).toEqual({ skipped: expect.stringMatching(/^another probe run holds the run lease/) });
      expect(ran(after).rounds).toBe(5);
    });
  });
});
