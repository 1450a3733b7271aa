/**
 * Every route of a NATAZ table that goes through the NAT member being left moves with it: IPv4 and
 * IPv6 CIDRs and prefix lists alike, in the order that serves the failed AZ first. Routes through
 * anything else stay.
 */
import { describe, expect, it } from 'vitest';
import { decide, type Intent } from '../../shared/core/decide.js';
import { discover } from '../../shared/core/groups.js';
import { assessHealth } from '../../shared/core/health.js';
import type { Action, RouteDestination, SwitchTarget, Verdict, WorldSnapshot } from '../../shared/core/model.js';
import { DEFAULTS, eniOf, node, route, snapshot, table } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const natTags = { 'failover:group': 'nat', 'failover:kind': 'nat' };
const DEFAULT: RouteDestination = { kind: 'ipv4', value: '0.0.0.0/0' };
const CORP: RouteDestination = { kind: 'ipv4', value: '10.50.0.0/16' };
const V6: RouteDestination = { kind: 'ipv6', value: '::/0' };
const NAT64: RouteDestination = { kind: 'ipv6', value: '64:ff9b::/96' };
const PL: RouteDestination = { kind: 'prefix-list', value: 'pl-0123456789abcdef0' };
const toB = { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } as const;
const toA = { kind: 'eni', networkInterfaceId: eniOf(A), instanceId: A } as const;
const replace = (rtb: string, destination: RouteDestination, target: SwitchTarget = toB): Action => ({ type: 'replace-route', routeTableId: rtb, destination, target });

const nats = (aState: 'running' | 'stopped' = 'running') => [
  node({ id: A, az: 'a', tags: natTags, state: aState, sourceDestCheck: false }),
  node({ id: B, az: 'b', tags: natTags, sourceDestCheck: false }),
];

function plan(world: WorldSnapshot, o: { intent?: Intent; probes?: Record<string, Verdict>; lastMoveAt?: number } = {}) {
  const { groups, misconfigured } = discover(world, DEFAULTS);
  expect(misconfigured).toEqual([]);
  return decide({
    group: groups[0]!,
    health: assessHealth(world, o.probes),
    intent: o.intent ?? { type: 'reconcile' },
    now: 1_000_000,
    ...(o.lastMoveAt === undefined ? {} : { lastMoveAt: o.lastMoveAt }),
  });
}

