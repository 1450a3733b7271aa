/**
 * A manual failover or failback decides on the probe's recent verdicts (the state table), as status
 * shows them: a hung member passes EC2's status checks, and only the probe knows it is down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeStateStore } from '../../shared/aws/dynamo.js';
import { STATE_MAX_AGE_MS } from '../../shared/probe/loop.js';
import { initialState } from '../../shared/probe/verdicts.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildEipPair } from '../../sim/fixtures.js';
import { harness } from './support/harness.js';

const WHY = 'no TCP on 22, confirmed by a peer';

describe('manual requests and the probe’s verdicts', () => {
  let db: DynaliteHandle;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.stop();
  });

  /** An Elastic IP pair on A whose standby B the probe judged down `ageMs` before the request. */
  async function standbyJudgedDown(ageMs: number) {
    const clock = manualClock();
    const pair = buildEipPair({ worldOptions: { clock } });
    const h = await harness(pair.world, clock, db);
    const down = { ...initialState, verdict: 'unhealthy' as const, bad: 2, why: WHY };
    const healthy = { ...initialState, verdict: 'healthy' as const, good: 3 };
    const savedAt = clock.now() - ageMs;
    await createProbeStateStore(db.client, h.tableName).save({ savedAt, runStartedAt: savedAt - 40_000, states: { [pair.a.instanceId]: healthy, [pair.b.instanceId]: down }, os: {} });
    pair.world.clearCalls();
    return { ...pair, h };
  }

  it('never-worse: a manual failover does not move traffic onto a member the probe judged down', async () => {
    const { world, a, allocationId, group, h } = await standbyJudgedDown(20_000);

    const result = await h.invoke({ action: 'failover', group });

    expect(result).toMatchObject({ outcome: 'refused', reason: expect.stringContaining(WHY) });
    expect(world.eipHolder(allocationId)?.instanceId).toBe(a.instanceId);
    expect(world.mutations()).toEqual([]);
  });

  it('never-worse: a forced failover to a member the probe judged down is refused with the probe’s reason', async () => {
    const { world, a, b, allocationId, group, h } = await standbyJudgedDown(20_000);

    const result = await h.invoke({ action: 'failover', group, to: b.instanceId });

    expect(result).toMatchObject({ outcome: 'refused', reason: `${b.instanceId} is not healthy (${WHY})` });
    expect(world.eipHolder(allocationId)?.instanceId).toBe(a.instanceId);
  });

  it('decides on EC2’s view alone when the probe’s verdicts are older than the state’s freshness limit', async () => {
    const { world, b, allocationId, group, h } = await standbyJudgedDown(STATE_MAX_AGE_MS + 1_000);

    const result = await h.invoke({ action: 'failover', group });

    expect(result).toMatchObject({ outcome: 'changed' });
    expect(world.eipHolder(allocationId)?.instanceId).toBe(b.instanceId);
  });
});
