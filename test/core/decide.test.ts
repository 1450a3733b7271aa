import { describe, expect, it } from 'vitest';
import { decide, type Intent } from '../../shared/core/decide.js';
import { discover, type Group } from '../../shared/core/groups.js';
import { assessHealth } from '../../shared/core/health.js';
import type { StatusChecks, Verdict, WorldSnapshot } from '../../shared/core/model.js';
import { DEFAULTS, eniOf, node, route, snapshot, table } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const C = 'i-0000000000000003c';
const VIP = '10.0.1.100';

function only(world: WorldSnapshot): Group {
  const { groups, misconfigured } = discover(world, DEFAULTS);
  expect(misconfigured).toEqual([]);
  expect(groups).toHaveLength(1);
  return groups[0]!;
}

function plan(world: WorldSnapshot, opts: { intent?: Intent; probes?: Record<string, Verdict>; now?: number; lastMoveAt?: number } = {}) {
  return decide({
    group: only(world),
    health: assessHealth(world, opts.probes),
    intent: opts.intent ?? { type: 'reconcile' },
    now: opts.now ?? 1_000_000,
    ...(opts.lastMoveAt === undefined ? {} : { lastMoveAt: opts.lastMoveAt }),
  });
}

const vipTags = (priority: string) => ({ 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': VIP, 'failover:priority': priority });

function vipPair(o: { aState?: 'running' | 'stopping' | 'stopped'; status?: Record<string, StatusChecks>; holder?: 'A' | 'B' | 'none' } = {}) {
  const holder = o.holder ?? 'A';
  return snapshot({
    instances: [
      node({ id: A, tags: vipTags('1'), state: o.aState ?? 'running', secondary: holder === 'A' ? [VIP] : [] }),
      node({ id: B, tags: vipTags('2'), secondary: holder === 'B' ? [VIP] : [] }),
    ],
    ...(o.status ? { status: o.status } : {}),
  });
}

describe('decide: vip groups', () => {
  it.each([
    { name: 'holder healthy', world: vipPair(), probes: {}, outcome: 'none' },
    { name: 'holder stopping', world: vipPair({ aState: 'stopping' }), probes: {}, outcome: 'change' },
    { name: 'holder stopped', world: vipPair({ aState: 'stopped' }), probes: {}, outcome: 'change' },
    { name: 'holder impaired', world: vipPair({ status: { [A]: 'impaired' } }), probes: {}, outcome: 'change' },
    { name: 'holder probes failed', world: vipPair(), probes: { [A]: 'unhealthy' as Verdict }, outcome: 'change' },
    { name: 'holder probes unknown', world: vipPair(), probes: { [A]: 'unknown' as Verdict }, outcome: 'none' },
    { name: 'holder status initializing', world: vipPair({ status: { [A]: 'initializing' } }), probes: {}, outcome: 'none' },
    { name: 'standby unhealthy and holder impaired', world: vipPair({ status: { [A]: 'impaired', [B]: 'impaired' } }), probes: {}, outcome: 'refused' },
    { name: 'standby status unknown and holder stopped', world: vipPair({ aState: 'stopped', status: { [B]: 'unknown' } }), probes: {}, outcome: 'refused' },
    { name: 'no holder yet', world: vipPair({ holder: 'none' }), probes: {}, outcome: 'change' },
  ] as { name: string; world: WorldSnapshot; probes: Record<string, Verdict>; outcome: string }[])('reconciles to $outcome when $name', ({ world, probes, outcome }) => {
    expect(plan(world, { probes }).outcome).toBe(outcome);
  });

  it('moves the VIP to the standby ENI with AllowReassignment semantics and brings it up there', () => {
    const result = plan(vipPair({ status: { [A]: 'impaired' } }));

    expect(result.moves).toEqual([{ scope: VIP, from: A, to: B, reason: expect.stringContaining('unhealthy') }]);
    expect(result.actions).toEqual([
      { type: 'assign-private-ip', networkInterfaceId: eniOf(B), instanceId: B, ip: VIP },
      { type: 'activate-ip', instanceId: B, macAddress: expect.stringMatching(/^02:/), ip: VIP, prefixLength: 24 },
      { type: 'deactivate-ip', instanceId: A, macAddress: expect.stringMatching(/^02:/), ip: VIP, prefixLength: 24 },
    ]);
  });

  it('does not try to take the VIP down on a holder that is no longer running', () => {
    const result = plan(vipPair({ aState: 'stopped' }));
    expect(result.actions.map((a) => a.type)).toEqual(['assign-private-ip', 'activate-ip']);
  });

  it('keeps the VIP where it is when the standby is unhealthy', () => {
    const result = plan(vipPair(), { intent: { type: 'failover' }, probes: { [B]: 'unhealthy' } });
    expect(result.outcome).toBe('refused');
    expect(result.actions).toEqual([]);
    expect(result.reason).toContain('no other member is healthy');
  });

  it('holds still during the cooldown while the holder is only unhealthy', () => {
    const result = plan(vipPair({ holder: 'B', status: { [B]: 'impaired' } }), { now: 100_000, lastMoveAt: 70_000 });
    expect(result.outcome).toBe('none');
    expect(result.reason).toContain('cooldown');
  });

  it('moves during the cooldown when the holder is definitely gone', () => {
    const world = snapshot({
      instances: [node({ id: A, tags: vipTags('1') }), node({ id: B, tags: vipTags('2'), state: 'stopped', secondary: [VIP] })],
    });
    expect(plan(world, { now: 100_000, lastMoveAt: 90_000 }).moves).toEqual([expect.objectContaining({ from: B, to: A })]);
  });

  it('does not fail back automatically under the default manual policy', () => {
    const result = plan(vipPair({ holder: 'B' }));
    expect(result.outcome).toBe('none');
    expect(result.reason).toContain('policy is manual');
  });

  it('fails back automatically when the group asks for it and the cooldown has passed', () => {
    const tags = (p: string) => ({ ...vipTags(p), 'failover:failback': 'auto' });
    const world = snapshot({ instances: [node({ id: A, tags: tags('1') }), node({ id: B, tags: tags('2'), secondary: [VIP] })] });
    expect(plan(world, { now: 200_000, lastMoveAt: 100_000 }).moves).toEqual([expect.objectContaining({ from: B, to: A })]);
    expect(plan(world, { now: 120_000, lastMoveAt: 100_000 }).outcome).toBe('none');
  });

  it('fails back on request only to a healthy preferred node', () => {
    expect(plan(vipPair({ holder: 'B' }), { intent: { type: 'failback' } }).moves).toEqual([expect.objectContaining({ to: A })]);
    expect(plan(vipPair({ holder: 'B' }), { intent: { type: 'failback' }, probes: { [A]: 'unhealthy' } }).outcome).toBe('none');
    expect(plan(vipPair(), { intent: { type: 'failback' } }).reason).toContain('already on the preferred node');
  });

  it('refuses a forced target that is not running or not a member', () => {
    const stopped = snapshot({ instances: [node({ id: A, tags: vipTags('1'), secondary: [VIP] }), node({ id: B, tags: vipTags('2'), state: 'stopped' })] });
    expect(plan(stopped, { intent: { type: 'failover', to: B } })).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('stopped') });
    expect(plan(vipPair(), { intent: { type: 'failover', to: C } })).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('not a member') });
  });

  it('moves to a forced healthy target even during the cooldown', () => {
    const result = plan(vipPair(), { intent: { type: 'failover', to: B }, now: 10, lastMoveAt: 5 });
    expect(result.moves).toEqual([expect.objectContaining({ from: A, to: B })]);
  });

  it('ignores an evacuation of an instance that does not hold the VIP', () => {
    expect(plan(vipPair(), { intent: { type: 'evacuate', instanceId: B } }).outcome).toBe('none');
    expect(plan(vipPair(), { intent: { type: 'evacuate', instanceId: A } }).moves).toEqual([expect.objectContaining({ to: B })]);
  });

  it('picks the same target for the same world: priority, then instance ID', () => {
    const tags = (p?: string) => ({ ...vipTags('0'), ...(p === undefined ? { 'failover:priority': '' } : { 'failover:priority': p }) });
    const world = snapshot({
      instances: [node({ id: A, tags: tags('5'), state: 'stopped', secondary: [VIP] }), node({ id: C, tags: tags('3') }), node({ id: B, tags: tags('3') })],
    });
    expect(plan(world).moves[0]?.to).toBe(B);
  });
});

