/**
 * NAT failover on the in-memory VPC, wired as in Lambda (dynalite for the lease and journal): every
 * route through the failed NAT instance moves, IPv6 and prefix lists included, and a switch of many
 * tables paced to EC2's request bucket that its deadline cuts short is finished by the next run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupResult } from '../../shared/core/engine.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { manualClock } from '../../sim/clock.js';
import { buildNatPair } from '../../sim/world.js';
import { harness } from './support/harness.js';

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
});

describe('nat group: every route through the failed NAT', () => {
  it('moves 0.0.0.0/0, 10.50.0.0/16, ::/0 and a prefix list to the other NAT, and nothing that points elsewhere', async () => {
    const clock = manualClock();
    const { world, a, b, routeTables, group } = buildNatPair({ worldOptions: { clock } });
    const pl = world.addPrefixList('corporate');
    world.addRoute(routeTables.a, '10.50.0.0/16', { networkInterfaceId: a.networkInterfaceId });
    world.addRoute(routeTables.a, '::/0', { networkInterfaceId: a.networkInterfaceId }, 'ipv6');
    world.addRoute(routeTables.a, pl, { networkInterfaceId: a.networkInterfaceId }, 'prefix-list');
    world.addRoute(routeTables.a, '172.16.0.0/12', { gatewayId: 'vgw-00000000000000001' });
    world.addRoute(routeTables.a, '192.168.0.0/16', { natGatewayId: 'nat-00000000000000001' });
    const h = await harness(world, clock, db);
    world.stop(a.instanceId);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group, from: a.instanceId })) as GroupResult;

    expect(result.outcome).toBe('changed');
    const via = (destination: string) => world.routeTarget(routeTables.a, destination);
    for (const destination of ['0.0.0.0/0', '10.50.0.0/16', '::/0', pl]) expect(via(destination)).toMatchObject({ networkInterfaceId: b.networkInterfaceId, state: 'active' });
    expect(via('172.16.0.0/12')).toEqual({ gatewayId: 'vgw-00000000000000001', state: 'active' });
    expect(via('192.168.0.0/16')).toEqual({ natGatewayId: 'nat-00000000000000001', state: 'active' });
    expect(world.inputs('ReplaceRoute')).toEqual([
      { RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId },
      { RouteTableId: routeTables.a, DestinationCidrBlock: '10.50.0.0/16', NetworkInterfaceId: b.networkInterfaceId },
      { RouteTableId: routeTables.a, DestinationIpv6CidrBlock: '::/0', NetworkInterfaceId: b.networkInterfaceId },
      { RouteTableId: routeTables.a, DestinationPrefixListId: pl, NetworkInterfaceId: b.networkInterfaceId },
      { RouteTableId: routeTables.any, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId },
    ]);
  });
});

describe('nat group: many tables within EC2 rate limits', () => {
  it("switches what the deadline allows, journals the rest as left behind, and the next run finishes it, despite the cooldown", async () => {
    const clock = manualClock();
    const { world, a, b, vpcId, azs, routeTables, group } = buildNatPair({ worldOptions: { clock, pageSize: 1000 } });
    const extra = Array.from({ length: 90 }, (_, i) =>
      world.addRouteTable({ vpc: vpcId, tags: { Name: `private-${i}`, NATAZ: i % 3 === 0 ? 'any' : azs.a }, routes: [{ destination: '0.0.0.0/0', target: { networkInterfaceId: a.networkInterfaceId } }] }),
    );
    world.addRoute(extra[0] ?? '', '::/0', { networkInterfaceId: a.networkInterfaceId }, 'ipv6');
    const tables = [routeTables.a, routeTables.any, ...extra];
    const h = await harness(world, clock, db);
    world.throttle.enable();
    // Another tool in the account spends 2 of the 5 tokens a second.
    world.throttle.otherTools('mutating', 2);
    world.hang(a.instanceId);
    const probes = { [a.instanceId]: 'unhealthy', [b.instanceId]: 'healthy' } as const;
    const onB = () => tables.filter((t) => world.routeTarget(t, '0.0.0.0/0')?.networkInterfaceId === b.networkInterfaceId).length;

    const [first] = await h.runtime.engine('run-1').run({ intent: { type: 'reconcile' }, trigger: 'probe', probes, deadline: clock.now() + 8_000 });
    const switchedFirst = onB();
    const leftFirst = tables.filter((t) => world.routeTarget(t, '0.0.0.0/0')?.networkInterfaceId !== b.networkInterfaceId);
    const [second] = await h.runtime.engine('run-2').run({ intent: { type: 'reconcile' }, trigger: 'probe', probes, deadline: clock.now() + 30_000 });

    expect(first?.outcome).toBe('partial');
    expect(switchedFirst).toBeGreaterThan(50);
    expect(switchedFirst).toBeLessThan(tables.length);
    expect(first?.reason).toMatch(/left for the next run, the deadline came first: \d+ route tables \(rtb-/);
    expect(second?.outcome).toBe('changed');
    expect(onB()).toBe(tables.length);
    expect(world.routeTarget(extra[0] ?? '', '::/0')?.networkInterfaceId).toBe(b.networkInterfaceId);
    const journal = await h.journal(group);
    expect(journal.map((e) => e.outcome)).toEqual(['applied', 'partial']);
    const notApplied = journal[1]?.actions.filter((s) => !s.startsWith('applied:')) ?? [];
    expect(leftFirst.every((t) => notApplied.some((s) => s.includes(` in ${t} `)))).toBe(true);
    // The cooldown starts with the run that finished the move.
    expect((await h.runtime.store.lastMoves([group]))[group]?.lastMoveAt).toBeGreaterThanOrEqual(journal[1]?.at ?? Number.POSITIVE_INFINITY);
  });

  it('retries RequestLimitExceeded from a bucket other tools emptied, and no error surfaces', async () => {
    const clock = manualClock();
    const { world, a, b, vpcId, azs, group } = buildNatPair({ worldOptions: { clock, pageSize: 1000 } });
    const tables = Array.from({ length: 20 }, (_, i) =>
      world.addRouteTable({ vpc: vpcId, tags: { Name: `private-${i}`, NATAZ: azs.a }, routes: [{ destination: '0.0.0.0/0', target: { networkInterfaceId: a.networkInterfaceId } }] }),
    );
    const h = await harness(world, clock, db);
    world.throttle.enable();
    world.throttle.spend('mutating', 50);
    world.stop(a.instanceId);
    world.clearCalls();

    const result = (await h.invoke({ action: 'failover', group, from: a.instanceId })) as GroupResult;

    expect(world.calls.filter((c) => c.error === 'RequestLimitExceeded').length).toBeGreaterThan(0);
    expect(result.outcome).toBe('changed');
    expect(tables.every((t) => world.routeTarget(t, '0.0.0.0/0')?.networkInterfaceId === b.networkInterfaceId)).toBe(true);
  });
});
