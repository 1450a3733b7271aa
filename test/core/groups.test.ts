/**
 * Discovery from tags: what makes an instance a member, how tag values are read, and every way a
 * group is refused. A refused group is reported with its problems and never planned for.
 */
import { describe, expect, it } from 'vitest';
import { type Group, discover } from '../../shared/core/groups.js';
import type { Instance, WorldSnapshot } from '../../shared/core/model.js';
import { DEFAULTS, eniOf, node, route, secondEniOf, snapshot, table, withSecondEni } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const C = 'i-0000000000000003c';
const VIP = '10.0.1.100';

const vipTags = (extra: Record<string, string> = {}) => ({ 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': VIP, ...extra });
const natTags = (extra: Record<string, string> = {}) => ({ 'failover:group': 'nat', 'failover:kind': 'nat', ...extra });

/** The one group discovered in `world`; fails if it was refused. */
function only(world: WorldSnapshot): Group {
  const { groups, misconfigured } = discover(world, DEFAULTS);
  expect(misconfigured).toEqual([]);
  expect(groups).toHaveLength(1);
  return groups[0]!;
}

/** The problems of the one refused group in `world`; fails if it was accepted. */
function problems(world: WorldSnapshot): readonly string[] {
  const { groups, misconfigured } = discover(world, DEFAULTS);
  expect(groups).toEqual([]);
  expect(misconfigured).toHaveLength(1);
  return misconfigured[0]!.problems;
}

const noEnis = (instance: Instance): Instance => ({ ...instance, networkInterfaces: [] });

describe('discover: tag values', () => {
  it.each<[string, number]>([
    ['7', 7],
    [' 12 ', 12],
    ['0', 0],
    ['123456', 123_456],
  ])('reads priority %j as %d', (raw, priority) => {
    const group = only(snapshot({ instances: [node({ id: A, tags: natTags({ 'failover:priority': raw }) })] }));

    expect(group.members[0]?.priority).toBe(priority);
  });

  it.each(['1234567', 'x5', '5x', '-1', '1.5', ''])('refuses priority %j', (raw) => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: natTags({ 'failover:priority': raw }) })] }))).toEqual([
      `${A}: tag failover:priority must be a non-negative integer, got '${raw}'`,
    ]);
  });

  it.each<[string | undefined, number[]]>([
    [undefined, []],
    ['8080', [8080]],
    ['22, 443', [22, 443]],
    ['1,65535', [1, 65_535]],
  ])('reads ports %j as %j', (raw, ports) => {
    const tags = natTags(raw === undefined ? {} : { 'failover:ports': raw });

    const group = only(snapshot({ instances: [node({ id: A, tags })] }));

    expect(group.members[0]?.ports).toEqual(ports);
  });

  it.each(['80,http', '1e2', '80,1e2', '80.0', '+80', '0x50', '0', '443,70000', '22,', ''])('refuses ports %j', (raw) => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: natTags({ 'failover:ports': raw }) })] }))).toEqual([
      `tag failover:ports must be comma-separated TCP ports, got '${raw}'`,
    ]);
  });

  it('takes up to 20 ports, the sensor\'s limit per target, and refuses 21 naming the tag and the limit', () => {
    const ports = (n: number) => Array.from({ length: n }, (_, k) => 8000 + k).join(',');

    expect(only(snapshot({ instances: [node({ id: A, tags: natTags({ 'failover:ports': ports(20) }) })] })).members[0]?.ports).toHaveLength(20);
    expect(problems(snapshot({ instances: [node({ id: A, tags: natTags({ 'failover:ports': ports(21) }) })] }))).toEqual([
      "tag failover:ports lists 21 ports; at most 20 (the sensor's limit per target)",
    ]);
  });

  it.each<[Record<string, string>, { failback: string; cooldownMs: number; remediate: string }]>([
    [{}, { failback: 'manual', cooldownMs: 60_000, remediate: 'off' }],
    [{ 'failover:failback': 'auto', 'failover:cooldown': '90' }, { failback: 'auto', cooldownMs: 90_000, remediate: 'off' }],
    [{ 'failover:failback': 'manual', 'failover:cooldown': '0' }, { failback: 'manual', cooldownMs: 0, remediate: 'off' }],
    [{ 'failover:cooldown': '86400' }, { failback: 'manual', cooldownMs: 86_400_000, remediate: 'off' }],
    [{ 'failover:remediate': 'reboot' }, { failback: 'manual', cooldownMs: 60_000, remediate: 'reboot' }],
    [{ 'failover:remediate': ' stop-start ' }, { failback: 'manual', cooldownMs: 60_000, remediate: 'stop-start' }],
    [{ 'failover:remediate': 'replace' }, { failback: 'manual', cooldownMs: 60_000, remediate: 'replace' }],
  ])('reads the policy from %j as %j', (tags, policy) => {
    const group = only(snapshot({ instances: [node({ id: A, tags: vipTags(tags), secondary: [VIP] })] }));

    expect(group.policy).toEqual(policy);
  });

  it.each(['soon', '90s', 'x90', '1234567', '-5', 'abc', ''])('refuses cooldown %j', (raw) => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: vipTags({ 'failover:cooldown': raw }) })] }))).toEqual([
      `tag failover:cooldown must be a number of seconds, got '${raw}'`,
    ]);
  });

  it.each(['86401', '99999', '123456'])('refuses cooldown %j, longer than a day', (raw) => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: vipTags({ 'failover:cooldown': raw }) })] }))).toEqual([
      `tag failover:cooldown must be at most 86400 seconds, got '${raw}'`,
    ]);
  });

  it.each(['yes', 'restart', 'Reboot'])('refuses remediation %j, naming the values it takes', (raw) => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: vipTags({ 'failover:remediate': raw }) })] }))).toEqual([
      `tag failover:remediate must be one of off, reboot, stop-start, replace, got '${raw}'`,
    ]);
  });

  it.each([
    ['failover:cooldown', '90'],
    ['failover:failback', 'auto'],
    ['failover:remediate', 'stop-start'],
    ['failover:ports', '443'],
  ])('refuses a group where only some members carry policy tag %s, naming who has it and who lacks it', (key, value) => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags() }), node({ id: B, tags: vipTags({ [key]: value }) }), node({ id: C, tags: vipTags() })] });

    expect(problems(world)).toEqual([`tag ${key} is on ${B} but not on ${A}, ${C}: a policy tag must carry the same value on every member`]);
  });

  it('takes a policy tag that every member carries with the same value', () => {
    const tags = { 'failover:cooldown': '90', 'failover:failback': 'auto', 'failover:remediate': 'reboot', 'failover:ports': '443,8443' };
    const world = snapshot({ instances: [node({ id: A, tags: vipTags(tags), secondary: [VIP] }), node({ id: B, tags: vipTags(tags) })] });

    const group = only(world);

    expect(group.policy).toEqual({ failback: 'auto', cooldownMs: 90_000, remediate: 'reboot' });
    expect(group.members.map((m) => m.ports)).toEqual([[443, 8443], [443, 8443]]);
  });

  it('names the values members disagree on in sorted order', () => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags({ 'failover:cooldown': '90' }) }), node({ id: B, tags: vipTags({ 'failover:cooldown': '30' }) })] });

    expect(problems(world)).toEqual(['members disagree on tag failover:cooldown: 30, 90']);
  });

  it('reads tag values without the whitespace around them', () => {
    const tags = { 'failover:group': ' web ', 'failover:kind': ' vip ', 'failover:vip': ` ${VIP} ` };

    const group = only(snapshot({ instances: [node({ id: A, tags, secondary: [VIP] })] }));

    expect(group).toMatchObject({ name: 'web', kind: 'vip', vip: VIP });
  });

  it('reports a blank kind as missing, and nothing else', () => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: { 'failover:group': 'web', 'failover:kind': '  ' } })] }))).toEqual(['tag failover:kind is missing or empty']);
  });
});

