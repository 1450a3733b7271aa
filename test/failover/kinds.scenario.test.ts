/**
 * Manual invocations on Elastic IP, NAT and overlay groups: the VPC ends up pointing at the node
 * the operator (or the reconciler) picked, with forwarding prepared where it is needed.
 */
import { ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupResult } from '../../shared/core/engine.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildEipPair, buildNatPair, buildOverlayPair } from '../../sim/world.js';
import { harness } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

describe('failover function: eip group', () => {
  it("moves the Elastic IP to the standby's primary address when the holder is stopped", async () => {
    const clock = manualClock();
    const { world, a, b, allocationId, group } = buildEipPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.eipHolder(allocationId)).toEqual({ networkInterfaceId: b.networkInterfaceId, privateIp: b.privateIp, instanceId: b.instanceId });
    expect(world.inputs('AssociateAddress')).toEqual([
      { AllocationId: allocationId, NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddress: b.privateIp, AllowReassociation: true },
    ]);
    expect(await h.journal(group)).toEqual([expect.objectContaining({ outcome: 'applied', from: a.instanceId, to: b.instanceId })]);
  });

  it('moves the Elastic IP back on failback', async () => {
    const clock = manualClock();
    const { world, a, allocationId, group } = buildEipPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    await h.invoke({ action: 'failover', group, from: a.instanceId });

    const result = (await h.invoke({ action: 'failback', group })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.eipHolder(allocationId)?.instanceId).toBe(a.instanceId);
  });
});

describe('failover function: nat group', () => {
  it("moves the dead NAT's AZ table and the any table to the other NAT, and leaves the other AZ alone", async () => {
    const clock = manualClock();
    const { world, a, b, routeTables, group } = buildNatPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group, from: a.instanceId })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId, state: 'active' });
    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId, state: 'active' });
    expect(world.routeTarget(routeTables.b, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId, state: 'active' });
    expect(world.inputs('ReplaceRoute').map((i) => i['RouteTableId']).sort()).toEqual([routeTables.a, routeTables.any].sort());
    expect(world.count('ModifyNetworkInterfaceAttribute')).toBe(0);
  });

  it('refuses a manual failover without from or to, since a NAT group has one holder per table', async () => {
    const clock = manualClock();
    const { world, group } = buildNatPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('refused');
    expect(world.mutations()).toEqual([]);
  });

  it('turns source/dest check off on the new NAT before any route points at it', async () => {
    const clock = manualClock();
    const { world, a, b, routeTables, group } = buildNatPair({ worldOptions: { clock }, sourceDestCheck: true });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group, to: b.instanceId })) as GroupResult;

    expect(result.outcome).toBe('changed');
    expect(world.sourceDestCheck(b.instanceId)).toBe(false);
    const order = world.mutations().map((c) => c.operation);
    expect(order[0]).toBe('ModifyNetworkInterfaceAttribute');
    expect(order.slice(1).every((op) => op === 'ReplaceRoute')).toBe(true);
    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')?.networkInterfaceId).toBe(b.networkInterfaceId);
  });

  it("fails the AZ table back to its own NAT once it recovers (reconcile), and keeps the any table where it is", async () => {
    const clock = manualClock();
    const { world, a, b, routeTables, group } = buildNatPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    await h.invoke({ action: 'failover', group, from: a.instanceId });
    world.start(a.instanceId, { status: 'ok' });
    clock.advance(h.runtime.config.cooldownMs + 1);
    world.clearCalls();

    const [result] = await h.runtime.engine('reconciler').run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: clock.now() + 30_000 });

    expect(result?.outcome).toBe('changed');
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')?.networkInterfaceId).toBe(a.networkInterfaceId);
    expect(world.routeTarget(routeTables.b, '0.0.0.0/0')?.networkInterfaceId).toBe(b.networkInterfaceId);
    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')?.networkInterfaceId).toBe(b.networkInterfaceId);
    expect(world.inputs('ReplaceRoute')).toEqual([{ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: a.networkInterfaceId }]);
  });

  it('does not fail back while the group is in its cooldown', async () => {
    const clock = manualClock();
    const { world, a, b, routeTables, group } = buildNatPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    await h.invoke({ action: 'failover', group, from: a.instanceId });
    world.start(a.instanceId, { status: 'ok' });
    world.clearCalls();

    const [result] = await h.runtime.engine('reconciler').run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: clock.now() + 30_000 });

    expect(result?.outcome).toBe('unchanged');
    expect(result?.reason).toContain('cooldown');
    expect(world.mutations()).toEqual([]);
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')?.networkInterfaceId).toBe(b.networkInterfaceId);
  });
});

describe('failover function: overlay group', () => {
  it('routes the overlay address to the standby in every tagged table when the holder is stopped', async () => {
    const clock = manualClock();
    const { world, a, b, routeTables, overlayCidr, group } = buildOverlayPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group })) as GroupResult;

    expect(result.outcome).toBe('changed');
    for (const table of routeTables) {
      expect(world.routeTarget(table, overlayCidr)).toMatchObject({ networkInterfaceId: b.networkInterfaceId, instanceId: b.instanceId, state: 'active' });
    }
  });

  it('repairs a table that drifted away from the holder when reconciling', async () => {
    const clock = manualClock();
    const { world, a, b, routeTables, overlayCidr } = buildOverlayPair({ worldOptions: { clock } });
    const h = await harness(world, clock, db);
    // Someone else (Terraform, an operator) repoints one table.
    await world.clients().ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables[1], DestinationCidrBlock: overlayCidr, NetworkInterfaceId: b.networkInterfaceId }));
    world.clearCalls();

    const [result] = await h.runtime.engine('reconciler').run({ intent: { type: 'reconcile' }, trigger: 'schedule', deadline: clock.now() + 30_000 });

    expect(result?.outcome).toBe('changed');
    expect(world.routeTarget(routeTables[0], overlayCidr)?.networkInterfaceId).toBe(a.networkInterfaceId);
    expect(world.routeTarget(routeTables[1], overlayCidr)?.networkInterfaceId).toBe(a.networkInterfaceId);
    expect(world.inputs('ReplaceRoute')).toEqual([{ RouteTableId: routeTables[1], DestinationCidrBlock: overlayCidr, NetworkInterfaceId: a.networkInterfaceId }]);
  });
});