describe('decide: eip groups', () => {
  const tags = (p: string) => ({ 'failover:group': 'edge', 'failover:kind': 'eip', 'failover:eip': 'eipalloc-1', 'failover:priority': p });
  const world = (aState: 'running' | 'stopped') =>
    snapshot({
      instances: [node({ id: A, tags: tags('1'), state: aState }), node({ id: B, az: 'b', tags: tags('2') })],
      addresses: [{ allocationId: 'eipalloc-1', publicIp: '198.51.100.7', association: { associationId: 'eipassoc-1', networkInterfaceId: eniOf(A), instanceId: A, privateIp: '10.0.1.11' } }],
    });

  it('re-associates the Elastic IP with the standby ENI and its primary private IP', () => {
    const result = plan(world('stopped'));
    expect(result.actions).toEqual([
      { type: 'associate-address', allocationId: 'eipalloc-1', target: { kind: 'eni-private-ip', networkInterfaceId: eniOf(B), instanceId: B, privateIp: node({ id: B, az: 'b' }).privateIp } },
    ]);
  });

  it('leaves a healthy association alone', () => {
    expect(plan(world('running')).outcome).toBe('none');
  });
});

describe('decide: nat groups', () => {
  const natTags = { 'failover:group': 'nat', 'failover:kind': 'nat' };
  const nats = (o: { aState?: 'running' | 'stopped'; bSdc?: boolean } = {}) => [
    node({ id: A, az: 'a', tags: natTags, state: o.aState ?? 'running', sourceDestCheck: false }),
    node({ id: B, az: 'b', tags: natTags, sourceDestCheck: o.bSdc ?? false }),
  ];
  const tables = (aTarget: string, routeState: 'active' | 'blackhole' = 'active') => [
    table('rtb-a', { NATAZ: 'eu-west-1a' }, [route('10.0.0.0/16', { other: 'local' }), route('0.0.0.0/0', aTarget, routeState)]),
    table('rtb-b', { NATAZ: 'eu-west-1b' }, [route('0.0.0.0/0', B)]),
    table('rtb-any', { NATAZ: 'any' }, [route('0.0.0.0/0', aTarget, routeState)]),
  ];

  it('moves every table of a dead NAT to the healthy one, and leaves the others', () => {
    const result = plan(snapshot({ instances: nats({ aState: 'stopped' }), routeTables: tables(A, 'blackhole') }));
    expect(result.moves.map((m) => [m.scope, m.to])).toEqual([
      ['rtb-a', B],
      ['rtb-any', B],
    ]);
    expect(result.actions).toEqual([
      { type: 'replace-route', routeTableId: 'rtb-a', destination: '0.0.0.0/0', target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
      { type: 'replace-route', routeTableId: 'rtb-any', destination: '0.0.0.0/0', target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
    ]);
  });

  it("fails back an AZ's table once its own NAT is healthy, but leaves an 'any' table on a healthy NAT", () => {
    const result = plan(snapshot({ instances: nats(), routeTables: tables(B) }));
    expect(result.moves.map((m) => [m.scope, m.from, m.to])).toEqual([['rtb-a', B, A]]);
  });

  it('does not fail back under a manual policy', () => {
    const instances = nats().map((i) => ({ ...i, tags: { ...i.tags, 'failover:failback': 'manual' } }));
    expect(plan(snapshot({ instances, routeTables: tables(B) })).outcome).toBe('none');
  });

  it('creates a missing default route and disables source/dest check first', () => {
    const routeTables = [table('rtb-b', { NATAZ: 'eu-west-1b' }, [route('10.0.0.0/16', { other: 'local' })])];
    const result = plan(snapshot({ instances: nats({ bSdc: true }), routeTables }));
    expect(result.actions).toEqual([
      { type: 'disable-source-dest-check', networkInterfaceId: eniOf(B), instanceId: B },
      { type: 'create-route', routeTableId: 'rtb-b', destination: '0.0.0.0/0', target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
    ]);
  });

  it('changes nothing when every NAT is down (no thrashing)', () => {
    const world = snapshot({ instances: nats({ aState: 'stopped' }), routeTables: tables(A, 'blackhole'), status: { [B]: 'impaired' } });
    const result = plan(world);
    expect(result).toMatchObject({ outcome: 'refused', actions: [] });
  });

  it('needs from or to for a manual failover, and evacuates a NAT on request', () => {
    const world = snapshot({ instances: nats(), routeTables: tables(A) });
    expect(plan(world, { intent: { type: 'failover' } }).outcome).toBe('refused');
    expect(plan(world, { intent: { type: 'failover', from: A } }).moves.map((m) => m.scope)).toEqual(['rtb-a', 'rtb-any']);
    expect(plan(world, { intent: { type: 'failover', to: A } }).moves.map((m) => m.scope)).toEqual(['rtb-b']);
  });
});

describe('decide: overlay groups', () => {
  const tags = (p: string) => ({ 'failover:group': 'db', 'failover:kind': 'overlay', 'failover:overlay-ip': '192.168.100.1/32', 'failover:priority': p });
  const instances = (aState: 'running' | 'stopped' = 'running') => [
    node({ id: A, tags: tags('1'), state: aState, sourceDestCheck: false }),
    node({ id: B, az: 'b', tags: tags('2'), sourceDestCheck: false }),
  ];
  const ov = { 'failover:overlay': 'db' };

  it('points every tagged table at the standby when the holder dies', () => {
    const world = snapshot({
      instances: instances('stopped'),
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A, 'blackhole')]), table('rtb-2', ov, [route('192.168.100.1/32', A, 'blackhole')])],
    });
    expect(plan(world).actions.map((a) => ('routeTableId' in a ? [a.type, a.routeTableId, a.target.networkInterfaceId] : []))).toEqual([
      ['replace-route', 'rtb-1', eniOf(B)],
      ['replace-route', 'rtb-2', eniOf(B)],
    ]);
  });

  it('converges tables left split by a partial failure onto the healthy holder', () => {
    const world = snapshot({
      instances: instances(),
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', B)]), table('rtb-2', ov, [route('192.168.100.1/32', B)]), table('rtb-3', ov, [])],
    });
    const result = plan(world);
    expect(result.outcome).toBe('change');
    expect(result.actions).toEqual([
      { type: 'create-route', routeTableId: 'rtb-3', destination: '192.168.100.1/32', target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
    ]);
  });
});