describe('discover: membership', () => {
  it('leaves out instances without a group tag', () => {
    const world = snapshot({ instances: [node({ id: C, tags: { Name: 'bastion' } }), node({ id: A, tags: vipTags(), secondary: [VIP] })] });

    expect(only(world).members.map((m) => m.instance.instanceId)).toEqual([A]);
  });

  it('drops a terminated member that has lost its network interfaces', () => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags(), secondary: [VIP] }), noEnis(node({ id: B, tags: vipTags(), state: 'terminated' }))] });

    expect(only(world).members.map((m) => m.instance.instanceId)).toEqual([A]);
  });

  it('keeps a terminated member that still has its network interface', () => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags(), secondary: [VIP] }), node({ id: B, tags: vipTags(), state: 'terminated' })] });

    expect(only(world).members.map((m) => m.instance.instanceId)).toEqual([A, B]);
  });

  it('reports a live member without a network interface', () => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags() }), noEnis(node({ id: B, tags: natTags(), state: 'stopped' }))] });

    expect(problems(world)).toEqual([`${B}: has no network interface`]);
  });

  it.each<[string, string]>([
    ['', '(empty)'],
    ['web app', 'web app'],
    ['w'.repeat(65), 'w'.repeat(65)],
    ['web/1', 'web/1'],
  ])('refuses group name %j on its own, naming the instance', (raw, name) => {
    const world = snapshot({ instances: [node({ id: A, tags: { ...vipTags(), 'failover:group': raw } }), node({ id: B, tags: vipTags({ 'failover:group': 'ok' }), secondary: [VIP] })] });

    const { groups, misconfigured } = discover(world, DEFAULTS);

    expect(groups.map((g) => g.name)).toEqual(['ok']);
    expect(misconfigured).toEqual([
      { name, instanceIds: [A], problems: [`${A}: tag failover:group must be 1 to 64 of A-Z a-z 0-9 _ . : -, got '${raw}'`] },
    ]);
  });

  it('lists groups by name, whatever order the instances came in', () => {
    const world = snapshot({
      instances: [
        node({ id: A, tags: vipTags({ 'failover:group': 'zeta' }), secondary: [VIP] }),
        node({ id: B, tags: vipTags({ 'failover:group': 'alpha', 'failover:vip': '10.0.1.101' }), secondary: ['10.0.1.101'] }),
      ],
    });

    expect(discover(world, DEFAULTS).groups.map((g) => g.name)).toEqual(['alpha', 'zeta']);
  });

  it('lists the instances of a refused group in sorted order', () => {
    const tags = { 'failover:group': 'web', 'failover:kind': 'floating' };
    const world = snapshot({ instances: [node({ id: C, tags }), node({ id: A, tags }), node({ id: B, tags })] });

    expect(discover(world, DEFAULTS).misconfigured.map((g) => g.instanceIds)).toEqual([[A, B, C]]);
  });

  it('refuses members spread over more than one VPC', () => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags(), vpcId: 'vpc-2' }), node({ id: B, tags: natTags(), vpcId: 'vpc-1' })] });

    expect(problems(world)).toEqual(['members are in more than one VPC: vpc-1, vpc-2']);
  });

  it('refuses a group in a VPC outside the deployment\'s vpcIds, naming the VPC', () => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags(), vpcId: 'vpc-2' }), node({ id: B, tags: natTags(), vpcId: 'vpc-2' })] });

    const { groups, misconfigured } = discover(world, { ...DEFAULTS, vpcIds: ['vpc-1', 'vpc-3'] });

    expect(groups).toEqual([]);
    expect(misconfigured.map((g) => g.problems)).toEqual([["vpc-2 is not in this deployment's vpcIds param: its IAM policy may not change it"]]);
  });

  it('keeps a group whose VPC is one of the deployment\'s vpcIds', () => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags(), vpcId: 'vpc-3' }), node({ id: B, tags: natTags(), vpcId: 'vpc-3' })] });

    const { groups, misconfigured } = discover(world, { ...DEFAULTS, vpcIds: ['vpc-1', 'vpc-3'] });

    expect(misconfigured).toEqual([]);
    expect(groups.map((g) => g.name)).toHaveLength(1);
  });

  it.each<[string, Record<string, string>, Partial<Parameters<typeof snapshot>[0]>]>([
    ['vip', vipTags(), {}],
    ['eip', { 'failover:group': 'edge', 'failover:kind': 'eip', 'failover:eip': 'eipalloc-00000000000000001' }, { addresses: [{ allocationId: 'eipalloc-00000000000000001', publicIp: '198.51.100.7', tags: { 'failover:group': 'edge' } }] }],
    ['nat', natTags(), {}],
    ['overlay', { 'failover:group': 'db', 'failover:kind': 'overlay', 'failover:overlay-ip': '192.168.100.1' }, { routeTables: [table('rtb-1', { 'failover:overlay': 'db' }, [])] }],
  ])('refuses a %s group over one member with a bad priority', (_kind, tags, parts) => {
    const world = snapshot({ instances: [node({ id: A, tags, secondary: [VIP] }), node({ id: B, tags: { ...tags, 'failover:priority': 'first' } })], ...parts });

    expect(problems(world)).toEqual([`${B}: tag failover:priority must be a non-negative integer, got 'first'`]);
  });
});

