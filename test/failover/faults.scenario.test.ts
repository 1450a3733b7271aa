/**
 * The failover function when AWS misbehaves: throttling, server faults and timeouts are retried
 * until the change lands; a change that fails half-way is reported as partial and the next run
 * finishes it; "cannot see" never counts as "down", so a blind controller changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupResult, StatusReport } from '../../shared/core/engine.js';
import { ObserveError } from '../../shared/errors.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildEipPair, buildNatPair, buildOverlayPair, buildVipPair } from '../../sim/world.js';
import { harness } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

const DEFAULT_ROUTE = '0.0.0.0/0';

async function natDown() {
  const clock = manualClock();
  const pair = buildNatPair({ worldOptions: { clock } });
  const h = await harness(pair.world, clock, db);
  pair.world.stop(pair.a.instanceId);
  pair.world.clearCalls();
  return { ...pair, clock, h };
}

describe('failover function under AWS faults', () => {
  it('retries ReplaceRoute throttled twice and converges', async () => {
    const { world, a, b, routeTables, group, h } = await natDown();
    const fault = world.faults.inject({ operation: 'ReplaceRoute', error: 'RequestLimitExceeded', times: 2, match: (i) => i['RouteTableId'] === routeTables.a });

    const result = (await h.invoke({ action: 'failover', group, from: a.instanceId })) as GroupResult;

    expect(fault.fired).toBe(2);
    expect(result.outcome).toBe('changed');
    expect(world.inputs('ReplaceRoute').filter((i) => i['RouteTableId'] === routeTables.a)).toHaveLength(3);
    expect(world.routeTarget(routeTables.a, DEFAULT_ROUTE)?.networkInterfaceId).toBe(b.networkInterfaceId);
    expect(world.routeTarget(routeTables.any, DEFAULT_ROUTE)?.networkInterfaceId).toBe(b.networkInterfaceId);
    expect(h.log.lines.filter((l) => l.level === 'warn' && l.message === 'retrying')).toHaveLength(2);
  });

  it('retries AssignPrivateIpAddresses after a 5xx InternalError', async () => {
    const clock = manualClock();
    const { world, a, b, vip, group } = buildVipPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    const fault = world.faults.inject({ operation: 'AssignPrivateIpAddresses', error: 'InternalError', times: 1 });

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(fault.fired).toBe(1);
    expect(result.outcome).toBe('changed');
    expect(world.count('AssignPrivateIpAddresses')).toBe(2);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
    expect(world.osIps(b.instanceId)).toContain(vip);
  });

  it('retries AssociateAddress after a timeout whose change had already been made', async () => {
    const clock = manualClock();
    const { world, a, b, allocationId, group } = buildEipPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    const fault = world.faults.inject({ operation: 'AssociateAddress', error: 'timeout', times: 1, applyThenFail: true });

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(fault.fired).toBe(1);
    expect(result.outcome).toBe('changed');
    expect(world.count('AssociateAddress')).toBe(2);
    expect(world.eipHolder(allocationId)?.instanceId).toBe(b.instanceId);
  });

  it('reports partial when one table cannot be switched, and the next run finishes the move', async () => {
    const { world, a, b, routeTables, group, h, clock } = await natDown();
    world.faults.inject({ operation: 'ReplaceRoute', error: 'UnauthorizedOperation', times: 1, match: (i) => i['RouteTableId'] === routeTables.any });

    const first = (await h.invoke({ action: 'failover', group, from: a.instanceId })) as GroupResult;

    expect(first.outcome).toBe('partial');
    expect(first.reason).toContain('UnauthorizedOperation');
    expect(first.actions.map((r) => r.status).sort()).toEqual(['applied', 'failed']);
    expect(world.routeTarget(routeTables.a, DEFAULT_ROUTE)?.networkInterfaceId).toBe(b.networkInterfaceId);
    expect(world.routeTarget(routeTables.any, DEFAULT_ROUTE)).toMatchObject({ networkInterfaceId: a.networkInterfaceId, state: 'blackhole' });
    expect((await h.journal(group))[0]?.outcome).toBe('partial');
    clock.advance(30_000);

    const second = (await h.invoke({ action: 'failover', group, from: a.instanceId })) as GroupResult;

    expect(second.outcome).toBe('changed');
    for (const table of [routeTables.a, routeTables.b, routeTables.any]) {
      expect(world.routeTarget(table, DEFAULT_ROUTE)).toMatchObject({ networkInterfaceId: b.networkInterfaceId, state: 'active' });
    }
    expect((await h.journal(group)).map((e) => e.outcome)).toEqual(['applied', 'partial']);
  });

  it('reports failed and journals it when nothing could be changed', async () => {
    const clock = manualClock();
    const { world, a, routeTables, overlayCidr, group } = buildOverlayPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    world.faults.inject({ operation: 'ReplaceRoute', error: 'UnauthorizedOperation' });

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('failed');
    expect(world.routeTarget(routeTables[0], overlayCidr)?.networkInterfaceId).toBe(a.networkInterfaceId);
    expect((await h.journal(group))[0]).toMatchObject({ outcome: 'failed' });
    const status = (await h.invoke({ action: 'status', group })) as StatusReport;
    expect(status.groups[0]?.lastMoveAt).toBeUndefined();
  });

  it('polls the readback until an asynchronous VIP move shows, then reports changed', async () => {
    const clock = manualClock();
    const { world, a, b, vip, group } = buildVipPair({ worldOptions: { clock, assignDelayMs: 3_000 } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('changed');
    const assignedAt = world.calls.find((c) => c.operation === 'AssignPrivateIpAddresses')?.at ?? Number.NaN;
    // Readbacks name the ENIs; observe's lookup of who holds the VIP filters by address instead.
    const readBacks = world.calls.filter((c) => c.operation === 'DescribeNetworkInterfaces' && c.at >= assignedAt && 'NetworkInterfaceIds' in c.input);
    expect(readBacks.length).toBeGreaterThan(1);
    expect(readBacks.at(-1)!.at - assignedAt).toBeGreaterThanOrEqual(3_000);
    expect(world.vipHolder(vip)).toBe(b.instanceId);
  });

  it('reports partial with a note when the readback never shows the change before the deadline', async () => {
    const clock = manualClock();
    const { world, a, vip, group } = buildVipPair({ worldOptions: { clock, assignDelayMs: 10 * 60_000 } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('partial');
    expect(result.reason).toContain(`not visible before the deadline: assign ${vip}`);
    expect((await h.journal(group))[0]?.outcome).toBe('partial');
  });

  it('fails the invocation with an ObserveError and changes nothing when DescribeInstances keeps failing', async () => {
    const clock = manualClock();
    const { world, a, group } = buildVipPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    world.faults.inject({ operation: 'DescribeInstances', error: 'InternalError' });
    world.clearCalls();

    await expect(h.invoke({ action: 'failover', group })).rejects.toBeInstanceOf(ObserveError);

    expect(world.count('DescribeInstances')).toBeGreaterThan(1);
    expect(world.mutations()).toEqual([]);
    expect(await h.journal(group)).toEqual([]);
  });

  it('never moves a misconfigured group, and still moves a healthy group in the same VPC account', async () => {
    const clock = manualClock();
    const broken = buildVipPair({ worldOptions: { clock }, group: 'broken', tagsB: { 'failover:vip': '10.0.1.101' } });
    const { world } = broken;
    const healthy = buildEipPair({ world, group: 'healthy' });
    const h = await harness(world, clock, db);
    world.stop(broken.a.instanceId);
    world.stop(healthy.a.instanceId);
    world.clearCalls();

    const status = (await h.invoke({ action: 'status' })) as StatusReport;
    const refused = (await h.invoke({ action: 'failover', group: 'broken' })) as GroupResult;
    const moved = (await h.invoke({ action: 'failover', group: 'healthy' })) as GroupResult;

    expect(status.groups.find((g) => g.group === 'broken')?.problems).toEqual([expect.stringContaining('members disagree on tag failover:vip')]);
    expect(status.groups.find((g) => g.group === 'healthy')?.problems).toEqual([]);
    expect(refused.outcome).toBe('refused');
    expect(refused.reason).toContain('misconfigured');
    expect(world.vipHolder(broken.vip)).toBe(broken.a.instanceId);
    expect(moved.outcome).toBe('changed');
    expect(world.eipHolder(healthy.allocationId)?.instanceId).toBe(healthy.b.instanceId);
    expect(world.mutations().map((c) => c.operation)).toEqual(['AssociateAddress']);
  });
});
