/**
 * The failover function's `drill` action as Lambda runs it: the payload reaches the drill core with
 * the function's adapters, the probe's saved verdicts and this stage's alarms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/failover.js';
import { createProbeStateStore } from '../../shared/aws/dynamo.js';
import type { DrillReport } from '../../shared/core/drill.js';
import { withProbeVerdicts } from '../../shared/failover-wiring.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildVipPair } from '../../sim/world.js';
import { lambdaContext, runtimeFor } from '../support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

async function invokeDrill(payload: Record<string, unknown>, firing: string[]) {
  const clock = manualClock();
  const { world, group } = buildVipPair({ worldOptions: { clock }, group: 'web', ports: '443' });
  const { runtime } = await runtimeFor(world, clock, db, { env: { VPCF_STAGE: 'prod' } });
  const prefixes: string[] = [];
  const alarms = { firing: async (prefix: string) => (prefixes.push(prefix), firing) };
  const handler = createHandler(() => withProbeVerdicts(runtime, createProbeStateStore(db.client, runtime.config.tableName), { alarms }));
  world.clearCalls();
  const report = (await handler({ action: 'drill', group, ...payload }, lambdaContext('req-drill', 300_000))) as DrillReport;
  return { report, prefixes, world };
}

describe('the drill action', () => {
  it('asks for this stage’s alarms and refuses, naming each reason, without touching the VPC', async () => {
    const { report, prefixes, world } = await invokeDrill({ backAfterSeconds: 30 }, ['vpc-failover-prod-move-failed']);

    expect(prefixes).toEqual(['vpc-failover-prod-']);
    expect(report.outcome).toBe('refused');
    expect(report.refusals).toEqual(['the probe has saved no recent verdicts: a drill needs every member healthy by the probes', 'alarm vpc-failover-prod-move-failed is in ALARM']);
    expect(world.mutations()).toEqual([]);
  });

  it('refuses a stay longer than the invocation has time for', async () => {
    const clock = manualClock();
    const { world, group } = buildVipPair({ worldOptions: { clock }, group: 'web', ports: '443' });
    const { runtime } = await runtimeFor(world, clock, db);
    const handler = createHandler(() => withProbeVerdicts(runtime, createProbeStateStore(db.client, runtime.config.tableName), { alarms: { firing: async () => [] } }));

    const report = (await handler({ action: 'drill', group, backAfterSeconds: 180 }, lambdaContext('req-short', 60_000))) as DrillReport;

    expect(report.refusals).toContainEqual(expect.stringMatching(/^the invocation has \d+ s left and the drill needs up to \d+ s: ask for a shorter backAfterSeconds$/));
  });
});