describe('discover: vip groups', () => {
  it('reports a missing VIP tag, and nothing else', () => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: { 'failover:group': 'web', 'failover:kind': 'vip' } })] }))).toEqual(['tag failover:vip is missing or empty']);
  });

  it.each(['10.0.1.300', 'web.example.com'])('refuses VIP %j, and nothing else', (vip) => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: vipTags({ 'failover:vip': vip }) })] }))).toEqual([`tag failover:vip must be an IPv4 address, got '${vip}'`]);
  });

  it('takes the subnet that contains the VIP', () => {
    const world = snapshot({ instances: [node({ id: A, az: 'b', tags: vipTags({ 'failover:vip': '10.0.2.100' }) })] });

    expect(only(world)).toMatchObject({ kind: 'vip', subnet: { subnetId: 'subnet-b', cidrBlock: '10.0.2.0/24' } });
  });

  it('uses the ENI in the VIP subnet of a member with several', () => {
    const world = snapshot({ instances: [withSecondEni(node({ id: A, tags: vipTags({ 'failover:vip': '10.0.2.100' }) }), { az: 'b' })] });

    expect(only(world).members[0]?.eni.networkInterfaceId).toBe(secondEniOf(A));
  });

  it('does not count an ENI in a subnet that was not observed', () => {
    const elsewhere = node({ id: B, tags: vipTags() });
    const world = snapshot({ instances: [{ ...elsewhere, networkInterfaces: elsewhere.networkInterfaces.map((eni) => ({ ...eni, subnetId: 'subnet-unseen' })) }] });

    expect(problems(world)).toEqual([`${B}: has no network interface in a subnet that contains VIP ${VIP}`]);
  });
});