describe('discover', () => {
  it.each([
    [{ 'failover:kind': 'vip', 'failover:vip': '10.0.9.9' }, 'has no network interface in a subnet that contains VIP 10.0.9.9'],
    [{ 'failover:kind': 'vip', 'failover:vip': '10.0.1.300' }, "tag failover:vip must be an IPv4 address, got '10.0.1.300'"],
    [{ 'failover:kind': 'floating' }, "tag failover:kind must be one of vip, eip, nat, overlay, got 'floating'"],
    [{}, 'tag failover:kind is missing or empty'],
    [{ 'failover:kind': 'eip', 'failover:eip': 'eipalloc-404' }, 'Elastic IP eipalloc-404 not found in this region'],
    [{ 'failover:kind': 'overlay', 'failover:overlay-ip': '192.168.0.0/24' }, "tag failover:overlay-ip must be an IPv4 /32, got '192.168.0.0/24'"],
    [{ 'failover:kind': 'nat', 'failover:priority': 'high' }, "tag failover:priority must be a non-negative integer, got 'high'"],
    [{ 'failover:kind': 'nat', 'failover:ports': '80,http' }, "tag failover:ports must be comma-separated TCP ports, got '80,http'"],
    [{ 'failover:kind': 'nat', 'failover:failback': 'sometimes' }, "tag failover:failback must be 'auto' or 'manual', got 'sometimes'"],
  ])('reports a misconfigured group for %j and never plans a move for it', (tags, problem) => {
    const world = snapshot({ instances: [node({ id: A, tags: { 'failover:group': 'g', ...tags } })] });
    const { groups, misconfigured } = discover(world, DEFAULTS);
    expect(groups).toEqual([]);
    expect(misconfigured[0]?.problems.join('\n')).toContain(problem);
  });

  it('reports members that disagree on a tag', () => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags('1') }), node({ id: B, tags: { ...vipTags('2'), 'failover:vip': '10.0.1.101' } })] });
    expect(discover(world, DEFAULTS).misconfigured[0]?.problems).toEqual(['members disagree on tag failover:vip: 10.0.1.100, 10.0.1.101']);
  });

  it('keeps a broken group from affecting a healthy one', () => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags('1') }), node({ id: C, tags: { 'failover:group': 'other', 'failover:kind': '?' } })] });
    const { groups, misconfigured } = discover(world, DEFAULTS);
    expect(groups.map((g) => g.name)).toEqual(['web']);
    expect(misconfigured.map((g) => g.name)).toEqual(['other']);
  });

  it('refuses two nat groups in one VPC', () => {
    const world = snapshot({
      instances: [node({ id: A, tags: { 'failover:group': 'n1', 'failover:kind': 'nat' } }), node({ id: B, tags: { 'failover:group': 'n2', 'failover:kind': 'nat' } })],
    });
    expect(discover(world, DEFAULTS).misconfigured.map((g) => g.name)).toEqual(['n1', 'n2']);
  });
});

