/**
 * A NAT gateway tagged for a nat group is its last resort: a table goes to it only when no NAT
 * instance of the group can serve it, the best gateway for the table's AZ first, and comes back
 * to an instance under the group's failback policy and cooldown. Routes it cannot carry stay.
 */
import { describe, expect, it } from 'vitest';
import { decide, type Intent } from '../../shared/core/decide.js';
import { discover } from '../../shared/core/groups.js';
import { assessHealth } from '../../shared/core/health.js';
import { slotsOf } from '../../shared/core/holders.js';
import type { Action, NatGateway, Route, RouteDestination, SwitchTarget, Verdict, WorldSnapshot } from '../../shared/core/model.js';
import { carries } from '../../shared/core/routes.js';
import { gatewayTier, rankGateways } from '../../shared/core/nat-gateways.js';
import { DEFAULTS, eniOf, node, route, snapshot, table } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const natTags = { 'failover:group': 'nat', 'failover:kind': 'nat' };
const DEFAULT: RouteDestination = { kind: 'ipv4', value: '0.0.0.0/0' };
const CORP: RouteDestination = { kind: 'ipv4', value: '10.50.0.0/16' };
const V6: RouteDestination = { kind: 'ipv6', value: '::/0' };
const NAT64: RouteDestination = { kind: 'ipv6', value: '64:ff9b::/96' };
const PL: RouteDestination = { kind: 'prefix-list', value: 'pl-0123456789abcdef0' };
const toA = { kind: 'eni', networkInterfaceId: eniOf(A), instanceId: A } as const;
const toGw = (id: string): SwitchTarget => ({ kind: 'nat-gateway', natGatewayId: id });
const replace = (rtb: string, destination: RouteDestination, target: SwitchTarget): Action => ({ type: 'replace-route', routeTableId: rtb, destination, target });
const viaGw = (destination: RouteDestination, id: string, state: Route['state'] = 'active'): Route => ({ destination, target: { kind: 'nat-gateway', natGatewayId: id }, state });

function gw(id: string, o: Partial<NatGateway> & { az?: 'a' | 'b' } = {}): NatGateway {
  const { az, ...rest } = o;
  const zonal = az === undefined ? {} : { subnetId: `subnet-${az}`, availabilityZone: `eu-west-1${az}` };
  return { natGatewayId: id, state: 'available', vpcId: 'vpc-1', mode: az === undefined ? 'regional' : 'zonal', connectivity: 'public', tags: { 'failover:group': 'nat' }, ...zonal, ...rest };
}

const ZONAL_A = 'nat-0000000000000000a';
const ZONAL_B = 'nat-0000000000000000b';
const REGIONAL = 'nat-000000000000000ee';

const nats = (a: 'running' | 'stopped' = 'stopped', b: 'running' | 'stopped' = 'stopped') => [
  node({ id: A, az: 'a', tags: natTags, state: a, sourceDestCheck: false }),
  node({ id: B, az: 'b', tags: natTags, state: b, sourceDestCheck: false }),
];

function world(instances: ReturnType<typeof nats>, routeTables: ReturnType<typeof table>[], natGateways: NatGateway[]): WorldSnapshot {
  return { ...snapshot({ instances, routeTables }), natGateways };
}

function plan(w: WorldSnapshot, o: { intent?: Intent; probes?: Record<string, Verdict>; lastMoveAt?: number; failback?: 'auto' | 'manual' } = {}) {
  const { groups, misconfigured } = discover(w, { ...DEFAULTS, failback: { ...DEFAULTS.failback, nat: o.failback ?? 'auto' } });
  expect(misconfigured).toEqual([]);
  return decide({
    group: groups[0]!,
    health: assessHealth(w, o.probes),
    intent: o.intent ?? { type: 'reconcile' },
    now: 1_000_000,
    ...(o.lastMoveAt === undefined ? {} : { lastMoveAt: o.lastMoveAt }),
  });
}

const tables = (on: string = A) => [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, on, 'blackhole')]), table('rtb-b', { NATAZ: 'eu-west-1b' }, [route(DEFAULT, B, 'blackhole')])];

