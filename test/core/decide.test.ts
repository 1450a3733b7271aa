import { describe, expect, it } from 'vitest';
import { decide, type Intent } from '../../shared/core/decide.js';
import { discover, type Group, type VipGroup } from '../../shared/core/groups.js';
import { assessHealth } from '../../shared/core/health.js';
import type { ElasticIp, Instance, StatusChecks, Verdict, WorldSnapshot } from '../../shared/core/model.js';
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

/** A holds priority 1, B priority 2 and the VIP; the group fails back automatically. */
function autoFailbackPair() {
  const tags = (p: string) => ({ ...vipTags(p), 'failover:failback': 'auto' });
  return snapshot({ instances: [node({ id: A, tags: tags('1') }), node({ id: B, tags: tags('2'), secondary: [VIP] })] });
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
    ]);
  });

  it('takes the VIP down in the OS of an old holder that still runs and was not judged down (a manual failover)', () => {
    const result = plan(vipPair(), { intent: { type: 'failover' } });

    expect(result.actions.map((a) => [a.type, 'instanceId' in a ? a.instanceId : ''])).toEqual([
      ['assign-private-ip', B],
      ['activate-ip', B],
      ['deactivate-ip', A],
    ]);
    expect(result.actions[2]).toEqual({ type: 'deactivate-ip', instanceId: A, macAddress: expect.stringMatching(/^02:/), ip: VIP, prefixLength: 24 });
  });

  it('sends no command to an old holder judged down, where it would only time out (its OS converges once it is seen again)', () => {
    const result = plan(vipPair(), { probes: { [A]: 'unhealthy' } });

    expect(result.moves).toEqual([expect.objectContaining({ from: A, to: B })]);
    expect(result.actions.map((a) => a.type)).toEqual(['assign-private-ip', 'activate-ip']);
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

  it('moves away from a holder judged unhealthy to a healthy member even during the cooldown', () => {
    const result = plan(vipPair({ holder: 'B', status: { [B]: 'impaired' } }), { now: 100_000, lastMoveAt: 70_000 });
    expect(result.moves).toEqual([expect.objectContaining({ from: B, to: A })]);
    expect(result.reason).toContain('cooldown');
  });

  it('refuses, moving nothing, when a holder judged unhealthy in the cooldown has no healthy member to go to', () => {
    const result = plan(vipPair({ holder: 'B', status: { [A]: 'impaired', [B]: 'impaired' } }), { now: 100_000, lastMoveAt: 70_000 });
    expect(result).toMatchObject({ outcome: 'refused', moves: [], actions: [] });
    expect(result.reason).toContain('no other member is healthy');
  });

  // A NAT on a lossy link was judged healthy, failed back to, judged unhealthy 4 s later, and kept
  // for the whole cooldown while the other member was healthy.
  it('one-holder: leaves a holder judged unhealthy within the cooldown when another member is healthy', () => {
    const result = plan(vipPair(), { probes: { [A]: 'unhealthy', [B]: 'healthy' }, now: 1_000_000, lastMoveAt: 1_000_000 - 10_000 });
    expect(result.moves).toEqual([expect.objectContaining({ from: A, to: B })]);
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

  it.each<{ name: string; world: WorldSnapshot; intent?: Intent; probes?: Record<string, Verdict>; now?: number; lastMoveAt?: number; reason: RegExp }>([
    { name: 'the holder is healthy', world: vipPair(), reason: new RegExp(`^${A} is healthy$`) },
    { name: "the holder's health is unknown", world: vipPair(), probes: { [A]: 'unknown' }, reason: /health unknown \(health probes inconclusive\); not moving on missing evidence/ },
    { name: 'a forced target already holds it', world: vipPair(), intent: { type: 'failover', to: A }, reason: new RegExp(`^already on ${A}$`) },
    { name: 'a manual failover names a node that does not hold it', world: vipPair(), intent: { type: 'failover', from: B }, reason: new RegExp(`^not on ${B}$`) },
    { name: 'an evacuated node does not hold it', world: vipPair(), intent: { type: 'evacuate', instanceId: B }, reason: new RegExp(`^does not use ${B}$`) },
    { name: 'a due failback waits for the cooldown', world: autoFailbackPair(), now: 120_000, lastMoveAt: 100_000, reason: /waits for the cooldown/ },
  ])('keeps the VIP where it is, and says why, when $name', ({ world, intent, probes, now, lastMoveAt, reason }) => {
    const result = plan(world, { ...(intent ? { intent } : {}), ...(probes ? { probes } : {}), ...(now === undefined ? {} : { now }), ...(lastMoveAt === undefined ? {} : { lastMoveAt }) });

    expect(result).toMatchObject({ outcome: 'none', moves: [], actions: [] });
    expect(result.reason).toMatch(reason);
  });

  it("does not fail back while the holder's health is unknown, even when the policy would", () => {
    const result = plan(autoFailbackPair(), { probes: { [B]: 'unknown' }, now: 200_000, lastMoveAt: 100_000 });

    expect(result.outcome).toBe('none');
    expect(result.reason).toContain('health unknown');
  });

  it('ends the cooldown exactly one cooldown after the last move', () => {
    const result = plan(autoFailbackPair(), { now: 160_000, lastMoveAt: 100_000 });

    expect(result.moves).toEqual([expect.objectContaining({ from: B, to: A })]);
  });

  it('names each other member and why it cannot take over when it refuses', () => {
    const world = snapshot({
      instances: [
        node({ id: A, tags: vipTags('1'), secondary: [VIP] }),
        node({ id: B, tags: vipTags('2') }),
        node({ id: C, tags: vipTags('3'), state: 'stopped' }),
      ],
      status: { [A]: 'impaired' },
    });

    const result = plan(world, { probes: { [B]: 'unhealthy' } });

    expect(result.outcome).toBe('refused');
    expect(result.reason).toContain(`no other member is healthy (${B}: health probes failed; ${C}: instance is stopped)`);
  });

  it('treats a member missing from the health map as not observed: never moved away from, never moved to', () => {
    const group = only(vipPair());
    const unseen = (intent: Intent) => decide({ group, health: {}, intent, now: 1_000_000 });

    expect(unseen({ type: 'reconcile' })).toMatchObject({ outcome: 'none', reason: expect.stringContaining(`${A} health unknown (not observed)`) });
    expect(unseen({ type: 'failover', to: B })).toMatchObject({ outcome: 'refused', reason: `${B} is not healthy (not observed)` });
    expect(unseen({ type: 'failover' })).toMatchObject({ outcome: 'refused', reason: expect.stringContaining(`(${B}: not observed)`) });
  });

  it('claims a VIP nobody holds for the best healthy member on a manual failover', () => {
    const result = plan(vipPair({ holder: 'none' }), { intent: { type: 'failover' } });

    expect(result.moves).toEqual([{ scope: VIP, to: A, reason: 'manual failover' }]);
  });

  it('refuses a failback when no member is healthy', () => {
    const result = plan(vipPair({ holder: 'B', status: { [A]: 'impaired', [B]: 'impaired' } }), { intent: { type: 'failback' } });

    expect(result).toMatchObject({ outcome: 'refused', moves: [], actions: [] });
  });

  it('leaves the VIP on a healthy holder as preferred as the best node on a failback request (tie rule)', () => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags('1') }), node({ id: B, tags: vipTags('1'), secondary: [VIP] })] });

    const result = plan(world, { intent: { type: 'failback' } });

    expect(result).toMatchObject({ outcome: 'none', reason: `${B} is as preferred as ${A}` });
  });

  it('moves a failback request off an unhealthy holder, even a preferred one, to the best healthy node', () => {
    const result = plan(vipPair({ status: { [A]: 'impaired' } }), { intent: { type: 'failback' } });

    expect(result.moves).toEqual([{ scope: VIP, from: A, to: B, reason: `manual failback to ${B}` }]);
  });

  it('brings the VIP up as a /32 when the subnet prefix cannot be read', () => {
    const group = only(vipPair({ aState: 'stopped' })) as VipGroup;
    const unreadable = { ...group, subnet: { ...group.subnet, cidrBlock: 'unknown' } };

    const result = decide({ group: unreadable, health: assessHealth(vipPair({ aState: 'stopped' })), intent: { type: 'reconcile' }, now: 0 });

    expect(result.actions).toContainEqual(expect.objectContaining({ type: 'activate-ip', instanceId: B, prefixLength: 32 }));
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
  const tags = (p: string) => ({ 'failover:group': 'edge', 'failover:kind': 'eip', 'failover:eip': 'eipalloc-00000000000000001', 'failover:priority': p });
  const world = (aState: 'running' | 'stopped') =>
    snapshot({
      instances: [node({ id: A, tags: tags('1'), state: aState }), node({ id: B, az: 'b', tags: tags('2') })],
      addresses: [{ allocationId: 'eipalloc-00000000000000001', publicIp: '198.51.100.7', tags: { 'failover:group': 'edge' }, association: { associationId: 'eipassoc-1', networkInterfaceId: eniOf(A), instanceId: A, privateIp: '10.0.1.11' } }],
    });

  it('re-associates the Elastic IP with the standby ENI and its primary private IP', () => {
    const result = plan(world('stopped'));
    expect(result.actions).toEqual([
      { type: 'associate-address', allocationId: 'eipalloc-00000000000000001', target: { kind: 'eni-private-ip', networkInterfaceId: eniOf(B), instanceId: B, privateIp: node({ id: B, az: 'b' }).privateIp } },
    ]);
  });

  it.each([
    { name: "the ENI's primary address, even when the instance record has none", standby: (b: Instance) => ({ ...b, privateIp: '' }), address: '10.0.2.53' },
    {
      name: "the instance's private IP when the ENI lists no primary address",
      standby: (b: Instance) => ({ ...b, networkInterfaces: b.networkInterfaces.map((eni) => ({ ...eni, privateIps: [{ address: '10.0.2.200', primary: false }] })) }),
      address: '10.0.2.53',
    },
  ])('associates the Elastic IP with $name', ({ standby, address }) => {
    const b = standby(node({ id: B, az: 'b', tags: tags('2') }));
    const result = plan(snapshot({ instances: [node({ id: A, tags: tags('1'), state: 'stopped' }), b], addresses: world('stopped').addresses as ElasticIp[] }));

    expect(result.actions).toEqual([{ type: 'associate-address', allocationId: 'eipalloc-00000000000000001', target: { kind: 'eni-private-ip', networkInterfaceId: eniOf(B), instanceId: B, privateIp: address } }]);
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
      { type: 'replace-route', routeTableId: 'rtb-a', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
      { type: 'replace-route', routeTableId: 'rtb-any', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
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
      { type: 'create-route', routeTableId: 'rtb-b', destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
    ]);
  });

  it('changes nothing when every NAT is down (no thrashing)', () => {
    const world = snapshot({ instances: nats({ aState: 'stopped' }), routeTables: tables(A, 'blackhole'), status: { [B]: 'impaired' } });
    const result = plan(world);
    expect(result).toMatchObject({ outcome: 'refused', actions: [] });
  });

  it('moves a table off a blackhole route at once, even when its NAT still looks healthy and the group is in its cooldown', () => {
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route('0.0.0.0/0', A, 'blackhole')]), table('rtb-b', { NATAZ: 'eu-west-1b' }, [route('0.0.0.0/0', B)])];

    const result = plan(snapshot({ instances: nats(), routeTables }), { now: 100_000, lastMoveAt: 90_000 });

    expect(result.moves).toEqual([{ scope: 'rtb-a', from: A, to: B, reason: `${A} is a blackhole` }]);
  });

  it('takes over a tagged table whose route points outside the group, and says so per table', () => {
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route('0.0.0.0/0', { other: 'nat-0123456789abcdef0' })]), table('rtb-b', { NATAZ: 'eu-west-1b' }, [route('0.0.0.0/0', B)])];

    const result = plan(snapshot({ instances: nats(), routeTables }));

    expect(result.moves).toEqual([{ scope: 'rtb-a', to: A, reason: 'points at no healthy member' }]);
    expect(result.reason).toBe(`rtb-a: points at no healthy member; rtb-b: ${B} is healthy`);
  });

  it('refuses a manual failover without from or to, with nothing to apply', () => {
    const result = plan(snapshot({ instances: nats(), routeTables: tables(A) }), { intent: { type: 'failover' } });

    expect(result).toEqual({ group: 'nat', kind: 'nat', outcome: 'refused', reason: "a nat group needs 'from' or 'to' for a manual failover", moves: [], repairs: [], actions: [] });
  });

  it("moves each AZ's table, on a failback request, to its own AZ's preferred NAT", () => {
    const tagged = (priority: string) => ({ ...natTags, 'failover:priority': priority });
    const instances = [
      node({ id: A, az: 'a', tags: tagged('1'), sourceDestCheck: false }),
      node({ id: B, az: 'b', tags: tagged('1'), sourceDestCheck: false }),
      node({ id: C, az: 'a', tags: tagged('2'), sourceDestCheck: false }),
    ];
    const routeTables = [table('rtb-a', { NATAZ: 'eu-west-1a' }, [route('0.0.0.0/0', C)]), table('rtb-b', { NATAZ: 'eu-west-1b' }, [route('0.0.0.0/0', A)])];

    const result = plan(snapshot({ instances, routeTables }), { intent: { type: 'failback' } });

    expect(result.moves.map((m) => [m.scope, m.from, m.to])).toEqual([
      ['rtb-a', C, A],
      ['rtb-b', A, B],
    ]);
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
    expect(plan(world).actions.map((a) => ('routeTableId' in a ? [a.type, a.routeTableId, (a.target.kind === 'nat-gateway' ? a.target.natGatewayId : a.target.networkInterfaceId)] : []))).toEqual([
      ['replace-route', 'rtb-1', eniOf(B)],
      ['replace-route', 'rtb-2', eniOf(B)],
    ]);
  });

  it('says for each table why it moves when the holder dies', () => {
    const world = snapshot({
      instances: instances('stopped'),
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A, 'blackhole')]), table('rtb-2', ov, [route('192.168.100.1/32', A, 'blackhole')])],
    });

    expect(plan(world).moves).toEqual([
      { scope: 'rtb-1', from: A, to: B, reason: 'points at no healthy member' },
      { scope: 'rtb-2', from: A, to: B, reason: 'points at no healthy member' },
    ]);
  });

  it('turns the source/dest check of the new holder off before routing to it', () => {
    const world = snapshot({
      instances: [node({ id: A, tags: tags('1'), state: 'stopped', sourceDestCheck: false }), node({ id: B, az: 'b', tags: tags('2') })],
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A, 'blackhole')])],
    });

    expect(plan(world).actions).toEqual([
      { type: 'disable-source-dest-check', networkInterfaceId: eniOf(B), instanceId: B },
      { type: 'replace-route', routeTableId: 'rtb-1', destination: { kind: 'ipv4', value: '192.168.100.1/32' }, target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
    ]);
  });

  it('leaves tables that all point at a healthy holder alone, with nothing to apply', () => {
    const world = snapshot({
      instances: [node({ id: A, tags: tags('1') }), node({ id: B, az: 'b', tags: tags('2') })],
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A)]), table('rtb-2', ov, [route('192.168.100.1/32', A)])],
    });

    expect(plan(world)).toMatchObject({ outcome: 'none', reason: `${A} is healthy`, moves: [], actions: [] });
  });

  it('repoints a table that disagrees with the others at the group holder', () => {
    const world = snapshot({
      instances: instances(),
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A)]), table('rtb-2', ov, [route('192.168.100.1/32', A)]), table('rtb-3', ov, [route('192.168.100.1/32', B)])],
    });

    expect(plan(world).moves).toEqual([{ scope: 'rtb-3', from: B, to: A, reason: `repair 1 of 3 tables that do not point at ${A}` }]);
  });

  it('does not repair split tables onto a holder that is itself unhealthy when nobody else is healthy', () => {
    const world = snapshot({
      instances: [node({ id: A, tags: tags('1'), sourceDestCheck: false }), node({ id: B, az: 'b', tags: tags('2'), state: 'stopped' })],
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A)]), table('rtb-2', ov, [route('192.168.100.1/32', A)]), table('rtb-3', ov, [])],
      status: { [A]: 'impaired' },
    });

    expect(plan(world)).toMatchObject({ outcome: 'refused', moves: [], actions: [], reason: expect.stringContaining('no other member is healthy') });
  });

  // A move cut short by EC2 throttling leaves one table on each member; in the cooldown that move
  // started, a tie broken by priority alone made the failed member the holder, and the repair
  // pointed the moved table back at it.
  it('never-worse: a split overlay group in its cooldown is never repaired towards the member judged unhealthy', () => {
    const world = snapshot({
      instances: instances(),
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A)]), table('rtb-2', ov, [route('192.168.100.1/32', B)])],
    });

    const result = plan(world, { probes: { [A]: 'unhealthy', [B]: 'healthy' }, now: 1_000_000, lastMoveAt: 1_000_000 - 13_000 });

    expect(result.actions.filter((a) => 'target' in a && 'instanceId' in a.target && a.target.instanceId === A)).toEqual([]);
    expect(result.moves).toEqual([expect.objectContaining({ scope: 'rtb-1', from: A, to: B })]);
  });

  it('never-worse: a split overlay group is not repaired towards a member judged unhealthy that holds most of it, when the move away is not allowed', () => {
    const C3 = node({ id: C, az: 'b', tags: tags('3'), sourceDestCheck: false });
    const world = snapshot({
      instances: [...instances(), C3],
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', A)]), table('rtb-2', ov, [route('192.168.100.1/32', A)]), table('rtb-3', ov, [route('192.168.100.1/32', B)])],
    });

    // An evacuation of a member that holds none of it keeps the group where it is: no repair onto A.
    const result = plan(world, { intent: { type: 'evacuate', instanceId: C }, probes: { [A]: 'unhealthy', [B]: 'healthy' } });

    expect(result.actions).toEqual([]);
  });

  it('converges tables left split by a partial failure onto the healthy holder', () => {
    const world = snapshot({
      instances: instances(),
      routeTables: [table('rtb-1', ov, [route('192.168.100.1/32', B)]), table('rtb-2', ov, [route('192.168.100.1/32', B)]), table('rtb-3', ov, [])],
    });
    const result = plan(world);
    expect(result.outcome).toBe('change');
    expect(result.actions).toEqual([
      { type: 'create-route', routeTableId: 'rtb-3', destination: { kind: 'ipv4', value: '192.168.100.1/32' }, target: { kind: 'eni', networkInterfaceId: eniOf(B), instanceId: B } },
    ]);
  });
});

describe('discover', () => {
  it.each([
    [{ 'failover:kind': 'vip', 'failover:vip': '10.0.9.9' }, 'has no network interface in a subnet that contains VIP 10.0.9.9'],
    [{ 'failover:kind': 'vip', 'failover:vip': '10.0.1.300' }, "tag failover:vip must be an IPv4 address, got '10.0.1.300'"],
    [{ 'failover:kind': 'floating' }, "tag failover:kind must be one of vip, eip, nat, overlay, got 'floating'"],
    [{}, 'tag failover:kind is missing or empty'],
    [{ 'failover:kind': 'eip', 'failover:eip': 'eipalloc-00000000000000404' }, 'Elastic IP eipalloc-00000000000000404 not found in this region'],
    [{ 'failover:kind': 'eip', 'failover:eip': 'eipalloc-404' }, "tag failover:eip must be an allocation ID (eipalloc- and 8 or 17 hex digits), got 'eipalloc-404'"],
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
