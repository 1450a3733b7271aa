/**
 * doctor's checks, table-driven over plain facts: a VPC where every check passes, then one thing
 * broken per row, with the group, check, severity and fix it must report.
 */
import { describe, expect, it } from 'vitest';
import type { Instance } from '../../shared/core/model.js';
import { diagnose } from '../../shared/doctor/diagnose.js';
import type { DoctorFacts, Finding } from '../../shared/doctor/model.js';
import { exitCodeOf } from '../../shared/doctor/report.js';
import { ALLOCATION, DEFAULTS, type Draft, ENI, ID, SUBNET, VIP, VPC, changeInstance, healthyFacts } from './support/facts.js';

const run = (facts: Draft, options: { group?: string; vpcId?: string } = {}) => diagnose(facts as DoctorFacts, { defaults: DEFAULTS, ...options });
const findingsOf = (facts: Draft, group: string) => run(facts).groups.find((g) => g.name === group)?.findings ?? [];
const problems = (facts: Draft) => run(facts).groups.flatMap((g) => g.findings.filter((f) => f.severity !== 'ok').map((f) => ({ group: g.name, ...f })));

const withTag = (key: string, value: string | undefined) => (i: Instance): Instance => {
  const tags = { ...i.tags };
  if (value === undefined) delete tags[key];
  else tags[key] = value;
  return { ...i, tags };
};
/** An ENI outside every group that holds the VIP, as observe reads it. */
const stranger = (primary: boolean) => ({
  networkInterfaceId: 'eni-stranger',
  vpcId: VPC,
  subnetId: SUBNET.a,
  description: 'EKS pod',
  interfaceType: 'branch',
  requesterManaged: false,
  privateIps: primary ? [{ address: VIP, primary: true }] : [{ address: '10.0.1.77', primary: true }, { address: VIP, primary: false }],
});
const eni0 = (i: Instance) => i.networkInterfaces[0]!;
const withEni = (change: (e: Instance['networkInterfaces'][number]) => Instance['networkInterfaces'][number]) => (i: Instance): Instance => ({ ...i, networkInterfaces: [change(eni0(i))] });

describe('doctor on a VPC where a failover can work', () => {
  it('reports every check ok for every group, and exits 0', () => {
    const report = run(healthyFacts());

    expect(problems(healthyFacts())).toEqual([]);
    expect(report.groups.map((g) => [g.name, g.findings.map((f) => f.check)])).toEqual([
      ['nat', ['tags', 'vpc-scope', 'state', 'ssm', 'source-dest', 'nat-tables', 'nat-egress', 'sensor-access', 'sensor-route']],
      ['pub', ['tags', 'vpc-scope', 'state', 'ssm', 'eip', 'sensor-access', 'sensor-route']],
      ['web', ['tags', 'vpc-scope', 'state', 'ssm', 'vip', 'quota', 'sensor-access', 'sensor-route']],
    ]);
    expect(exitCodeOf(report)).toBe(0);
    expect(report.deploy).toBeUndefined();
  });
});

interface Row {
  readonly title: string;
  readonly breakIt: (facts: Draft) => void;
  readonly group: string;
  readonly expected: Partial<Omit<Finding, 'detail' | 'fix'>> & { readonly detail: RegExp; readonly fix?: RegExp };
}