describe('decide: a NAT gateway as the last resort', () => {
  it.each([
    { name: 'the zonal gateway in the table\'s own AZ first', gateways: [gw(REGIONAL), gw(ZONAL_B, { az: 'b' }), gw(ZONAL_A, { az: 'a' })], a: ZONAL_A, b: ZONAL_B },
    { name: 'a regional gateway for every AZ without its own zonal one', gateways: [gw(REGIONAL), gw(ZONAL_B, { az: 'b' })], a: REGIONAL, b: ZONAL_B },
    { name: 'a zonal gateway in another AZ when nothing else serves', gateways: [gw(ZONAL_B, { az: 'b' })], a: ZONAL_B, b: ZONAL_B },
    { name: 'never a gateway that is not available', gateways: [gw(ZONAL_A, { az: 'a', state: 'pending' }), gw(REGIONAL, { state: 'failed' }), gw(ZONAL_B, { az: 'b' })], a: ZONAL_B, b: ZONAL_B },
  ])('both NAT instances dead: $name', ({ gateways, a, b }) => {
    const result = plan(world(nats(), tables(), gateways));

    expect(result.outcome).toBe('change');
    expect(result.actions).toEqual([replace('rtb-a', DEFAULT, toGw(a)), replace('rtb-b', DEFAULT, toGw(b))]);
    expect(result.moves.map((m) => [m.scope, m.from, m.to])).toEqual([
      ['rtb-a', A, a],
      ['rtb-b', B, b],
    ]);
  });

  it('says that a zonal gateway in another AZ costs cross-AZ traffic', () => {
    const result = plan(world(nats(), tables(), [gw(ZONAL_B, { az: 'b' })]));

    expect(result.moves[0]?.reason).toContain(`last resort: ${ZONAL_B}, the zonal NAT gateway in eu-west-1b (traffic from eu-west-1a crosses AZs, charged per GB)`);
  });

  it('refuses, naming each gateway\'s state, when no instance is healthy and no gateway is available', () => {
    const result = plan(world(nats(), tables(), [gw(ZONAL_A, { az: 'a', state: 'deleting' })]));

    expect(result.outcome).toBe('refused');
    expect(result.actions).toEqual([]);
    expect(result.reason).toContain(`no NAT gateway of the group is available (${ZONAL_A}: deleting)`);
  });

  it('prefers any healthy NAT instance, even across AZs, to a gateway', () => {
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, A, 'blackhole')]), table('rtb-b', { NATAZ: 'eu-west-1b' }, [route(DEFAULT, B)])];

    const result = plan(world(nats('stopped', 'running'), routeTables, [gw(ZONAL_A, { az: 'a' })]));

    expect(result.moves.map((m) => [m.scope, m.to])).toEqual([['rtb-a', B]]);
  });

  it('moves 0.0.0.0/0 and 10.50.0.0/16 to the gateway and keeps ::/0 and a prefix list where they are, naming them', () => {
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, A, 'blackhole'), route(CORP, A, 'blackhole'), route(V6, A, 'blackhole'), route(NAT64, A, 'blackhole'), route(PL, A, 'blackhole')])];

    const result = plan(world(nats(), routeTables, [gw(ZONAL_A, { az: 'a' })]));

    expect(result.actions).toEqual([replace('rtb-a', DEFAULT, toGw(ZONAL_A)), replace('rtb-a', CORP, toGw(ZONAL_A)), replace('rtb-a', NAT64, toGw(ZONAL_A))]);
    expect(result.reason).toContain(`rtb-a: ::/0 stays on ${A}; rtb-a: pl-0123456789abcdef0 stays on ${A} (the target cannot carry it)`);
  });

  describe('back to the instances', () => {
    const onGateway = (state: NatGateway['state'] = 'available') =>
      world(nats('running', 'stopped'), [table('rtb-a', { NATAZ: 'eu-west-1a' }, [viaGw(DEFAULT, ZONAL_A, state === 'failed' ? 'blackhole' : 'active'), viaGw(CORP, ZONAL_A), route(V6, A)])], [gw(ZONAL_A, { az: 'a', state })]);

    it('goes back to a healthy instance with every route that went to the gateway', () => {
      const result = plan(onGateway());

      expect(result.actions).toEqual([replace('rtb-a', DEFAULT, toA), replace('rtb-a', CORP, toA)]);
      expect(result.moves).toEqual([{ scope: 'rtb-a', from: ZONAL_A, to: A, reason: `${A} is healthy again: back from the last resort ${ZONAL_A}` }]);
    });

    it('waits for the cooldown', () => {
      const result = plan(onGateway(), { lastMoveAt: 1_000_000 - 30_000 });

      expect(result.outcome).toBe('none');
      expect(result.reason).toBe(`on the last resort ${ZONAL_A}; failback to ${A} waits for the cooldown`);
    });

    it('stays on the gateway when the group\'s failback policy is manual, until a person runs failback', () => {
      expect(plan(onGateway(), { failback: 'manual' }).outcome).toBe('none');

      const manual = plan(onGateway(), { failback: 'manual', intent: { type: 'failback' } });

      expect(manual.actions).toEqual([replace('rtb-a', DEFAULT, toA), replace('rtb-a', CORP, toA)]);
    });

    it('leaves a gateway that failed at once, cooldown or not', () => {
      const result = plan(onGateway('failed'), { lastMoveAt: 1_000_000 - 1_000 });

      expect(result.moves.map((m) => [m.from, m.to])).toEqual([[ZONAL_A, A]]);
    });

    it('keeps a table on a serving gateway while no instance is healthy', () => {
      const w = world(nats(), [table('rtb-a', { NATAZ: 'eu-west-1a' }, [viaGw(DEFAULT, ZONAL_A)])], [gw(ZONAL_A, { az: 'a' })]);

      const result = plan(w);

      expect(result.outcome).toBe('none');
      expect(result.reason).toContain(`${ZONAL_A} (last resort) serves it`);
    });

    it('moves from a gateway in another AZ to the table\'s own zonal gateway once that is available', () => {
      const w = world(nats(), [table('rtb-a', { NATAZ: 'eu-west-1a' }, [viaGw(DEFAULT, ZONAL_B)])], [gw(ZONAL_A, { az: 'a' }), gw(ZONAL_B, { az: 'b' })]);

      expect(plan(w).actions).toEqual([replace('rtb-a', DEFAULT, toGw(ZONAL_A))]);
    });
  });

  it('takes an operator\'s failover away from the last instance to the gateway, and never names a gateway as `to`', () => {
    const w = world(nats('running', 'stopped'), [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, A)])], [gw(REGIONAL)]);

    expect(plan(w, { intent: { type: 'failover', from: A } }).actions).toEqual([replace('rtb-a', DEFAULT, toGw(REGIONAL))]);
    expect(plan(w, { intent: { type: 'failover', to: REGIONAL } }).outcome).toBe('refused');
  });
});

