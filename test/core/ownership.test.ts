/**
 * Address ownership in discovery: a tag on an instance is a claim, never an authority. A group is
 * moved only when the address it names is its own: an Elastic IP tagged for it, held by nobody or
 * by a member; a VIP held by nobody or by a member; an address no other group claims.
 */
import { describe, expect, it } from 'vitest';
import { discover } from '../../shared/core/groups.js';
import type { AddressHolder, ElasticIp, Instance, WorldSnapshot } from '../../shared/core/model.js';
import { DEFAULTS, SUBNETS, eip, eniOf, node, outsider, secondEniOf, snapshot, withSecondEni } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const C = 'i-0000000000000003c';
const D = 'i-0000000000000004d';
const VIP = '10.0.1.100';
const ALLOC = 'eipalloc-0a1b2c3d4e5f60718';
const PUBLIC = '198.51.100.7';
const WHICH = `Elastic IP ${ALLOC} (${PUBLIC})`;

const vipTags = (group = 'web') => ({ 'failover:group': group, 'failover:kind': 'vip', 'failover:vip': VIP });
const eipTags = (group = 'edge', allocation = ALLOC) => ({ 'failover:group': group, 'failover:kind': 'eip', 'failover:eip': allocation });

/** Names of the groups kept, and the problems of those refused (with their notify flag). */
function outcome(world: WorldSnapshot) {
  const { groups, misconfigured } = discover(world, DEFAULTS);
  return {
    kept: groups.map((g) => g.name),
    refused: Object.fromEntries(misconfigured.map((g) => [g.name, { problems: g.problems, notify: g.notify ?? false }])),
  };
}

const eipPair = (address: ElasticIp, extra: Instance[] = []) =>
  snapshot({ instances: [node({ id: A, tags: eipTags() }), node({ id: B, az: 'b', tags: eipTags() }), ...extra], addresses: [address] });

describe('ownership: Elastic IPs', () => {
  it.each<[string, ElasticIp]>([
    ['tagged for the group and held by a member', eip(ALLOC, PUBLIC, { group: 'edge', association: { associationId: 'eipassoc-1', networkInterfaceId: eniOf(A), instanceId: A, privateIp: '10.0.1.11' } })],
    ['tagged for the group and held by nobody (a claim)', eip(ALLOC, PUBLIC, { group: 'edge' })],
    ['tagged for the group with spaces around the name', eip(ALLOC, PUBLIC, { tags: { 'failover:group': ' edge ' } })],
    ['held by the instance only', eip(ALLOC, PUBLIC, { group: 'edge', association: { associationId: 'eipassoc-1', instanceId: B } })],
  ])('keeps a group whose Elastic IP is %s', (_name, address) => {
    expect(outcome(eipPair(address))).toEqual({ kept: ['edge'], refused: {} });
  });

  it("keeps a group whose Elastic IP sits on a member's second ENI", () => {
    const address = eip(ALLOC, PUBLIC, { group: 'edge', association: { associationId: 'eipassoc-1', networkInterfaceId: secondEniOf(A), privateIp: '10.0.1.101' } });
    const world = snapshot({ instances: [withSecondEni(node({ id: A, tags: eipTags() })), node({ id: B, az: 'b', tags: eipTags() })], addresses: [address] });

    expect(outcome(world)).toEqual({ kept: ['edge'], refused: {} });
  });

  it.each<[string, ElasticIp, string[]]>([
    [
      'an untagged address',
      eip(ALLOC, PUBLIC),
      [`${WHICH} does not carry the tag failover:group=edge: an Elastic IP is used only by the group its own tag names; if it belongs to edge, tag the address itself failover:group=edge`],
    ],
    [
      'an address with an empty group tag',
      eip(ALLOC, PUBLIC, { tags: { 'failover:group': ' ' } }),
      [`${WHICH} does not carry the tag failover:group=edge: an Elastic IP is used only by the group its own tag names; if it belongs to edge, tag the address itself failover:group=edge`],
    ],
    [
      "another group's address",
      eip(ALLOC, PUBLIC, { group: 'billing' }),
      [`${WHICH} is tagged failover:group=billing, not edge: an Elastic IP is used only by the group its own tag names; fix failover:eip on edge's instances, or the address's failover:group tag if it really belongs to edge`],
    ],
    [
      'an address tagged for the group but held by an instance outside it',
      eip(ALLOC, PUBLIC, { group: 'edge', association: { associationId: 'eipassoc-9', networkInterfaceId: 'eni-0victim', instanceId: 'i-0000000000000099f', privateIp: '10.0.9.9' } }),
      [`${WHICH} is associated with eni-0victim (instance i-0000000000000099f; private IP 10.0.9.9), outside edge: an address held outside the group is never taken; if edge should have it, disassociate it first (association eipassoc-9)`],
    ],
    [
      'an address held by an ENI of no instance (a NAT gateway, a load balancer)',
      eip(ALLOC, PUBLIC, { group: 'edge', association: { associationId: 'eipassoc-9', networkInterfaceId: 'eni-0natgw', privateIp: '10.0.9.9' } }),
      [`${WHICH} is associated with eni-0natgw (private IP 10.0.9.9), outside edge: an address held outside the group is never taken; if edge should have it, disassociate it first (association eipassoc-9)`],
    ],
    [
      'an address associated with an instance outside the group, as EC2 may show it without the ENI',
      eip(ALLOC, PUBLIC, { group: 'edge', association: { associationId: 'eipassoc-9', instanceId: 'i-0000000000000099f' } }),
      [`${WHICH} is associated with i-0000000000000099f, outside edge: an address held outside the group is never taken; if edge should have it, disassociate it first (association eipassoc-9)`],
    ],
    [
      "someone else's untagged address, in use",
      eip(ALLOC, PUBLIC, { association: { associationId: 'eipassoc-9', networkInterfaceId: 'eni-0victim', instanceId: 'i-0000000000000099f', privateIp: '10.0.9.9' } }),
      [
        `${WHICH} does not carry the tag failover:group=edge: an Elastic IP is used only by the group its own tag names; if it belongs to edge, tag the address itself failover:group=edge`,
        `${WHICH} is associated with eni-0victim (instance i-0000000000000099f; private IP 10.0.9.9), outside edge: an address held outside the group is never taken; if edge should have it, disassociate it first (association eipassoc-9)`,
      ],
    ],
  ])('refuses, and tells people about, a group that names %s', (_name, address, problems) => {
    expect(outcome(eipPair(address))).toEqual({ kept: [], refused: { edge: { problems, notify: true } } });
  });

  it('refuses an address held by an enrolled instance of another group', () => {
    const other = node({ id: C, tags: { 'failover:group': 'nat', 'failover:kind': 'nat' } });
    const address = eip(ALLOC, PUBLIC, { group: 'edge', association: { associationId: 'eipassoc-9', networkInterfaceId: eniOf(C), instanceId: C, privateIp: other.privateIp } });

    const { kept, refused } = outcome(eipPair(address, [other]));

    expect(kept).toEqual(['nat']);
    expect(refused['edge']?.problems).toEqual([expect.stringContaining(`is associated with ${eniOf(C)} (instance ${C};`)]);
  });

  it('refuses both groups that name one allocation, each naming the other', () => {
    const world = snapshot({
      instances: [node({ id: A, tags: eipTags('edge') }), node({ id: B, tags: eipTags('edge') }), node({ id: C, tags: eipTags('copy') }), node({ id: D, tags: eipTags('copy') })],
      addresses: [eip(ALLOC, PUBLIC, { group: 'edge' })],
    });

    const { kept, refused } = outcome(world);

    expect(kept).toEqual([]);
    expect(refused['edge']).toEqual({ problems: [`Elastic IP ${ALLOC} is also claimed by group copy: two groups never share an address; give each group its own`], notify: true });
    expect(refused['copy']?.problems).toEqual([
      expect.stringContaining(`is tagged failover:group=edge, not copy`),
      `Elastic IP ${ALLOC} is also claimed by group edge: two groups never share an address; give each group its own`,
    ]);
  });
});

