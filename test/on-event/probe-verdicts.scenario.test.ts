/**
 * An event decides on the probe's recent verdicts (the state table) as well as EC2's view: a hung
 * member passes EC2's status checks, and only the probe knows it is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeStateStore } from '../../shared/aws/dynamo.js';
import { STATE_MAX_AGE_MS } from '../../shared/probe/run-types.js';
import { initialState } from '../../shared/probe/verdicts.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildEipPair } from '../../sim/world.js';
import { fixture } from './support/events.js';
import { eventHarness } from './support/harness.js';

const WHY = 'no TCP on 22 from the VPC, 2 rounds in a row, and the peers agree';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

describe('on-event and the probe’s verdicts', () => {
  /** An Elastic IP pair on A, being stopped, whose standby B the probe judged down `ageMs` ago. */
  async function holderStoppingStandbyDown(ageMs: number) {
    const clock = manualClock();
    const pair = buildEipPair({ worldOptions: { clock } });
    const h = await eventHarness(pair.world, clock, db);
    const down = { ...initialState, verdict: 'unhealthy' as const, bad: 2, why: WHY };
    const healthy = { ...initialState, verdict: 'healthy' as const, good: 3 };
    const savedAt = clock.now() - ageMs;
    await createProbeStateStore(db.client, h.tableName).save({ savedAt, runStartedAt: savedAt - 40_000, states: { [pair.a.instanceId]: healthy, [pair.b.instanceId]: down }, os: {} });
    pair.world.setState(pair.a.instanceId, 'stopping');
    pair.world.clearCalls();
    const stopping = fixture('aws.ec2/stopping', { instanceId: pair.a.instanceId, time: clock.now() });
    return { ...pair, h, stopping };
  }

  // Seed 1014 (24 h, +22:11:00): someone stopped the NAT holding the tables, and on-event moved
  // them onto the other NAT, which the probe had judged down (hung, EC2 checks ok) three minutes before.
  it('never-worse: an evacuation does not move traffic onto a member the probe judged down', async () => {
    const { world, a, allocationId, h, stopping } = await holderStoppingStandbyDown(20_000);

    const result = await h.deliver(stopping);

    expect(result.groups).toEqual([expect.objectContaining({ outcome: 'refused', reason: expect.stringContaining(WHY) })]);
    expect(world.eipHolder(allocationId)?.instanceId).toBe(a.instanceId);
    expect(world.mutations()).toEqual([]);
  });

  it('decides on EC2’s view alone when the probe’s verdicts are older than the state’s freshness limit', async () => {
    const { world, b, allocationId, h, stopping } = await holderStoppingStandbyDown(STATE_MAX_AGE_MS + 1_000);

    const result = await h.deliver(stopping);

    expect(result.groups).toEqual([expect.objectContaining({ outcome: 'changed' })]);
    expect(world.eipHolder(allocationId)?.instanceId).toBe(b.instanceId);
  });
});
