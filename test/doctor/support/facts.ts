/**
 * A VPC where every doctor check passes, as plain facts: a vip pair (web), an eip pair (pub) and a
 * nat pair (nat) in one VPC, the sensor in a subnet of its own. Every address is its group's own:
 * the Elastic IP carries failover:group=pub, and no ENI outside web holds the VIP. Each test takes a fresh copy and
 * breaks one thing.
 */
import type { Instance, RouteTable } from '../../../shared/core/model.js';
import type { DoctorFacts } from '../../../shared/doctor/model.js';

export const VPC = 'vpc-0000000000000000a';
export const AZ_A = 'us-east-1a';
export const AZ_B = 'us-east-1b';
export const id = (n: number) => `i-${n.toString(16).padStart(17, '0')}`;
export const ID = { webA: id(0xa1), webB: id(0xb1), pubA: id(0xa2), pubB: id(0xb2), natA: id(0xa3), natB: id(0xb3) } as const;
export const ENI = { webA: 'eni-0a1', webB: 'eni-0b1', pubA: 'eni-0a2', pubB: 'eni-0b2', natA: 'eni-0a3', natB: 'eni-0b3' } as const;
export const VIP = '10.0.1.100';
/** pub's Elastic IP: an allocation ID as EC2 issues them (eipalloc- and 17 hex digits). */
export const ALLOCATION = 'eipalloc-00000000000000001';
export const SUBNET = { a: 'subnet-a1', b: 'subnet-b1', pubA: 'subnet-pa', pubB: 'subnet-pb', sensor: 'subnet-sa' } as const;

/** The facts' shape with everything writable, for tests that break one thing. */
export type Draft = { -readonly [K in keyof DoctorFacts]: any };

function member(key: keyof typeof ID, subnetId: string, az: string, ip: string, tags: Record<string, string>, extra: { vip?: boolean; sourceDestCheck?: boolean } = {}): Instance {
  return {
    instanceId: ID[key],
    state: 'running',
    availabilityZone: az,
    vpcId: VPC,
    subnetId,
    privateIp: ip,
    tags: { 'failover:ports': '22', ...tags },
    networkInterfaces: [
      {
        networkInterfaceId: ENI[key],
        deviceIndex: 0,
        subnetId,
        macAddress: '02:00:00:00:00:01',
        sourceDestCheck: extra.sourceDestCheck ?? true,
        privateIps: [{ address: ip, primary: true }, ...(extra.vip ? [{ address: VIP, primary: false }] : [])],
      },
    ],
  };
}

const route = (destination: string, target: RouteTable['routes'][number]['target']) => ({ destination: { kind: 'ipv4' as const, value: destination }, target, state: 'active' as const });
const local = route('10.0.0.0/16', { kind: 'other', description: 'local' });