/** The same subnet layout in a second VPC: the same private addresses exist there too. */
const VPC2_SUBNET = { subnetId: 'subnet-2a', vpcId: 'vpc-2', cidrBlock: '10.0.1.0/24', availabilityZone: 'eu-west-1a' };
const inVpc2 = (instance: Instance): Instance => ({
  ...instance,
  vpcId: 'vpc-2',
  subnetId: VPC2_SUBNET.subnetId,
  networkInterfaces: instance.networkInterfaces.map((eni) => ({ ...eni, networkInterfaceId: `${eni.networkInterfaceId}-v2`, subnetId: VPC2_SUBNET.subnetId })),
});

const vipPair = (holders: AddressHolder[], holder: 'A' | 'none' = 'A') =>
  snapshot({ instances: [node({ id: A, tags: vipTags(), secondary: holder === 'A' ? [VIP] : [] }), node({ id: B, tags: vipTags() })], holders });

const heldBy = (what: string) =>
  `VIP ${VIP} is held by ${what}, outside web: an address held outside the group is never taken; if web should have it, unassign it from ${what.split(' ')[0]} first, else give failover:vip an address nobody holds`;

describe('ownership: VIPs', () => {
  it.each<[string, AddressHolder[], 'A' | 'none']>([
    ['held by a member', [], 'A'],
    ['held by nobody (a claim)', [], 'none'],
    ['held by nobody in this VPC, though the same address is in use in another', [outsider('eni-0other', [VIP], { vpcId: 'vpc-2', subnetId: 'subnet-2a' })], 'none'],
    ['held by a member, and another ENI holds other addresses', [outsider('eni-0pod', ['10.0.1.101'])], 'A'],
  ])('keeps a group whose VIP is %s', (_name, holders, holder) => {
    expect(outcome(vipPair(holders, holder))).toEqual({ kept: ['web'], refused: {} });
  });

  it.each<[string, AddressHolder, string]>([
    [
      "an EKS pod's ENI",
      outsider('eni-0pod', [VIP], { instanceId: 'i-0000000000000077e', interfaceType: 'branch', description: 'aws-k8s-branch-eni' }),
      "eni-0pod (instance i-0000000000000077e; interface type branch; 'aws-k8s-branch-eni')",
    ],
    [
      "another cluster's node",
      outsider('eni-0db', [VIP], { instanceId: 'i-0000000000000088e' }),
      'eni-0db (instance i-0000000000000088e; interface type interface)',
    ],
    [
      'an ENI an AWS service manages',
      outsider('eni-0elb', ['10.0.1.201'], { primaryIp: VIP, interfaceType: 'interface', description: 'ELB app/web/50dc6c495c0c9188', requesterManaged: true }),
      "eni-0elb (attached to no instance; interface type interface; 'ELB app/web/50dc6c495c0c9188'; managed by an AWS service; its primary address)",
    ],
  ])('refuses, and tells people about, a group whose VIP is held by %s', (_name, holder, words) => {
    expect(outcome(vipPair([holder], 'none'))).toEqual({ kept: [], refused: { web: { problems: [heldBy(words)], notify: true } } });
  });

  it("keeps a VIP on an ENI of a member that the instance's own listing did not show yet (attached since)", () => {
    const attached = outsider('eni-0new', [VIP], { instanceId: B });

    expect(outcome(vipPair([attached], 'none'))).toEqual({ kept: ['web'], refused: {} });
  });

  it('lists the members of a refused group in instance ID order', () => {
    const world = snapshot({ instances: [node({ id: B, tags: vipTags() }), node({ id: A, tags: vipTags() })], holders: [outsider('eni-0pod', [VIP])] });

    expect(discover(world, DEFAULTS).misconfigured.map((g) => g.instanceIds)).toEqual([[A, B]]);
  });

  it('refuses a VIP held by an outsider even while a member holds it too (an address on two ENIs)', () => {
    expect(outcome(vipPair([outsider('eni-0pod', [VIP])], 'A')).refused['web']?.problems).toEqual([heldBy('eni-0pod (attached to no instance; interface type interface)')]);
  });

  it('refuses a VIP that an enrolled instance of another group holds', () => {
    const world = snapshot({
      instances: [node({ id: A, tags: vipTags() }), node({ id: C, tags: { 'failover:group': 'nat', 'failover:kind': 'nat' }, secondary: [VIP] })],
    });

    const { kept, refused } = outcome(world);

    expect(kept).toEqual(['nat']);
    expect(refused['web']?.problems).toEqual([heldBy(`${eniOf(C)} (instance ${C}; interface type interface)`)]);
  });

  it('refuses both groups that name one VIP in one VPC, each naming the other', () => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags('web') }), node({ id: C, tags: vipTags('copy') })] });

    expect(outcome(world)).toEqual({
      kept: [],
      refused: {
        web: { problems: [`VIP ${VIP} in vpc-1 is also claimed by group copy: two groups never share an address; give each group its own`], notify: true },
        copy: { problems: [`VIP ${VIP} in vpc-1 is also claimed by group web: two groups never share an address; give each group its own`], notify: true },
      },
    });
  });

  it('refuses the copy of a held VIP twice over: held by the other group, and claimed by it', () => {
    const world = snapshot({ instances: [node({ id: A, tags: vipTags('web'), secondary: [VIP] }), node({ id: C, tags: vipTags('copy') })] });

    const { refused } = outcome(world);

    expect(refused['copy']?.problems).toEqual([
      `VIP ${VIP} is held by ${eniOf(A)} (instance ${A}; interface type interface), outside copy: an address held outside the group is never taken; if copy should have it, unassign it from ${eniOf(A)} first, else give failover:vip an address nobody holds`,
      `VIP ${VIP} in vpc-1 is also claimed by group web: two groups never share an address; give each group its own`,
    ]);
    expect(refused['web']?.problems).toEqual([`VIP ${VIP} in vpc-1 is also claimed by group copy: two groups never share an address; give each group its own`]);
  });

  it('keeps two groups that name the same address in two VPCs', () => {
    const base = snapshot({ instances: [node({ id: A, tags: vipTags('web'), secondary: [VIP] }), inVpc2(node({ id: C, tags: vipTags('copy'), secondary: [VIP] }))] });

    expect(outcome({ ...base, subnets: [...SUBNETS, VPC2_SUBNET] })).toEqual({ kept: ['copy', 'web'], refused: {} });
  });
});

describe('ownership: what it leaves alone', () => {
  it('does not mark other misconfigured groups to be told', () => {
    const world = snapshot({ instances: [node({ id: A, tags: { 'failover:group': 'web', 'failover:kind': 'vip' } })] });

    expect(outcome(world).refused).toEqual({ web: { problems: ['tag failover:vip is missing or empty'], notify: false } });
  });

  it('does not look at nat or overlay groups', () => {
    const world = snapshot({ instances: [node({ id: A, tags: { 'failover:group': 'nat', 'failover:kind': 'nat' } })], holders: [outsider('eni-0pod', [VIP])] });

    expect(outcome(world)).toEqual({ kept: ['nat'], refused: {} });
  });
});
