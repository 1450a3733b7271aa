/**
 * Two deciders on one group at the same time, against a real DynamoDB (dynalite): the lease lets
 * exactly one of them move the group, and the world ends as if there had been one. A lease left
 * by a crashed decider expires; a busy lease until the deadline is reported, never overridden;
 * the cooldown recorded by a move holds for the next invocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStore } from '../../shared/aws/dynamo.js';
import type { GroupResult } from '../../shared/core/engine.js';
import { systemClock } from '../../shared/core/ports.js';
import { type Runtime, createRuntime } from '../../shared/runtime.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { type VipPair, buildNatPair, buildVipPair } from '../../sim/world.js';
import { freshTable, harness, memoryLog } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

/** A VIP pair on the real clock, with AWS answering at once so the race is about the lease only. */
async function realTimeVipPair(): Promise<{ pair: VipPair; runtime: Runtime }> {
  const pair = buildVipPair({ worldOptions: { clock: systemClock, assignDelayMs: 0, ssm: { notFoundPolls: 0, executionDelayMs: 0 } } });
  const runtime = createRuntime({
    env: { VPCF_TABLE_NAME: await freshTable(db) },
    clients: { ...pair.world.clients(), dynamodb: db.client },
    clock: systemClock,
    log: memoryLog(),
  });
  return { pair, runtime };
}

const endState = ({ world, a, b, vip }: VipPair) => ({
  holderIsB: world.vipHolder(vip) === b.instanceId,
  upOnB: world.osIps(b.instanceId).includes(vip),
  upOnA: world.osIps(a.instanceId).includes(vip),
});

describe('two deciders on one group', () => {
  it('lets exactly one move the VIP; the other finds nothing left to do or gives up busy', async () => {
    const single = await realTimeVipPair();
    single.pair.world.stop(single.pair.a.instanceId);
    await single.runtime.engine('alone').run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: Date.now() + 10_000 });
    const { pair, runtime } = await realTimeVipPair();
    pair.world.stop(pair.a.instanceId);
    pair.world.clearCalls();

    const results = await Promise.all(
      ['probe-1', 'probe-2'].map((owner) => runtime.engine(owner).run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: Date.now() + 10_000 })),
    );

    // Both saw the dead holder before anything moved, so both wanted the lease.
    const firstMove = pair.world.calls.findIndex((c) => c.operation === 'AssignPrivateIpAddresses');
    expect(pair.world.calls.slice(0, firstMove).filter((c) => c.operation === 'DescribeInstances').length).toBeGreaterThanOrEqual(2);
    const outcomes = results.map(([r]) => r?.outcome).sort();
    expect(outcomes[0]).toBe('changed');
    expect(['busy', 'unchanged']).toContain(outcomes[1]);
    expect(pair.world.count('AssignPrivateIpAddresses')).toBe(1);
    expect(pair.world.count('SendCommand')).toBe(1);
    expect(endState(pair)).toEqual(endState(single.pair));
    expect(endState(pair)).toEqual({ holderIsB: true, upOnB: true, upOnA: false });
  });

  it('does not bounce the VIP back when two manual failovers without a target race', async () => {
    const { pair, runtime } = await realTimeVipPair();
    pair.world.clearCalls();

    const results = await Promise.all(
      ['op-1', 'op-2'].map((owner) => runtime.engine(owner).run({ intent: { type: 'failover' }, trigger: 'manual', deadline: Date.now() + 10_000 })),
    );

    expect(results.map(([r]) => r?.outcome).sort()).toEqual(['changed', 'unchanged']);
    expect(pair.world.count('AssignPrivateIpAddresses')).toBe(1);
    expect(endState(pair)).toEqual({ holderIsB: true, upOnB: true, upOnA: false });
  });

  it('moves NAT routes once when two manual failovers from the same node race', async () => {
    const pair = buildNatPair({ worldOptions: { clock: systemClock } });
    const runtime = createRuntime({ env: { VPCF_TABLE_NAME: await freshTable(db) }, clients: { ...pair.world.clients(), dynamodb: db.client }, log: memoryLog() });
    pair.world.stop(pair.a.instanceId);
    pair.world.clearCalls();

    const results = await Promise.all(
      ['op-1', 'op-2'].map((owner) =>
        runtime.engine(owner).run({ intent: { type: 'failover', from: pair.a.instanceId }, trigger: 'manual', deadline: Date.now() + 10_000 }),
      ),
    );

    expect(results.map(([r]) => r?.outcome).sort()).toEqual(['changed', 'unchanged']);
    expect(pair.world.count('ReplaceRoute')).toBe(2);
    for (const table of Object.values(pair.routeTables)) expect(pair.world.routeTarget(table, '0.0.0.0/0')?.networkInterfaceId).toBe(pair.b.networkInterfaceId);
  });
});

describe('the lease across invocations', () => {
  it('reports busy and changes nothing while another owner holds the lease until the deadline', async () => {
    const clock = manualClock();
    const { world, a, vip, group } = buildVipPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    await createDynamoStore(db.client, h.tableName).tryAcquire(group, 'someone-else', 600_000, clock.now());
    world.stop(a.instanceId);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group }, 10_000)) as GroupResult;

    expect(result.outcome).toBe('busy');
    expect(world.mutations()).toEqual([]);
    expect(world.vipHolder(vip)).toBe(a.instanceId);
  });

  it('takes over the lease of a decider that crashed once it expires', async () => {
    const clock = manualClock();
    const { world, a, b, vip, group } = buildVipPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    await createDynamoStore(db.client, h.tableName).tryAcquire(group, 'crashed', h.runtime.config.leaseTtlMs, clock.now());
    clock.advance(h.runtime.config.leaseTtlMs);
    world.stop(a.instanceId);

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(b.instanceId);
  });

  it('honours the cooldown a move recorded in the lease item: a due failback waits until it ends', async () => {
    const clock = manualClock();
    const auto = { 'failover:failback': 'auto' };
    const { world, a, b, vip, group } = buildVipPair({ worldOptions: { clock }, tagsA: auto, tagsB: auto });
    const h = await harness(world, clock, db, { VPCF_COOLDOWN_SECONDS: '300' });
    world.stop(a.instanceId);
    await h.invoke({ action: 'failover', group });
    world.start(a.instanceId, { status: 'ok' });
    world.clearCalls();
    const reconcile = () => h.runtime.engine(`schedule-${clock.now()}`).run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: clock.now() + 30_000 });

    const [during] = await reconcile();

    expect(during?.outcome).toBe('unchanged');
    expect(during?.reason).toContain('cooldown');
    expect(world.mutations()).toEqual([]);
    expect(world.vipHolder(vip)).toBe(b.instanceId);

    clock.advance(300_000);
    const [after] = await reconcile();

    expect(after?.outcome).toBe('changed');
    expect(world.vipHolder(vip)).toBe(a.instanceId);
  });
});