describe('discover: eip groups', () => {
  const eipTags = (allocation?: string) => ({ 'failover:group': 'edge', 'failover:kind': 'eip', ...(allocation ? { 'failover:eip': allocation } : {}) });
  const addresses = [
    { allocationId: 'eipalloc-0000000000000000f', publicIp: '198.51.100.8', tags: { 'failover:group': 'other' } },
    { allocationId: 'eipalloc-00000000000000001', publicIp: '198.51.100.7', tags: { 'failover:group': 'edge' } },
  ];

  it('finds its own Elastic IP among the others', () => {
    const group = only(snapshot({ instances: [node({ id: A, tags: eipTags('eipalloc-00000000000000001') })], addresses }));

    expect(group).toMatchObject({ kind: 'eip', allocationId: 'eipalloc-00000000000000001', address: { publicIp: '198.51.100.7' } });
  });

  it('reports a missing allocation tag, and nothing else', () => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: eipTags() })], addresses }))).toEqual(['tag failover:eip is missing or empty']);
  });

  it("associates with a member's primary ENI when it has several", () => {
    const group = only(snapshot({ instances: [withSecondEni(node({ id: A, tags: eipTags('eipalloc-00000000000000001') }))], addresses }));

    expect(group.members[0]?.eni.networkInterfaceId).toBe(eniOf(A));
  });
});

describe('discover: nat groups', () => {
  it('refuses two nat groups in one VPC, each with its members', () => {
    const world = snapshot({
      instances: [
        node({ id: C, tags: natTags({ 'failover:group': 'n1' }) }),
        node({ id: A, tags: natTags({ 'failover:group': 'n1' }) }),
        node({ id: B, tags: natTags({ 'failover:group': 'n2' }) }),
      ],
    });

    const { groups, misconfigured } = discover(world, DEFAULTS);

    expect(groups).toEqual([]);
    expect(misconfigured).toEqual([
      { name: 'n1', kind: 'nat', instanceIds: [A, C], problems: ['more than one nat group in vpc-1: NATAZ route tables cannot tell them apart'] },
      { name: 'n2', kind: 'nat', instanceIds: [B], problems: ['more than one nat group in vpc-1: NATAZ route tables cannot tell them apart'] },
    ]);
  });

  it('accepts one nat group per VPC', () => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags({ 'failover:group': 'n1' }) }), node({ id: B, tags: natTags({ 'failover:group': 'n2' }), vpcId: 'vpc-2' })] });

    expect(discover(world, DEFAULTS)).toMatchObject({ groups: [{ name: 'n1' }, { name: 'n2' }], misconfigured: [] });
  });

  it('accepts a nat group beside groups of other kinds in its VPC', () => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags() }), node({ id: B, tags: vipTags(), secondary: [VIP] })] });

    expect(discover(world, DEFAULTS)).toMatchObject({ groups: [{ name: 'nat' }, { name: 'web' }], misconfigured: [] });
  });

  it("takes the NATAZ tables of its own VPC only, with the AZ as tagged", () => {
    const world = snapshot({
      instances: [node({ id: A, tags: natTags() })],
      routeTables: [
        table('rtb-1', { NATAZ: ' eu-west-1a ' }, []),
        table('rtb-2', { Name: 'private' }, []),
        table('rtb-3', { NATAZ: 'any' }, [], 'vpc-2'),
        table('rtb-4', { NATAZ: 'any' }, []),
      ],
    });

    const group = only(world);

    expect(group.kind === 'nat' && group.tables.map((t) => [t.table.routeTableId, t.az])).toEqual([
      ['rtb-1', 'eu-west-1a'],
      ['rtb-4', 'any'],
    ]);
  });

  it('refuses an empty NATAZ tag', () => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags() })], routeTables: [table('rtb-1', { NATAZ: ' ' }, [])] });

    expect(problems(world)).toEqual(["rtb-1: tag NATAZ must be 'any' or an Availability Zone name (such as us-east-1a), got ''"]);
  });

  it.each([
    ['us-east-1a;x', undefined],
    ['us-east-1a;x', 'us-east-1'],
    ['eu-west-1a', 'us-east-1'],
    ['Any', 'eu-west-1'],
  ])('refuses NATAZ %j (Region %s), naming the table, and never rewrites it', (value, region) => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags() })], routeTables: [table('rtb-1', { NATAZ: value }, [route('0.0.0.0/0', A)])] });

    const { groups, misconfigured } = discover(world, { ...DEFAULTS, ...(region ? { region } : {}) });

    expect(groups).toEqual([]);
    expect(misconfigured[0]?.problems).toEqual([expect.stringMatching(new RegExp(`^rtb-1: tag NATAZ must be 'any' or an Availability Zone .*got '${value.replace(/[;]/g, '.')}'$`))]);
  });

  it('takes a Local Zone of the Region as a NATAZ value', () => {
    const world = snapshot({ instances: [node({ id: A, tags: natTags() })], routeTables: [table('rtb-1', { NATAZ: 'eu-west-1-lax-1a' }, [])] });

    const { groups } = discover(world, { ...DEFAULTS, region: 'eu-west-1' });

    expect(groups).toHaveLength(1);
  });

  it("routes to a NAT's primary ENI when it has several", () => {
    const group = only(snapshot({ instances: [withSecondEni(node({ id: A, tags: natTags() }))] }));

    expect(group.members[0]?.eni.networkInterfaceId).toBe(eniOf(A));
  });
});