const ROWS: readonly Row[] = [
  {
    title: 'tags: members disagree on the kind (discovery\'s own words)',
    breakIt: (f) => changeInstance(f, ID.webB, withTag('failover:kind', 'eip')),
    group: 'web',
    expected: { check: 'tags', severity: 'blocker', detail: /^members disagree on tag failover:kind: eip, vip$/, fix: /create-tags --resources/ },
  },
  {
    title: 'vpc-scope: the group is outside the deployment\'s vpcIds',
    breakIt: (f) => { f.vpcIds = ['vpc-0000000000000000b']; },
    group: 'web',
    expected: { check: 'vpc-scope', severity: 'blocker', detail: /is not in this deployment's vpcIds param/, fix: /vpcIds=vpc-0000000000000000a,vpc-0000000000000000b/ },
  },
  {
    title: 'state: the standby is stopped',
    breakIt: (f) => changeInstance(f, ID.webB, (i) => ({ ...i, state: 'stopped' })),
    group: 'web',
    expected: { check: 'state', severity: 'blocker', detail: /stopped: 1 running member\(s\) left/, fix: /aws ec2 start-instances --instance-ids i-000000000000000b1/ },
  },
  {
    title: 'ssm: a member is not registered and has no instance profile',
    breakIt: (f) => { delete f.ssm.pingStatus[ID.webB]; delete f.instances[ID.webB].profileArn; },
    group: 'web',
    expected: { check: 'ssm', severity: 'blocker', detail: /not registered with SSM and has no instance profile/, fix: /associate-iam-instance-profile --instance-id i-000000000000000b1/ },
  },
  {
    title: 'ssm: a member\'s agent lost its connection',
    breakIt: (f) => { f.ssm.pingStatus[ID.pubA] = 'ConnectionLost'; },
    group: 'pub',
    expected: { check: 'ssm', severity: 'blocker', detail: /SSM agent is ConnectionLost, not Online/, fix: /ssmmessages/ },
  },
  {
    title: 'ssm: registration could not be read',
    breakIt: (f) => { f.ssm = { ok: false, error: 'AccessDeniedException' }; },
    group: 'web',
    expected: { check: 'ssm', severity: 'warning', detail: /not read: AccessDeniedException/, fix: /ssm:DescribeInstanceInformation/ },
  },
  {
    title: 'source-dest: the NAT that routes point at still checks',
    breakIt: (f) => changeInstance(f, ID.natA, withEni((e) => ({ ...e, sourceDestCheck: true }))),
    group: 'nat',
    expected: { check: 'source-dest', severity: 'blocker', detail: /routes point at it/, fix: /modify-network-interface-attribute --network-interface-id eni-0a3 --no-source-dest-check/ },
  },
  {
    title: 'source-dest: the standby NAT still checks (the core turns it off when it moves)',
    breakIt: (f) => {
      changeInstance(f, ID.natB, withEni((e) => ({ ...e, sourceDestCheck: true })));
      f.snapshot.routeTables[1].routes[1].target = { kind: 'eni', networkInterfaceId: ENI.natA };
    },
    group: 'nat',
    expected: { check: 'source-dest', severity: 'warning', detail: /the core turns it off/, fix: /eni-0b3 --no-source-dest-check/ },
  },
  {
    title: 'nat-tables: a NATAZ table without a default route',
    breakIt: (f) => { f.snapshot.routeTables[1].routes = f.snapshot.routeTables[1].routes.slice(0, 1); },
    group: 'nat',
    expected: { check: 'nat-tables', severity: 'blocker', detail: /rtb-b \(NATAZ=us-east-1b\) has no 0\.0\.0\.0\/0 route/, fix: /create-route --route-table-id rtb-b/ },
  },
  {
    title: 'nat-tables: a table serves an AZ without a NAT',
    breakIt: (f) => changeInstance(f, ID.natB, (i) => ({ ...i, availabilityZone: 'us-east-1a' })),
    group: 'nat',
    expected: { check: 'nat-tables', severity: 'warning', detail: /rtb-b serves us-east-1b, where no NAT of the group runs/, fix: /NATAZ=any/ },
  },
  {
    title: 'nat-tables: the default route goes to a NAT gateway',
    breakIt: (f) => { f.snapshot.routeTables[0].routes[1].target = { kind: 'other', description: 'nat-0123' }; },
    group: 'nat',
    expected: { check: 'nat-tables', severity: 'warning', detail: /goes to nat-0123, outside the group/ },
  },
  {
    title: 'nat-egress: a NAT\'s subnet has no internet gateway',
    breakIt: (f) => { f.routeTables[2].routes = f.routeTables[2].routes.slice(0, 1); },
    group: 'nat',
    expected: { check: 'nat-egress', severity: 'blocker', detail: /sends 0\.0\.0\.0\/0 to nothing, not an internet gateway/, fix: /--gateway-id igw-/ },
  },
  {
    title: 'nat-egress: a NAT has no public address',
    breakIt: (f) => { delete f.instances[ID.natB].publicIp; },
    group: 'nat',
    expected: { check: 'nat-egress', severity: 'blocker', detail: /i-000000000000000b3 has no public IPv4/, fix: /associate-address/ },
  },
  {
    title: 'vip: another ENI outside the group holds the VIP (discovery\'s words, doctor\'s fix)',
    breakIt: (f) => {
      changeInstance(f, ID.webA, withEni((e) => ({ ...e, privateIps: e.privateIps.slice(0, 1) })));
      f.snapshot.addressHolders = [stranger(false)];
    },
    group: 'web',
    expected: { check: 'vip', severity: 'blocker', detail: /^VIP 10\.0\.1\.100 is held by eni-stranger \(attached to no instance; interface type branch; 'EKS pod'\), outside web: an address held outside the group is never taken/, fix: /^if it is not in use there: aws ec2 unassign-private-ip-addresses --network-interface-id eni-stranger --private-ip-addresses 10\.0\.1\.100; else aws ec2 create-tags --resources i-000000000000000a1 i-000000000000000b1 --tags Key=failover:vip/ },
  },
  {
    title: 'vip: the VIP is the primary address of an ENI outside the group',
    breakIt: (f) => {
      changeInstance(f, ID.webA, withEni((e) => ({ ...e, privateIps: e.privateIps.slice(0, 1) })));
      f.snapshot.addressHolders = [stranger(true)];
    },
    group: 'web',
    expected: { check: 'vip', severity: 'blocker', detail: /held by eni-stranger \(.*its primary address\), outside web/, fix: /^10\.0\.1\.100 is eni-stranger's primary address and can never move: aws ec2 create-tags --resources i-000000000000000a1 i-000000000000000b1 --tags Key=failover:vip,Value=/ },
  },
  {
    title: 'vip: the VIP is an address AWS reserves',
    breakIt: (f) => {
      for (const idKey of [ID.webA, ID.webB]) changeInstance(f, idKey, withTag('failover:vip', '10.0.1.3'));
    },
    group: 'web',
    expected: { check: 'vip', severity: 'blocker', detail: /10\.0\.1\.3 is one of the addresses AWS reserves/ },
  },
  {
    title: 'vip: no member holds it yet',
    breakIt: (f) => {
      changeInstance(f, ID.webA, withEni((e) => ({ ...e, privateIps: e.privateIps.slice(0, 1) })));
      f.snapshot.addressHolders = [];
    },
    group: 'web',
    expected: { check: 'vip', severity: 'warning', detail: /no member holds 10\.0\.1\.100/, fix: /assign-private-ip-addresses --network-interface-id eni-0a1/ },
  },
  {
    title: 'eip: associated with an instance outside the group',
    breakIt: (f) => { f.snapshot.addresses[0].association = { associationId: 'eipassoc-9', networkInterfaceId: 'eni-other', instanceId: 'i-0000000000000ffff' }; },
    group: 'pub',
    expected: { check: 'eip', severity: 'blocker', detail: /^Elastic IP eipalloc-00000000000000001 \(203\.0\.113\.10\) is associated with eni-other \(instance i-0000000000000ffff\), outside pub: an address held outside the group is never taken/, fix: /^if it is not in use there: aws ec2 disassociate-address --association-id eipassoc-9;/ },
  },
  {
    title: 'eip: the Elastic IP does not carry failover:group itself',
    breakIt: (f) => { f.snapshot.addresses[0].tags = {}; },
    group: 'pub',
    expected: { check: 'eip', severity: 'blocker', detail: /^Elastic IP eipalloc-00000000000000001 \(203\.0\.113\.10\) does not carry the tag failover:group=pub/, fix: /^if the address belongs to pub: aws ec2 create-tags --resources eipalloc-00000000000000001 --tags Key=failover:group,Value=pub \(EC2 console → Elastic IPs/ },
  },
  {
    title: 'eip: the Elastic IP is tagged for another group',
    breakIt: (f) => { f.snapshot.addresses[0].tags = { 'failover:group': 'other' }; },
    group: 'pub',
    expected: { check: 'eip', severity: 'blocker', detail: /is tagged failover:group=other, not pub/, fix: /create-tags --resources eipalloc-00000000000000001 --tags Key=failover:group,Value=pub .*; else aws ec2 create-tags --resources i-000000000000000a2 i-000000000000000b2 --tags Key=failover:eip,/ },
  },
  {
    title: 'tags: failover:eip is not an allocation ID (the validator\'s words)',
    breakIt: (f) => { for (const key of [ID.pubA, ID.pubB]) changeInstance(f, key, withTag('failover:eip', 'eipalloc-1')); },
    group: 'pub',
    expected: { check: 'tags', severity: 'blocker', detail: /tag failover:eip must be an allocation ID \(eipalloc- and 8 or 17 hex digits\), got 'eipalloc-1'/, fix: /create-tags --resources/ },
  },
  {
    title: 'tags: a policy tag on one member only (discovery\'s words)',
    breakIt: (f) => changeInstance(f, ID.pubA, withTag('failover:cooldown', '120')),
    group: 'pub',
    expected: { check: 'tags', severity: 'blocker', detail: /tag failover:cooldown is on .* but not on .*: a policy tag must carry the same value on every member/, fix: /create-tags --resources/ },
  },
  {
    title: 'eip: not found in this Region (discovery\'s words)',
    breakIt: (f) => { f.snapshot.addresses = []; },
    group: 'pub',
    expected: { check: 'tags', severity: 'blocker', detail: /Elastic IP eipalloc-00000000000000001 not found in this region/ },
  },
  {
    title: 'quota: the standby\'s ENI has no room for the VIP',
    breakIt: (f) => { f.ipv4PerInterface = { 't3.large': 1 }; },
    group: 'web',
    expected: { check: 'quota', severity: 'blocker', detail: /eni-0b1 has 1 of 1 private IPv4s, no room for 10\.0\.1\.100/, fix: /unassign-private-ip-addresses/ },
  },
  {
    title: 'sensor-access: the members\' security group does not let the sensor in',
    breakIt: (f) => { f.securityGroups[0].ingress = f.securityGroups[0].ingress.slice(1, 2); },
    group: 'pub',
    expected: { check: 'sensor-access', severity: 'blocker', detail: /do not let the sensor in on tcp 22/, fix: /authorize-security-group-ingress --group-id sg-members --protocol tcp --port 22 --source-group sg-sensor/ },
  },
  {
    title: 'sensor-access: the sensor\'s security group does not let it out',
    breakIt: (f) => { f.securityGroups[1].egress = [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidrs: ['0.0.0.0/0'], groupIds: [], prefixListIds: [] }]; },
    group: 'web',
    expected: { check: 'sensor-access', severity: 'blocker', detail: /sensor's security groups \(sg-sensor\) do not let it out to 10\.0\.1\.10 on tcp 80/, fix: /authorize-security-group-egress --group-id sg-sensor/ },
  },
  {
    title: 'sensor-access: a network ACL denies the probe port before it allows everything',
    breakIt: (f) => { f.networkAcls[0].entries.push({ ruleNumber: 50, egress: false, protocol: '6', action: 'deny', cidr: '10.0.50.0/24', ports: { from: 22, to: 22 } }); },
    group: 'web',
    expected: { check: 'sensor-access', severity: 'blocker', detail: /network ACL acl-1 drops traffic into subnet-a1 from 10\.0\.50\.0\/24 on tcp 22 \(rule 50\)/, fix: /create-network-acl-entry --network-acl-id acl-1 --ingress --rule-number 49 --protocol tcp --port-range From=22,To=22 --cidr-block 10\.0\.50\.0\/24/ },
  },
  {
    title: 'sensor-access: before a first deploy, the rule that will be needed',
    breakIt: (f) => { delete f.sensor; },
    group: 'web',
    expected: { check: 'sensor-access', severity: 'warning', detail: /the sensor is not deployed yet/, fix: /--group-id sg-members --protocol tcp --port 80 --source-group <the stack's SensorSecurityGroupId output>/ },
  },
  {
    title: 'sensor-access: no member has failover:ports',
    breakIt: (f) => { for (const key of [ID.pubA, ID.pubB]) changeInstance(f, key, withTag('failover:ports', undefined)); },
    group: 'pub',
    expected: { check: 'sensor-access', severity: 'warning', detail: /no member has failover:ports/, fix: /Key=failover:ports,Value=22/ },
  },
  {
    title: 'sensor-access: security groups that could not be read are not judged',
    breakIt: (f) => { f.securityGroups = []; f.unread = { securityGroups: 'DescribeSecurityGroups failed (UnauthorizedOperation): not authorized' }; },
    group: 'pub',
    expected: { check: 'sensor-access', severity: 'warning', detail: /^security groups not read, not checked: DescribeSecurityGroups failed \(UnauthorizedOperation\)/, fix: /ec2:DescribeSecurityGroups/ },
  },
  {
    title: 'sensor-route: the sensor sits in another VPC with no route to the members',
    breakIt: (f) => {
      f.subnets.push({ subnetId: 'subnet-far', vpcId: 'vpc-0000000000000000f', cidrBlock: '172.16.0.0/24', availabilityZone: 'us-east-1a' });
      f.routeTables.push({ routeTableId: 'rtb-far', vpcId: 'vpc-0000000000000000f', tags: {}, main: true, subnetIds: [], routes: [{ destination: { kind: 'ipv4', value: '172.16.0.0/16' }, target: { kind: 'other', description: 'local' }, state: 'active' }] });
      f.sensor = { subnetIds: ['subnet-far'], securityGroupIds: ['sg-sensor'], source: 'deployed' };
    },
    group: 'pub',
    expected: { check: 'sensor-route', severity: 'blocker', detail: /subnet-far \(vpc-0000000000000000f\) has no route to i-000000000000000a2 at 10\.0\.1\.20/, fix: /peer the VPCs/ },
  },
];

describe('doctor finds what would stop a failover', () => {
  it.each(ROWS.map((row) => [row.title, row] as const))('%s', (_title, row) => {
    const facts = healthyFacts();
    row.breakIt(facts);

    const found = findingsOf(facts, row.group).filter((f) => f.check === row.expected.check && f.severity === row.expected.severity);

    expect(found.map((f) => f.detail)).toContainEqual(expect.stringMatching(row.expected.detail));
    const finding = found.find((f) => row.expected.detail.test(f.detail));
    if (row.expected.fix) expect(finding?.fix).toMatch(row.expected.fix);
    expect(exitCodeOf(run(facts))).toBe(row.expected.severity === 'blocker' ? 1 : 0);
  });

  it('names two groups that claim one VIP, in both', () => {
    const facts = healthyFacts();
    changeInstance(facts, ID.pubA, (i) => ({ ...withTag('failover:kind', 'vip')(withTag('failover:vip', VIP)(i)), tags: { ...i.tags, 'failover:group': 'web2', 'failover:kind': 'vip', 'failover:vip': VIP } }));

    expect(findingsOf(facts, 'web')).toContainEqual({ check: 'vip', severity: 'blocker', detail: `VIP 10.0.1.100 in ${VPC} is also claimed by group web2: two groups never share an address; give each group its own`, fix: expect.stringMatching(/^give one of the groups another failover:vip: aws ec2 create-tags --resources i-000000000000000a1 i-000000000000000b1 /) });
    expect(findingsOf(facts, 'web2')).toContainEqual({ check: 'vip', severity: 'blocker', detail: `VIP 10.0.1.100 in ${VPC} is also claimed by group web: two groups never share an address; give each group its own`, fix: expect.stringMatching(/^give one of the groups another failover:vip/) });
  });

  it('names two groups that claim one Elastic IP, in both', () => {
    const facts = healthyFacts();
    changeInstance(facts, ID.webB, (i) => ({ ...i, tags: { ...i.tags, 'failover:group': 'pub2', 'failover:kind': 'eip', 'failover:eip': ALLOCATION } }));

    for (const [group, other] of [['pub', 'pub2'], ['pub2', 'pub']] as const) {
      expect(findingsOf(facts, group)).toContainEqual(expect.objectContaining({ check: 'eip', severity: 'blocker', detail: `Elastic IP ${ALLOCATION} is also claimed by group ${other}: two groups never share an address; give each group its own` }));
    }
  });

  it('agrees with discovery: a group it refuses for an address gets one blocker row per problem, no ok row, and no copy under tags', () => {
    const facts = healthyFacts();
    changeInstance(facts, ID.webA, withEni((e) => ({ ...e, privateIps: e.privateIps.slice(0, 1) })));
    facts.snapshot.addressHolders = [stranger(false)];
    facts.snapshot.addresses[0].tags = {};

    for (const [group, check] of [['web', 'vip'], ['pub', 'eip']] as const) {
      const findings = findingsOf(facts, group);
      expect(findings.filter((f) => f.check === check).map((f) => f.severity)).toEqual(['blocker']);
      expect(findings.filter((f) => f.check === 'tags')).toEqual([expect.objectContaining({ severity: 'ok' })]);
    }
    expect(run(facts).blockers).toBe(2);
  });

  it('still checks the members of a group whose tags are wrong', () => {
    const facts = healthyFacts();
    changeInstance(facts, ID.webB, withTag('failover:kind', 'eip'));
    delete facts.ssm.pingStatus[ID.webB];

    expect(findingsOf(facts, 'web').map((f) => [f.check, f.severity])).toEqual([
      ['tags', 'blocker'],
      ['vpc-scope', 'ok'],
      ['state', 'ok'],
      ['ssm', 'blocker'],
      ['sensor-route', 'ok'],
    ]);
  });

  it('reports only the group asked for, or the VPC asked for', () => {
    expect(run(healthyFacts(), { group: 'pub' }).groups.map((g) => g.name)).toEqual(['pub']);
    expect(run(healthyFacts(), { vpcId: 'vpc-0000000000000000e' }).groups.map((g) => g.name)).toEqual(['(none)']);
    expect(run(healthyFacts(), { vpcId: VPC }).groups).toHaveLength(3);
  });

  it('is a blocker to find no group at all', () => {
    const facts = healthyFacts();
    facts.snapshot = { ...facts.snapshot, instances: [] };

    const report = run(facts);

    expect(report.groups).toEqual([{ name: '(none)', findings: [expect.objectContaining({ check: 'tags', severity: 'blocker', detail: 'no instance in us-east-1 carries failover:group: there is nothing to fail over' })] }]);
    expect(exitCodeOf(report)).toBe(1);
  });
});

describe('the first deploy\'s command', () => {
  it('names the groups\' VPC and one private subnet per members\' AZ, the members\' own first', () => {
    const facts = healthyFacts();
    facts.deployed = false;
    delete facts.sensor;

    const plan = run(facts).deploy;

    expect(plan?.vpcIds).toEqual([VPC]);
    expect(plan?.sensorSubnetIds).toEqual([SUBNET.a, SUBNET.b]);
    expect(plan?.commands).toEqual([`npx serverless deploy --stage dev --region us-east-1 \\\n    --param="vpcIds=${VPC}" \\\n    --param="sensorSubnetIds=subnet-a1,subnet-b1"`]);
    expect(plan?.notes).toContainEqual(expect.stringMatching(/^the stack creates the sensor's own security group in vpc-\S+ .*SensorSecurityGroupId output/));
  });

  it('names the sensor\'s VPC as sensorVpcId when it is not the first of vpcIds, for the security group the stack creates there', () => {
    const facts = healthyFacts();
    facts.deployed = false;
    delete facts.sensor;
    // pub moves to a VPC that sorts first; web and nat stay in VPC, which keeps the sensor.
    const other = 'vpc-00000000000000009';
    facts.snapshot = { ...facts.snapshot, instances: facts.snapshot.instances.map((i: { tags: Record<string, string> }) => (i.tags['failover:group'] === 'pub' ? { ...i, vpcId: other } : i)) };

    const plan = run(facts).deploy;

    expect(plan?.vpcIds).toEqual([other, VPC]);
    expect(plan?.sensorVpcId).toBe(VPC);
    expect(plan?.commands).toHaveLength(1);
    expect(plan?.commands[0]).toContain(`--param="vpcIds=${other},${VPC}" \\\n    --param="sensorSubnetIds=subnet-a1,subnet-b1" \\\n    --param="sensorVpcId=${VPC}"`);
    expect(plan?.commands[0]).not.toContain('sensorSecurityGroupIds');
  });

  it('uses the sensor placement it was given', () => {
    const facts = healthyFacts();
    facts.deployed = false;

    const plan = run(facts).deploy;

    expect(plan?.sensorSubnetIds).toEqual([SUBNET.sensor]);
    expect(plan?.commands).toHaveLength(1);
    expect(plan?.commands[0]).toContain('--param="sensorSecurityGroupIds=sg-sensor"');
  });

  it('says when only a public subnet is left in an AZ', () => {
    const facts = healthyFacts();
    facts.deployed = false;
    delete facts.sensor;
    facts.subnets = facts.subnets.filter((s: { subnetId: string }) => s.subnetId !== SUBNET.b);

    const plan = run(facts).deploy;

    expect(plan?.sensorSubnetIds).toEqual([SUBNET.a, SUBNET.pubB]);
    expect(plan?.notes).toContain('no private subnet in us-east-1b: the sensor gets subnet-pb, which routes to an internet gateway (it needs no internet: it only opens TCP connections to the members)');
  });
});
