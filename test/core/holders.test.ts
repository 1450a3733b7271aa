import { describe, expect, it } from 'vitest';
import { type Group, discover } from '../../shared/core/groups.js';
import { groupHolder, slotsOf } from '../../shared/core/holders.js';
import type { ElasticIp, Route, WorldSnapshot } from '../../shared/core/model.js';
import { DEFAULTS, eniOf, node, route, secondEniOf, snapshot, table, withSecondEni } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const VIP = '10.0.1.100';

function group(world: WorldSnapshot): Group {
  const { groups, misconfigured } = discover(world, DEFAULTS);
  expect(misconfigured).toEqual([]);
  return groups[0]!;
}

const tags = (kind: string, extra: Record<string, string> = {}) => ({ 'failover:group': 'g', 'failover:kind': kind, ...extra });

describe('slotsOf', () => {
  it('finds the VIP holder among secondary addresses only', () => {
    const world = snapshot({ instances: [node({ id: A, tags: tags('vip', { 'failover:vip': VIP }) }), node({ id: B, tags: tags('vip', { 'failover:vip': VIP }), secondary: [VIP] })] });

    expect(slotsOf(group(world))).toEqual([expect.objectContaining({ scope: VIP, broken: false, pointsAt: B, holder: expect.objectContaining({ priority: Number.MAX_SAFE_INTEGER }) })]);
  });

  it('finds the VIP holder on any of its ENIs, and by the VIP only', () => {
    const world = snapshot({
      instances: [
        node({ id: B, tags: tags('vip', { 'failover:vip': VIP }), secondary: ['10.0.1.200'] }),
        withSecondEni(node({ id: A, tags: tags('vip', { 'failover:vip': VIP }) }), { secondary: [VIP] }),
      ],
    });

    expect(slotsOf(group(world))).toEqual([expect.objectContaining({ scope: VIP, broken: false, pointsAt: A, holder: expect.objectContaining({ instance: expect.objectContaining({ instanceId: A }) }) })]);
  });

  it('reports a VIP nobody holds as broken', () => {
    const world = snapshot({ instances: [node({ id: A, tags: tags('vip', { 'failover:vip': VIP }) })] });

    const [slot] = slotsOf(group(world));

    expect(slot).toMatchObject({ scope: VIP, broken: true, pointsAt: 'no member' });
    expect(slot?.holder).toBeUndefined();
  });

  it.each([
    ['by ENI', { associationId: 'x', networkInterfaceId: eniOf(B) }, B, false, eniOf(B)],
    ['by instance only', { associationId: 'x', instanceId: B }, B, false, B],
    ['by ENI and instance', { associationId: 'x', networkInterfaceId: eniOf(B), instanceId: B }, B, false, B],
    ['to an outsider', { associationId: 'x', networkInterfaceId: 'eni-elsewhere', instanceId: 'i-0000000000000099f' }, undefined, false, 'i-0000000000000099f'],
    ['nowhere', undefined, undefined, true, 'not associated'],
  ] as const)('finds the Elastic IP holder when associated %s', (_name, association, holder, broken, pointsAt) => {
    const address: ElasticIp = { allocationId: 'eipalloc-00000000000000001', publicIp: '203.0.113.10', tags: { 'failover:group': 'g' } };
    const world = snapshot({ instances: [A, B].map((id) => node({ id, tags: tags('eip', { 'failover:eip': 'eipalloc-00000000000000001' }) })), addresses: [address] });
    // Discovery refuses a group whose address an outsider holds; slotsOf must still name the outsider.
    const found = group(world);

    const [slot] = slotsOf(found.kind === 'eip' ? { ...found, address: { ...address, ...(association ? { association } : {}) } } : found);

    expect(slot?.broken).toBe(broken);
    expect(slot?.holder?.instance.instanceId).toBe(holder);
    expect(slot?.pointsAt).toBe(pointsAt);
  });

  it.each([
    ['an active route to a member ENI', route('0.0.0.0/0', A), A, false, eniOf(A)],
    ['a blackhole route', route('0.0.0.0/0', A, 'blackhole'), A, true, `${eniOf(A)} (blackhole)`],
    ['a route to a member instance', { destination: { kind: 'ipv4', value: '0.0.0.0/0' }, state: 'active', target: { kind: 'instance', instanceId: B } } as Route, B, false, B],
    ['a route to a gateway', route('0.0.0.0/0', { other: 'igw-1' }), undefined, false, 'igw-1'],
    ['a blackhole route to a member ENI no longer attached', { destination: { kind: 'ipv4', value: '0.0.0.0/0' }, state: 'blackhole', target: { kind: 'eni', networkInterfaceId: eniOf(A) } } as Route, A, true, `${eniOf(A)} (blackhole)`],
    ['a route to another ENI of a member', { destination: { kind: 'ipv4', value: '0.0.0.0/0' }, state: 'active', target: { kind: 'eni', networkInterfaceId: secondEniOf(B), instanceId: B } } as Route, B, false, secondEniOf(B)],
    ['no default route', route('10.9.0.0/16', A), undefined, true, 'no 0.0.0.0/0 route'],
  ] as const)('reads a NAT table with %s', (_name, r, holder, broken, pointsAt) => {
    const world = snapshot({
      instances: [node({ id: A, tags: tags('nat') }), node({ id: B, az: 'b', tags: tags('nat') })],
      routeTables: [table('rtb-1', { NATAZ: 'eu-west-1a' }, [r])],
    });

    const [slot] = slotsOf(group(world));

    expect(slot).toMatchObject({ scope: 'rtb-1', az: 'eu-west-1a', broken, pointsAt });
    expect(slot?.holder?.instance.instanceId).toBe(holder);
  });

  it('reads one slot per overlay table, for the overlay address', () => {
    const cidr = '100.64.0.1/32';
    const world = snapshot({
      instances: [A, B].map((id) => node({ id, tags: tags('overlay', { 'failover:overlay-ip': '100.64.0.1' }) })),
      routeTables: [table('rtb-1', { 'failover:overlay': 'g' }, [route(cidr, A)]), table('rtb-2', { 'failover:overlay': 'g' }, [route(cidr, B)])],
    });

    expect(slotsOf(group(world)).map((s) => [s.scope, s.holder?.instance.instanceId])).toEqual([
      ['rtb-1', A],
      ['rtb-2', B],
    ]);
  });
});