describe('discover: overlay groups', () => {
  const overlayTags = (ip?: string) => ({ 'failover:group': 'db', 'failover:kind': 'overlay', ...(ip === undefined ? {} : { 'failover:overlay-ip': ip }) });
  const tagged = [table('rtb-1', { 'failover:overlay': 'db' }, [route('192.168.100.1/32', A)])];

  it('reports a missing overlay address, and nothing else', () => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: overlayTags() })], routeTables: tagged }))).toEqual(['tag failover:overlay-ip is missing or empty']);
  });

  it.each(['not-an-ip', '192.168.100.0/24', '192.168.100.300'])('refuses overlay address %j', (ip) => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: overlayTags(ip) })], routeTables: tagged }))).toEqual([`tag failover:overlay-ip must be an IPv4 /32, got '${ip}'`]);
  });

  it('takes the tables tagged with its own name only', () => {
    const world = snapshot({
      instances: [node({ id: A, tags: overlayTags('192.168.100.1') })],
      routeTables: [
        table('rtb-1', { 'failover:overlay': ' db ' }, []),
        table('rtb-2', { 'failover:overlay': 'cache' }, []),
        table('rtb-3', { NATAZ: 'any' }, []),
        table('rtb-4', { 'failover:overlay': 'db' }, []),
      ],
    });

    const group = only(world);

    expect(group).toMatchObject({ kind: 'overlay', cidr: '192.168.100.1/32' });
    expect(group.kind === 'overlay' && group.tables.map((t) => t.routeTableId)).toEqual(['rtb-1', 'rtb-4']);
  });

  it("refuses tagged tables outside the members' VPC", () => {
    const world = snapshot({
      instances: [node({ id: A, tags: overlayTags('192.168.100.1') })],
      routeTables: [...tagged, table('rtb-8', { 'failover:overlay': 'db' }, [], 'vpc-2'), table('rtb-9', { 'failover:overlay': 'db' }, [], 'vpc-2')],
    });

    expect(problems(world)).toEqual(["route tables outside the members' VPC: rtb-8, rtb-9"]);
  });

  it('refuses a group no route table is tagged for', () => {
    expect(problems(snapshot({ instances: [node({ id: A, tags: overlayTags('192.168.100.1') })] }))).toEqual(['no route table is tagged failover:overlay=db']);
  });

  it("routes to a member's primary ENI when it has several", () => {
    const group = only(snapshot({ instances: [withSecondEni(node({ id: A, tags: overlayTags('192.168.100.1') }))], routeTables: tagged }));

    expect(group.members[0]?.eni.networkInterfaceId).toBe(eniOf(A));
  });
});