export function healthyFacts(): Draft {
  const web = { 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': VIP };
  const pub = { 'failover:group': 'pub', 'failover:kind': 'eip', 'failover:eip': ALLOCATION };
  const nat = { 'failover:group': 'nat', 'failover:kind': 'nat' };
  const instances = [
    member('webA', SUBNET.a, AZ_A, '10.0.1.10', { ...web, 'failover:priority': '1', 'failover:ports': '22,80' }, { vip: true }),
    member('webB', SUBNET.a, AZ_A, '10.0.1.11', { ...web, 'failover:priority': '2', 'failover:ports': '22,80' }),
    member('pubA', SUBNET.a, AZ_A, '10.0.1.20', pub),
    member('pubB', SUBNET.b, AZ_B, '10.0.2.20', pub),
    member('natA', SUBNET.pubA, AZ_A, '10.0.101.10', nat, { sourceDestCheck: false }),
    member('natB', SUBNET.pubB, AZ_B, '10.0.102.10', nat, { sourceDestCheck: false }),
  ];
  const natTable = (rtb: string, az: string, eni: string): RouteTable => ({ routeTableId: rtb, vpcId: VPC, tags: { NATAZ: az }, routes: [local, route('0.0.0.0/0', { kind: 'eni', networkInterfaceId: eni })] });
  const tagged = [natTable('rtb-a', AZ_A, ENI.natA), natTable('rtb-b', AZ_B, ENI.natB)];
  const subnets = [
    { subnetId: SUBNET.a, vpcId: VPC, cidrBlock: '10.0.1.0/24', availabilityZone: AZ_A },
    { subnetId: SUBNET.b, vpcId: VPC, cidrBlock: '10.0.2.0/24', availabilityZone: AZ_B },
    { subnetId: SUBNET.pubA, vpcId: VPC, cidrBlock: '10.0.101.0/24', availabilityZone: AZ_A },
    { subnetId: SUBNET.pubB, vpcId: VPC, cidrBlock: '10.0.102.0/24', availabilityZone: AZ_B },
    { subnetId: SUBNET.sensor, vpcId: VPC, cidrBlock: '10.0.50.0/24', availabilityZone: AZ_A },
  ];
  const allIn = (ruleNumber: number, egress: boolean, action: 'allow' | 'deny') => ({ ruleNumber, egress, protocol: '-1', action, cidr: '0.0.0.0/0' });
  return {
    region: 'us-east-1',
    stage: 'dev',
    deployed: true,
    vpcIds: [VPC],
    sensor: { subnetIds: [SUBNET.sensor], securityGroupIds: ['sg-sensor'], source: 'given' },
    snapshot: {
      observedAt: 0,
      instances,
      statusChecks: Object.fromEntries(instances.map((i) => [i.instanceId, 'ok'])),
      routeTables: tagged,
      addresses: [{ allocationId: ALLOCATION, publicIp: '203.0.113.10', tags: { 'failover:group': 'pub' }, association: { associationId: 'eipassoc-1', networkInterfaceId: ENI.pubA, instanceId: ID.pubA, privateIp: '10.0.1.20' } }],
      subnets: subnets.slice(0, 4),
      // The ENIs that hold the VIP, as observe reads them: only web's own.
      addressHolders: [{ networkInterfaceId: ENI.webA, instanceId: ID.webA, vpcId: VPC, subnetId: SUBNET.a, description: '', interfaceType: 'interface', requesterManaged: false, privateIps: instances[0]!.networkInterfaces[0]!.privateIps }],
    },
    instances: Object.fromEntries(
      instances.map((i) => [
        i.instanceId,
        {
          instanceType: 't3.large',
          profileArn: 'arn:aws:iam::123456789012:instance-profile/ssm',
          ...(i.tags['failover:kind'] === 'nat' ? { publicIp: `198.51.100.${i.privateIp.split('.')[3]}` } : {}),
          eniSecurityGroups: { [i.networkInterfaces[0]?.networkInterfaceId ?? '']: ['sg-members'] },
        },
      ]),
    ),
    ssm: { ok: true, pingStatus: Object.fromEntries(instances.map((i) => [i.instanceId, 'Online'])) },
    securityGroups: [
      {
        groupId: 'sg-members',
        vpcId: VPC,
        ingress: [
          { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: [], groupIds: ['sg-sensor'], prefixListIds: [] },
          { protocol: 'tcp', fromPort: 80, toPort: 80, cidrs: [], groupIds: ['sg-sensor'], prefixListIds: [] },
          { protocol: '-1', cidrs: ['10.0.0.0/16'], groupIds: [], prefixListIds: [] },
        ],
        egress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], groupIds: [], prefixListIds: [] }],
      },
      { groupId: 'sg-sensor', vpcId: VPC, ingress: [], egress: [{ protocol: '-1', cidrs: ['0.0.0.0/0'], groupIds: [], prefixListIds: [] }] },
    ],
    networkAcls: [
      { networkAclId: 'acl-1', vpcId: VPC, isDefault: true, subnetIds: subnets.map((s) => s.subnetId), entries: [allIn(100, false, 'allow'), allIn(32767, false, 'deny'), allIn(100, true, 'allow'), allIn(32767, true, 'deny')] },
    ],
    routeTables: [
      { ...tagged[0], main: false, subnetIds: [SUBNET.a, SUBNET.sensor] },
      { ...tagged[1], main: false, subnetIds: [SUBNET.b] },
      { routeTableId: 'rtb-pub', vpcId: VPC, tags: {}, main: false, subnetIds: [SUBNET.pubA, SUBNET.pubB], routes: [local, route('0.0.0.0/0', { kind: 'other', description: 'igw-1' })] },
      { routeTableId: 'rtb-main', vpcId: VPC, tags: {}, main: true, subnetIds: [], routes: [local] },
    ],
    subnets,
    ipv4PerInterface: { 't3.large': 12 },
  };
}

export const DEFAULTS = { cooldownMs: 60_000, failback: { vip: 'manual', eip: 'manual', overlay: 'manual', nat: 'auto' } } as const;

/** Replaces one instance in both the snapshot and (by ID) nowhere else. */
export function changeInstance(facts: Draft, instanceId: string, change: (i: Instance) => Instance): void {
  facts.snapshot = { ...facts.snapshot, instances: facts.snapshot.instances.map((i: Instance) => (i.instanceId === instanceId ? change(i) : i)) };
}