describe('decide: every route through the failed NAT moves', () => {
  it('moves 0.0.0.0/0, 10.50.0.0/16 and ::/0 of a table together, default route first', () => {
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, A), route(CORP, A), route(V6, A)])];

    const result = plan(snapshot({ instances: nats('stopped'), routeTables }));

    expect(result.actions).toEqual([replace('rtb-a', DEFAULT), replace('rtb-a', CORP), replace('rtb-a', V6)]);
    expect(result.moves).toEqual([{ scope: 'rtb-a', from: A, to: B, reason: `${A}: instance is stopped` }]);
  });

  it('moves IPv6, NAT64 and prefix-list routes through the NAT, and never a route through anything else', () => {
    const routeTables = [
      table('rtb-a', { NATAZ: 'eu-west-1a' }, [
        route('10.0.0.0/16', { other: 'local' }),
        route(DEFAULT, A),
        route(NAT64, A),
        route(PL, A),
        route({ kind: 'prefix-list', value: 'pl-s3' }, { other: 'vpce-0123' }),
        route('172.16.0.0/12', { other: 'pcx-0123' }),
        route('100.64.0.0/10', { other: 'tgw-0123' }),
        route({ kind: 'ipv6', value: '2001:db8::/32' }, { other: 'eigw-0123' }),
      ]),
    ];

    const result = plan(snapshot({ instances: nats('stopped'), routeTables }));

    expect(result.actions).toEqual([replace('rtb-a', DEFAULT), replace('rtb-a', NAT64), replace('rtb-a', PL)]);
  });

  it('leaves a route through the NAT that stays: only routes through the member being left move', () => {
    // Failback of the AZ-a table from B to A: its route through B goes along; nothing of rtb-b moves.
    const routeTables = [
      table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, B), route(CORP, B)]),
      table('rtb-b', { NATAZ: 'eu-west-1b' }, [route(DEFAULT, B), route(CORP, A)]),
    ];

    const result = plan(snapshot({ instances: nats(), routeTables }));

    expect(result.actions).toEqual([replace('rtb-a', DEFAULT, toA), replace('rtb-a', CORP, toA)]);
  });

  it('moves the routes through a NAT the probes judge down even where the default route goes elsewhere', () => {
    const routeTables = [table('rtb-b', { NATAZ: 'eu-west-1b' }, [route(DEFAULT, B), route(V6, A), route(CORP, A)])];

    const result = plan(snapshot({ instances: nats(), routeTables }), { probes: { [A]: 'unhealthy', [B]: 'healthy' } });

    expect(result.actions).toEqual([replace('rtb-b', V6), replace('rtb-b', CORP)]);
    expect(result.moves).toEqual([{ scope: 'rtb-b', from: A, to: B, reason: `::/0, 10.50.0.0/16 still point at ${A} (health probes failed)` }]);
  });

  it('finishes a move an earlier run left half done, even in the cooldown', () => {
    // The default route already moved; the deadline came before ::/0 did.
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, B), route(CORP, B), route(V6, A)])];

    const result = plan(snapshot({ instances: nats('stopped'), routeTables }), { lastMoveAt: 990_000 });

    expect(result.outcome).toBe('change');
    expect(result.actions).toEqual([replace('rtb-a', V6)]);
  });

  it('leaves a route through a member whose health is unknown where it is', () => {
    const routeTables = [table('rtb-b', { NATAZ: 'eu-west-1b' }, [route(DEFAULT, B), route(V6, A)])];

    const result = plan(snapshot({ instances: nats(), routeTables }), { probes: { [A]: 'unknown', [B]: 'healthy' } });

    expect(result).toMatchObject({ outcome: 'none', actions: [] });
  });

  it('moves nothing when no member can take the routes', () => {
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(DEFAULT, A), route(V6, A)])];
    const world = snapshot({ instances: nats('stopped'), routeTables, status: { [B]: 'impaired' } });

    expect(plan(world)).toMatchObject({ outcome: 'refused', actions: [] });
  });

  it('creates a missing default route and moves the table\'s other routes through the dead NAT', () => {
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route(CORP, A), route(PL, A)])];

    const result = plan(snapshot({ instances: nats('stopped'), routeTables }));

    expect(result.actions).toEqual([{ type: 'create-route', routeTableId: 'rtb-a', destination: DEFAULT, target: toB }, replace('rtb-a', CORP), replace('rtb-a', PL)]);
  });

  it('moves the routes named by an evacuation, whatever the health of the node going away', () => {
    const routeTables = [table('rtb-b', { NATAZ: 'eu-west-1b' }, [route(DEFAULT, B), route(CORP, A)])];

    const result = plan(snapshot({ instances: nats(), routeTables }), { intent: { type: 'evacuate', instanceId: A } });

    expect(result.actions).toEqual([replace('rtb-b', CORP)]);
  });
});

describe('decide: the order in which NAT tables switch', () => {
  it("switches the failed AZ's own tables first, then 'any', then the others, each table's default route first", () => {
    const c = (id: string, az: string, dests: RouteDestination[]) => table(id, { NATAZ: az }, dests.map((d) => route(d, A)));
    const routeTables = [
      c('rtb-0-other', 'eu-west-1c', [V6, DEFAULT]),
      c('rtb-1-any', 'any', [DEFAULT]),
      c('rtb-2-a', 'eu-west-1a', [CORP, DEFAULT]),
      c('rtb-3-b', 'eu-west-1b', [DEFAULT]),
      c('rtb-4-a', 'eu-west-1a', [DEFAULT]),
    ];

    const result = plan(snapshot({ instances: nats('stopped'), routeTables }));

    expect(result.actions.map((a) => (a.type === 'replace-route' ? `${a.routeTableId} ${a.destination.value}` : a.type))).toEqual([
      'rtb-2-a 0.0.0.0/0',
      'rtb-2-a 10.50.0.0/16',
      'rtb-4-a 0.0.0.0/0',
      'rtb-1-any 0.0.0.0/0',
      'rtb-0-other 0.0.0.0/0',
      'rtb-0-other ::/0',
      'rtb-3-b 0.0.0.0/0',
    ]);
  });
});
