/**
 * A NAT gateway as a nat group's last resort, on the in-memory VPC wired as in Lambda: both NAT
 * instances die and the tables go to the gateway (the zonal one in their own AZ first); an instance
 * comes back and the tables return to it once the cooldown has passed; a gateway that is not
 * available is never a target; a route the gateway cannot carry (::/0) stays and is named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupResult } from '../../shared/core/engine.js';
import { noticeOf } from '../../shared/core/notice.js';
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

const COOLDOWN_S = 120;

async function setup(o: { zonalA?: 'available' | 'pending'; regional?: boolean } = {}) {
  const clock = manualClock();
  const pair = buildNatPair({ worldOptions: { clock } });
  const { world, vpcId, publicSubnets, group } = pair;
  const tags = { 'failover:group': group };
  const gateways = {
    a: world.addNatGateway({ subnet: publicSubnets.a, tags, state: o.zonalA ?? 'available' }),
    ...(o.regional ? { regional: world.addNatGateway({ vpc: vpcId, tags }) } : {}),
  };
  const h = await harness(world, clock, db, { VPCF_COOLDOWN_SECONDS: String(COOLDOWN_S) });
  let runs = 0;
  // The probe's reconcile, as the engine runs it; a probe verdict only where the test gives one.
  const reconcile = async (probes: Record<string, 'healthy' | 'unhealthy'> = {}) =>
    (await h.runtime.engine(`run-${++runs}`).run({ intent: { type: 'reconcile' }, trigger: 'probe', probes, deadline: clock.now() + 30_000 })).filter((r) => r.group === group);
  return { ...pair, clock, h, gateways, reconcile };
}

const one = (r: readonly GroupResult[]): GroupResult => {
  expect(r).toHaveLength(1);
  return r[0] as GroupResult;
};

describe('nat group: a NAT gateway as the last resort', () => {
  it('sends the tables to the gateway when both NAT instances die, the zonal one in its own AZ first, and back to an instance after the cooldown', async () => {
    const { world, a, routeTables, gateways, clock, reconcile } = await setup({ regional: true });
    world.stop(a.instanceId);
    world.stop(pairB(world, routeTables));
    clock.advance(30_000);

    const failed = one(await reconcile());

    expect(failed.outcome).toBe('changed');
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toEqual({ natGatewayId: gateways.a, state: 'active' });
    // AZ b has no zonal gateway of its own: the regional one serves it; the `any` table prefers the regional one.
    expect(world.routeTarget(routeTables.b, '0.0.0.0/0')).toEqual({ natGatewayId: gateways.regional, state: 'active' });
    expect(world.routeTarget(routeTables.any, '0.0.0.0/0')).toEqual({ natGatewayId: gateways.regional, state: 'active' });
    expect(world.inputs('ReplaceRoute')).toContainEqual({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: gateways.a });

    world.start(a.instanceId, { status: 'ok' });
    clock.advance(60_000);
    const early = one(await reconcile({ [a.instanceId]: 'healthy' }));
    expect(early.outcome).toBe('unchanged');
    expect(early.reason).toContain('waits for the cooldown');
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')?.natGatewayId).toBe(gateways.a);

    clock.advance(COOLDOWN_S * 1000);
    const back = one(await reconcile({ [a.instanceId]: 'healthy' }));

    expect(back.outcome).toBe('changed');
    for (const t of [routeTables.a, routeTables.b, routeTables.any]) expect(world.routeTarget(t, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: a.networkInterfaceId, state: 'active' });
  });

  it('never routes to a gateway that is not available', async () => {
    const { world, a, b, routeTables, gateways, clock, reconcile } = await setup({ zonalA: 'pending' });
    world.stop(a.instanceId);
    world.stop(b.instanceId);
    clock.advance(30_000);

    const result = one(await reconcile());

    expect(result.outcome).toBe('refused');
    expect(result.reason).toContain(`${gateways.a}: pending`);
    expect(world.inputs('ReplaceRoute')).toEqual([]);
    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')).toMatchObject({ networkInterfaceId: a.networkInterfaceId, state: 'blackhole' });
  });

  it('moves 0.0.0.0/0 and 10.50.0.0/16 to the gateway, keeps ::/0 on the dead NAT, and names it in the result and the notice', async () => {
    const { world, a, b, routeTables, gateways, clock, reconcile } = await setup();
    world.addRoute(routeTables.a, '10.50.0.0/16', { networkInterfaceId: a.networkInterfaceId });
    world.addRoute(routeTables.a, '::/0', { networkInterfaceId: a.networkInterfaceId }, 'ipv6');
    world.stop(a.instanceId);
    world.stop(b.instanceId);
    clock.advance(30_000);

    const result = one(await reconcile());

    expect(world.routeTarget(routeTables.a, '0.0.0.0/0')?.natGatewayId).toBe(gateways.a);
    expect(world.routeTarget(routeTables.a, '10.50.0.0/16')?.natGatewayId).toBe(gateways.a);
    expect(world.routeTarget(routeTables.a, '::/0')).toMatchObject({ networkInterfaceId: a.networkInterfaceId });
    const named = `${routeTables.a}: ::/0 stays on ${a.instanceId}`;
    expect(result.reason).toContain(named);
    expect(noticeOf(result, 'vpc-failover test').message).toContain(named);
  });
});

/** B's instance ID, through its table (the fixture's B holds rtb-b). */
function pairB(world: ReturnType<typeof buildNatPair>['world'], routeTables: ReturnType<typeof buildNatPair>['routeTables']): string {
  return world.routeTarget(routeTables.b, '0.0.0.0/0')?.instanceId ?? '';
}