describe('groupHolder', () => {
  const member = (id: string, priority?: string) =>
    node({ id, tags: tags('overlay', { 'failover:overlay-ip': '100.64.0.1', ...(priority === undefined ? {} : { 'failover:priority': priority }) }) });
  const tables = (...routes: Route[]) => routes.map((r, i) => table(`rtb-${i + 1}`, { 'failover:overlay': 'g' }, [r]));
  const to = (id: string, state: Route['state'] = 'active') => route('100.64.0.1/32', id, state);

  it.each<[string, { a?: string; b?: string }, Route[], string | undefined]>([
    ['the most common working target, before priority', { a: '1', b: '2' }, [to(B), to(B), to(A)], B],
    ['the most common working target, whatever the table order', { a: '1', b: '2' }, [to(B), to(A), to(A)], A],
    ['not a target behind blackhole routes', { a: '1', b: '2' }, [to(A, 'blackhole'), to(A, 'blackhole'), to(B)], B],
    ['not a target outside the group', { a: '1', b: '2' }, [route('100.64.0.1/32', { other: 'vgw-1' }), route('100.64.0.1/32', { other: 'vgw-1' }), to(B)], B],
    ['on a tie, the preferred member', { a: '1', b: '2' }, [to(B), to(A)], A],
    ['on a tie of count and priority, the lower instance ID', {}, [to(B), to(A)], A],
    ['nobody when no route works', { a: '1' }, [to(A, 'blackhole')], undefined],
  ])('is %s', (_name, priorities, routes, holder) => {
    const world = snapshot({ instances: [member(A, priorities.a), member(B, priorities.b)], routeTables: tables(...routes) });

    expect(groupHolder(group(world))?.instance.instanceId).toBe(holder);
  });
});