describe('discovery of tagged NAT gateways', () => {
  const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, A)])];

  it('joins a gateway to the nat group its tag names, and never to the instance members', () => {
    const { groups } = discover(world(nats('running'), routeTables, [gw(ZONAL_A, { az: 'a' })]), DEFAULTS);

    const [group] = groups;
    expect(group?.kind === 'nat' ? group.gateways?.map((g) => g.natGatewayId) : undefined).toEqual([ZONAL_A]);
    expect(group?.members.map((m) => m.instance.instanceId)).toEqual([A, B]);
  });

  it('names a gateway tagged for a group that is not a nat group', () => {
    const vip = node({ id: 'i-0000000000000003c', tags: { 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': '10.0.1.100' } });
    const w = world([...nats('running'), vip] as ReturnType<typeof nats>, routeTables, [gw(ZONAL_A, { az: 'a', tags: { 'failover:group': 'web' } }), gw(ZONAL_B, { az: 'b', tags: { 'failover:group': 'nope' } })]);

    const { misconfigured } = discover(w, DEFAULTS);

    expect(misconfigured.map((m) => [m.name, m.problems])).toEqual([
      ['web', [`NAT gateway ${ZONAL_A} is tagged failover:group=web, but 'web' is a vip group: a NAT gateway joins only a nat group`]],
      ['nope', [`NAT gateway ${ZONAL_B} is tagged failover:group=nope, but no instance makes a group 'nope': a NAT gateway joins only a nat group`]],
    ]);
  });

  it('leaves out a gateway in another VPC and a private one, naming them; the group still moves', () => {
    const w = world(nats('running'), routeTables, [gw(ZONAL_A, { az: 'a', vpcId: 'vpc-2' }), gw(REGIONAL, { connectivity: 'private' })]);

    const { groups, misconfigured } = discover(w, DEFAULTS);

    expect(misconfigured).toEqual([]);
    const [group] = groups;
    expect(group?.kind === 'nat' ? [group.gateways, group.gatewayProblems] : undefined).toEqual([
      [],
      [`NAT gateway ${ZONAL_A} is in vpc-2, not in the group's VPC vpc-1: never a target`, `NAT gateway ${REGIONAL} is a private NAT gateway, which reaches no internet: never a target`],
    ]);
  });
});

describe('holders and the carry rule', () => {
  it('reads a table that points at the group\'s gateway as held by that gateway, never by an instance', () => {
    const w = world(nats('running'), [table('rtb-a', { NATAZ: 'eu-west-1a' }, [viaGw(DEFAULT, ZONAL_A)])], [gw(ZONAL_A, { az: 'a' })]);
    const group = discover(w, DEFAULTS).groups[0]!;

    const [slot] = slotsOf(group);

    expect([slot?.holder, slot?.gateway?.natGatewayId, slot?.pointsAt, slot?.broken]).toEqual([undefined, ZONAL_A, `${ZONAL_A} (NAT gateway, available)`, false]);
  });

  it.each([
    [DEFAULT, true],
    [CORP, true],
    [NAT64, true],
    [V6, false],
    [{ kind: 'ipv6', value: '2001:db8::/32' } as RouteDestination, false],
    [PL, false],
  ])('a NAT gateway carries %o: %s', (destination, expected) => {
    expect(carries(toGw(ZONAL_A), destination)).toBe(expected);
    expect(carries(toA, destination)).toBe(true);
  });

  it('ranks gateways for a table: own-AZ zonal, regional, other-AZ zonal; a table for any AZ prefers the regional one', () => {
    const all = [gw(ZONAL_B, { az: 'b' }), gw(REGIONAL), gw(ZONAL_A, { az: 'a' })];

    expect(rankGateways(all, 'eu-west-1a').map((g) => g.natGatewayId)).toEqual([ZONAL_A, REGIONAL, ZONAL_B]);
    expect(rankGateways(all, 'any').map((g) => g.natGatewayId)).toEqual([REGIONAL, ZONAL_A, ZONAL_B]);
    expect(gatewayTier(gw(ZONAL_A, { az: 'a' }), 'eu-west-1b')).toBe(2);
  });
});