describe('decide: the OS side of a vip group', () => {
  const os = (views: Record<string, boolean>, at = 2_000_000) => Object.fromEntries(Object.entries(views).map(([id, up]) => [id, { at, addresses: { [VIP]: up } }]));
  const withOs = (world: WorldSnapshot, report: ReturnType<typeof os>, lastMoveAt?: number) =>
    decide({ group: only(world), health: assessHealth(world), intent: { type: 'reconcile' }, now: 3_000_000, os: report, ...(lastMoveAt === undefined ? {} : { lastMoveAt }) });

  it.each([
    { name: "the holder's OS lacks the VIP", report: { [A]: false }, repairs: [[A, 'bring-up']] },
    { name: 'another member still has it up', report: { [A]: true, [B]: true }, repairs: [[B, 'take-down']] },
    { name: 'both at once', report: { [A]: false, [B]: true }, repairs: [[A, 'bring-up'], [B, 'take-down']] },
    { name: 'the OS agrees with EC2', report: { [A]: true, [B]: false }, repairs: [] },
    { name: 'nobody reported', report: {}, repairs: [] },
  ] as { name: string; report: Record<string, boolean>; repairs: string[][] }[])('repairs $repairs when $name', ({ report, repairs }) => {
    const result = withOs(vipPair(), os(report));

    expect(result.moves).toEqual([]);
    expect(result.repairs.map((r) => [r.instanceId, r.change])).toEqual(repairs);
    expect(result.outcome).toBe(repairs.length > 0 ? 'change' : 'none');
    expect(result.actions.map((a) => [a.type, 'instanceId' in a ? a.instanceId : ''])).toEqual(
      repairs.map(([id, change]) => [change === 'bring-up' ? 'activate-ip' : 'deactivate-ip', id]),
    );
  });

  it('ignores a report older than the last move: it describes the world before the move', () => {
    const result = withOs(vipPair(), os({ [A]: false, [B]: true }, 1_000), 2_000);

    expect(result.outcome).toBe('none');
    expect(result.actions).toEqual([]);
  });

  it('does not repair the OS of a holder that is not running', () => {
    const result = withOs(vipPair({ aState: 'stopping' }), os({ [A]: false }));

    expect(result.repairs).toEqual([]);
    expect(result.moves).toEqual([expect.objectContaining({ from: A, to: B })]);
  });

  it('also takes the VIP down on a third member that still has it when the VIP moves', () => {
    const world = snapshot({
      instances: [
        node({ id: A, tags: vipTags('1'), state: 'stopping', secondary: [VIP] }),
        node({ id: B, tags: vipTags('2') }),
        node({ id: C, tags: vipTags('3') }),
      ],
    });

    const result = withOs(world, os({ [C]: true }));

    expect(result.moves).toEqual([expect.objectContaining({ from: A, to: B })]);
    expect(result.actions.map((a) => [a.type, 'instanceId' in a ? a.instanceId : ''])).toEqual([
      ['assign-private-ip', B],
      ['activate-ip', B],
      ['deactivate-ip', C],
    ]);
  });

  it('routes replies from a VIP on a secondary ENI out through that ENI, in the table amazon-ec2-net-utils would use', () => {
    const a = node({ id: A, tags: vipTags('1'), state: 'stopped' });
    const b = node({ id: B, tags: vipTags('2') });
    const secondary = { ...b.networkInterfaces[0]!, networkInterfaceId: 'eni-b2', deviceIndex: 1, networkCardIndex: 1, subnetId: 'subnet-b', macAddress: '02:00:00:00:01:02', privateIps: [{ address: '10.0.2.20', primary: true }] };
    const world = snapshot({
      instances: [
        { ...a, networkInterfaces: [...a.networkInterfaces, { ...secondary, networkInterfaceId: 'eni-a2', deviceIndex: 1, networkCardIndex: 0, privateIps: [{ address: '10.0.2.10', primary: true }, { address: '10.0.2.100', primary: false }] }] },
        { ...b, networkInterfaces: [...b.networkInterfaces, secondary] },
      ].map((i) => ({ ...i, tags: { ...i.tags, 'failover:vip': '10.0.2.100' } })),
    });

    const result = withOs(world, {});

    expect(result.actions).toContainEqual({
      type: 'activate-ip',
      instanceId: B,
      macAddress: '02:00:00:00:01:02',
      ip: '10.0.2.100',
      prefixLength: 24,
      sourceRouting: { table: 10_101, gateway: '10.0.2.1', subnetCidr: '10.0.2.0/24' },
    });
  });
});
