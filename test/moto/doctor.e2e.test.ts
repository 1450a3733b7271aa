/**
 * `npm run doctor` (scripts/doctor.ts, through tsx, as a user runs it) against moto 5.x on
 * 127.0.0.1 through AWS_ENDPOINT_URL, with dummy credentials. Worlds are built in moto with the
 * SDK: one where every check passes, and for every check one where it fails; each run asserts the
 * exit status and the fix doctor names. Groups are kept apart with --group / --vpc.
 *
 * Where moto differs from AWS (test/moto/launcher.py patches the gaps moto.e2e.test.ts lists):
 * - DescribeInstanceInformation is not implemented. ASSERTED AROUND: every run here reports the
 *   ssm check as a warning, "SSM registration not read"; registration, PingStatus and the missing
 *   instance profile are tested on plain facts (test/doctor/checks.test.ts) and the adapter's
 *   request with aws-sdk-client-mock (test/doctor/reads.test.ts).
 * - moto stores network ACLs and security groups but evaluates neither: doctor evaluates them
 *   itself, and what it reads here is what it evaluates (test/doctor/net.test.ts holds the rules).
 * - SSM SendCommand reports Success with an empty output and runs nothing. ASSERTED AROUND: --deep
 *   is checked for what it sends (ListCommands); its reading of answers is tested in
 *   test/doctor/deep.test.ts.
 * - moto has no Lambda functions of the stage: doctor sees no deployment, so every run also prints
 *   the first deploy's command, which one test asserts.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AssignPrivateIpAddressesCommand, AssociateAddressCommand, CreateNetworkInterfaceCommand, DeleteRouteCommand, DeleteTagsCommand, DescribeAddressesCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { DoctorReport, Finding } from '../../shared/doctor/model.js';
import { type Children, killAll, sweepStaleTempDirs } from './support/children.js';
import { aclDenying, natWorks, securityGroup, sensorIn, subnet, tag, type Sensor } from './support/doctor-worlds.js';
import { CREDENTIALS, type MotoServer, REGION, describeMoto, startMoto } from './support/moto.js';
import { AZ_A, AZ_B, type EipPair, type NatPair, type Vpc, type VipPair, VpcBuilder, clientConfig } from './support/vpc.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const RUN_TIMEOUT_MS = 90_000;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describeMoto('doctor against moto', () => {
  const children: Children = new Set();
  let moto: MotoServer;
  let ec2: EC2Client;
  let builder: VpcBuilder;
  let main: Vpc;
  let sensor: Sensor;
  const w = {} as {
    web: VipPair;
    pub: EipPair;
    nat: NatPair;
    natSensor: Sensor;
    natBad: NatPair;
  };

  /** `npm run doctor -- <args>`, as a user runs it, pointed at moto. */
  async function doctor(...args: string[]): Promise<Run> {
    const env = { PATH: process.env['PATH'], HOME: process.env['HOME'], AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: REGION, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
    try {
      const { stdout, stderr } = await promisify(execFile)('timeout', ['-k', '5', '80', TSX, 'scripts/doctor.ts', ...args], { cwd: ROOT, env, timeout: RUN_TIMEOUT_MS });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  async function report(...args: string[]): Promise<{ code: number; report: DoctorReport }> {
    const run = await doctor(...args, '--json');
    if (run.stdout.trim() === '') throw new Error(`doctor printed nothing (exit ${run.code}): ${run.stderr}`);
    return { code: run.code, report: JSON.parse(run.stdout) as DoctorReport };
  }

  const findings = (r: DoctorReport, group: string): readonly Finding[] => r.groups.find((g) => g.name === group)?.findings ?? [];
  const withSensor = (s: Sensor) => ['--sensor-subnets', s.subnetId, '--sensor-security-groups', s.securityGroupId];
  /** The ssm check cannot pass on moto (no DescribeInstanceInformation): every other finding must. */
  const notOk = (f: readonly Finding[]) => f.filter((x) => x.severity !== 'ok' && !(x.check === 'ssm' && /SSM registration not read/.test(x.detail)));

  beforeAll(async () => {
    const check = inject('moto');
    if (!check.ok) throw new Error(check.reason);
    sweepStaleTempDirs();
    moto = await startMoto(check.python, children);
    ec2 = new EC2Client(clientConfig(moto.endpoint));
    builder = new VpcBuilder(ec2);

    main = await builder.vpc('main');
    sensor = await sensorIn(ec2, main);
    w.web = await builder.vipPair(main, 'web', 100);
    w.pub = await builder.eipPair(main, 'pub');
    await tag(ec2, [w.web.a, w.web.b, w.pub.a, w.pub.b].map((m) => m.instanceId), { 'failover:ports': '22' });

    w.nat = await builder.natPair('nat');
    await natWorks(ec2, w.nat);
    w.natSensor = await sensorIn(ec2, w.nat.vpc);
    await tag(ec2, [w.nat.a.instanceId, w.nat.b.instanceId], { 'failover:ports': '22' });
  }, 180_000);

  afterAll(async () => {
    await moto?.stop();
    await killAll(children);
  });

  it('passes every check of a vip and an eip group, and exits 0', async () => {
    const { code, report: r } = await report('--vpc', main.vpcId, '--vpc-ids', main.vpcId, ...withSensor(sensor));

    expect(r.groups.map((g) => g.name)).toEqual(['pub', 'web']);
    expect(notOk(findings(r, 'web'))).toEqual([]);
    expect(notOk(findings(r, 'pub'))).toEqual([]);
    expect(findings(r, 'web').map((f) => f.check)).toEqual(['tags', 'vpc-scope', 'state', 'ssm', 'vip', 'quota', 'sensor-access', 'sensor-route']);
    expect(findings(r, 'web').find((f) => f.check === 'ssm')).toMatchObject({ severity: 'warning', detail: expect.stringMatching(/^SSM registration not read: DescribeInstanceInformation failed/) });
    expect(code).toBe(0);
  });

  it('passes every check of a nat group that can translate, and exits 0', async () => {
    const { code, report: r } = await report('--group', 'nat', ...withSensor(w.natSensor));

    expect(notOk(findings(r, 'nat'))).toEqual([]);
    expect(findings(r, 'nat').map((f) => f.check)).toEqual(['tags', 'state', 'ssm', 'source-dest', 'nat-tables', 'nat-egress', 'sensor-access', 'sensor-route']);
    expect(code).toBe(0);
  });

  it('before a first deploy, says which rule the sensor will need and prints the deploy command with the IDs it found', async () => {
    const run = await doctor('--vpc', main.vpcId);

    expect(run.stdout).toContain('the sensor is not deployed yet');
    expect(run.stdout).toContain('No deployment of this stage found. The first deploy, from what doctor found:');
    expect(run.stdout).toContain(`npx serverless deploy --stage dev --region ${REGION} \\\n      --param="vpcIds=${main.vpcId}" \\\n      --param="sensorSubnetIds=${main.subnets[AZ_A]},${main.subnets[AZ_B]}"`);
    // The stack creates the sensor's security group: the command asks for no ID doctor did not find.
    expect(run.stdout).not.toContain('create-security-group');
    expect(run.stdout).not.toContain('sensorSecurityGroupIds');
    expect(run.stdout).toContain(`the stack creates the sensor's own security group in ${main.vpcId}`);
    expect(run.code).toBe(0);
  });

  it('tags: names discovery\'s problem and exits 1', async () => {
    const pair = await builder.vipPair(main, 'tags-bad', 120);
    await tag(ec2, [pair.b.instanceId], { 'failover:kind': 'eip' });

    const { code, report: r } = await report('--group', 'tags-bad');

    expect(findings(r, 'tags-bad')).toContainEqual(expect.objectContaining({ check: 'tags', severity: 'blocker', detail: 'members disagree on tag failover:kind: eip, vip', fix: expect.stringContaining('aws ec2 create-tags') }));
    expect(code).toBe(1);
  });

  it('vpc-scope: a group outside the deployment\'s vpcIds', async () => {
    const { code, report: r } = await report('--group', 'web', '--vpc-ids', w.nat.vpc.vpcId);

    expect(findings(r, 'web')).toContainEqual(expect.objectContaining({ check: 'vpc-scope', severity: 'blocker', fix: expect.stringContaining(`vpcIds=${[main.vpcId, w.nat.vpc.vpcId].sort().join(',')}`) }));
    expect(code).toBe(1);
  });

  it('state: a stopped standby leaves nothing to fail over to', async () => {
    const pair = await builder.vipPair(main, 'state-bad', 121);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [pair.b.instanceId] }));

    const { code, report: r } = await report('--group', 'state-bad');

    expect(findings(r, 'state-bad')).toContainEqual(expect.objectContaining({ check: 'state', severity: 'blocker', fix: expect.stringContaining(`aws ec2 start-instances --instance-ids ${pair.b.instanceId}`) }));
    expect(code).toBe(1);
  });

  it('source-dest, nat-tables, nat-egress: a NAT pair that cannot translate', async () => {
    const pair = await builder.natPair('nat-bad');
    await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: pair.a.eniId, SourceDestCheck: { Value: true } }));
    await ec2.send(new DeleteRouteCommand({ RouteTableId: pair.tables[AZ_B], DestinationCidrBlock: '0.0.0.0/0' }));

    const { code, report: r } = await report('--group', 'nat-bad');
    const f = findings(r, 'nat-bad');

    expect(f).toContainEqual(expect.objectContaining({ check: 'source-dest', severity: 'blocker', fix: expect.stringContaining(`--network-interface-id ${pair.a.eniId} --no-source-dest-check`) }));
    expect(f).toContainEqual(expect.objectContaining({ check: 'nat-tables', severity: 'blocker', detail: expect.stringContaining(`${pair.tables[AZ_B]} (NATAZ=${AZ_B}) has no 0.0.0.0/0 route`), fix: expect.stringContaining(`aws ec2 create-route --route-table-id ${pair.tables[AZ_B]}`) }));
    expect(f).toContainEqual(expect.objectContaining({ check: 'nat-egress', severity: 'blocker', detail: expect.stringContaining('not an internet gateway'), fix: expect.stringContaining('--gateway-id igw-') }));
    expect(f).toContainEqual(expect.objectContaining({ check: 'nat-egress', severity: 'blocker', detail: `${pair.a.instanceId} has no public IPv4: it cannot translate to the internet` }));
    expect(code).toBe(1);
  });

  it('vip: the VIP held by an ENI outside the group', async () => {
    const pair = await builder.vipPair(main, 'vip-bad', 122);
    const { NetworkInterface } = await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: main.subnets[AZ_A], Description: 'appliance' }));
    const stranger = NetworkInterface?.NetworkInterfaceId ?? '';
    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: stranger, PrivateIpAddresses: [pair.vip], AllowReassignment: true }));

    const { code, report: r } = await report('--group', 'vip-bad');

    // Discovery refuses the group (its words); doctor adds the command that frees the address.
    expect(findings(r, 'vip-bad')).toContainEqual({
      check: 'vip',
      severity: 'blocker',
      detail: expect.stringMatching(new RegExp(`^VIP ${pair.vip.replaceAll('.', '\\.')} is held by ${stranger} \\(attached to no instance; .*'appliance'\\), outside vip-bad: an address held outside the group is never taken`)),
      fix: `if it is not in use there: aws ec2 unassign-private-ip-addresses --network-interface-id ${stranger} --private-ip-addresses ${pair.vip}; else aws ec2 create-tags --resources ${[pair.a.instanceId, pair.b.instanceId].sort().join(' ')} --tags Key=failover:vip,Value=<an address nobody holds>`,
    });
    expect(findings(r, 'vip-bad').filter((f) => f.check === 'tags')).toEqual([expect.objectContaining({ severity: 'ok' })]);
    expect(code).toBe(1);
  });

  it('eip: the Elastic IP associated with an instance outside the group', async () => {
    const pair = await builder.eipPair(main, 'eip-bad');
    const stranger = await builder.member(main, AZ_A, { Name: 'stranger' });
    await ec2.send(new AssociateAddressCommand({ AllocationId: pair.allocationId, NetworkInterfaceId: stranger.eniId, AllowReassociation: true }));

    const { code, report: r } = await report('--group', 'eip-bad');

    const { Addresses = [] } = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [pair.allocationId] }));
    const associationId = Addresses[0]?.AssociationId ?? '';

    expect(associationId).toMatch(/^eipassoc-/);
    expect(findings(r, 'eip-bad')).toContainEqual({
      check: 'eip',
      severity: 'blocker',
      detail: expect.stringMatching(new RegExp(`^Elastic IP ${pair.allocationId} \\(${pair.publicIp.replaceAll('.', '\\.')}\\) is associated with ${stranger.eniId} \\(instance ${stranger.instanceId}(; private IP [0-9.]+)?\\), outside eip-bad: an address held outside the group is never taken`)),
      fix: expect.stringMatching(new RegExp(`^if it is not in use there: aws ec2 disassociate-address --association-id ${associationId};`)),
    });
    expect(code).toBe(1);
  });

  it('eip: an Elastic IP that does not carry failover:group itself', async () => {
    const pair = await builder.eipPair(main, 'eip-untagged');
    await ec2.send(new DeleteTagsCommand({ Resources: [pair.allocationId], Tags: [{ Key: 'failover:group' }] }));

    const { code, report: r } = await report('--group', 'eip-untagged');

    expect(findings(r, 'eip-untagged')).toContainEqual({
      check: 'eip',
      severity: 'blocker',
      detail: expect.stringMatching(new RegExp(`^Elastic IP ${pair.allocationId} \\(${pair.publicIp.replaceAll('.', '\\.')}\\) does not carry the tag failover:group=eip-untagged`)),
      fix: expect.stringContaining(`aws ec2 create-tags --resources ${pair.allocationId} --tags Key=failover:group,Value=eip-untagged`),
    });
    expect(code).toBe(1);
  });

  it('quota: a t3.micro standby whose ENI has no room for the VIP', async () => {
    const pair = await builder.vipPair(main, 'quota-bad', 123);
    await ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: pair.b.eniId, SecondaryPrivateIpAddressCount: 1 }));

    const { code, report: r } = await report('--group', 'quota-bad');

    expect(findings(r, 'quota-bad')).toContainEqual(expect.objectContaining({ check: 'quota', severity: 'blocker', detail: `${pair.b.instanceId} (t3.micro): ${pair.b.eniId} has 2 of 2 private IPv4s, no room for ${pair.vip}` }));
    expect(code).toBe(1);
  });

  it('sensor-access: members whose security group does not let the sensor in', async () => {
    const pair = await builder.eipPair(main, 'sg-bad');
    const closed = await securityGroup(ec2, main, 'closed');
    for (const m of [pair.a, pair.b]) await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: m.eniId, Groups: [closed] }));
    await tag(ec2, [pair.a.instanceId, pair.b.instanceId], { 'failover:ports': '22' });

    const { code, report: r } = await report('--group', 'sg-bad', ...withSensor(sensor));

    expect(findings(r, 'sg-bad')).toContainEqual(
      expect.objectContaining({ check: 'sensor-access', severity: 'blocker', detail: `${pair.a.instanceId}'s security groups (${closed}) do not let the sensor in on tcp 22`, fix: expect.stringContaining(`aws ec2 authorize-security-group-ingress --group-id ${closed} --protocol tcp --port 22 --source-group ${sensor.securityGroupId}`) }),
    );
    expect(code).toBe(1);
  });

  it('sensor-access: a network ACL that drops the probe port from the sensor subnet', async () => {
    const inner: Vpc = { ...main, subnets: { [AZ_A]: await subnet(ec2, main, 6, AZ_A), [AZ_B]: await subnet(ec2, main, 7, AZ_B) } };
    const pair = await builder.eipPair(inner, 'acl-bad');
    await tag(ec2, [pair.a.instanceId, pair.b.instanceId], { 'failover:ports': '22' });
    const acl = await aclDenying(ec2, main, inner.subnets[AZ_A], `${main.cidrPrefix}.50.0/24`, 22);

    const { code, report: r } = await report('--group', 'acl-bad', ...withSensor(sensor));

    expect(findings(r, 'acl-bad')).toContainEqual(
      expect.objectContaining({
        check: 'sensor-access',
        severity: 'blocker',
        detail: `network ACL ${acl} drops traffic into ${inner.subnets[AZ_A]} from ${main.cidrPrefix}.50.0/24 on tcp 22 (rule 50)`,
        fix: `aws ec2 create-network-acl-entry --network-acl-id ${acl} --ingress --rule-number 49 --protocol tcp --port-range From=22,To=22 --cidr-block ${main.cidrPrefix}.50.0/24 --rule-action allow`,
      }),
    );
    expect(code).toBe(1);
  });

  it('sensor-route: a sensor in another VPC, with no route to the members', async () => {
    const { code, report: r } = await report('--group', 'web', ...withSensor(w.natSensor));

    expect(findings(r, 'web')).toContainEqual(expect.objectContaining({ check: 'sensor-route', severity: 'blocker', detail: expect.stringContaining(`the sensor's subnet ${w.natSensor.subnetId} (${w.nat.vpc.vpcId}) has no route to ${w.web.a.instanceId}`), fix: expect.stringContaining('peer the VPCs') }));
    expect(code).toBe(1);
  });

  it('--deep sends one command per running member, naming its peers, and says so', async () => {
    const run = await doctor('--group', 'web', '--deep', '--json');
    const r = JSON.parse(run.stdout) as DoctorReport;
    const { Commands = [] } = await new SSMClient(clientConfig(moto.endpoint)).send(new ListCommandsCommand({}));
    const sent = Commands.filter((c) => c.Comment === 'vpc-failover doctor --deep');

    expect(run.stderr).toContain("doctor: --deep sends one SSM command to each running member ('command -v ip', one ping to each peer)");
    expect(r.deep).toBe(true);
    expect(sent.map((c) => [c.InstanceIds, c.DocumentName, c.Parameters?.['commands']?.[1]]).sort()).toEqual(
      [
        [[w.web.a.instanceId], 'AWS-RunShellScript', `if ping -c 1 -W 1 ${w.web.b.privateIp} >/dev/null 2>&1; then echo "vpcf-deep peer=${w.web.b.privateIp} ok"; else echo "vpcf-deep peer=${w.web.b.privateIp} fail"; fi`],
        [[w.web.b.instanceId], 'AWS-RunShellScript', `if ping -c 1 -W 1 ${w.web.a.privateIp} >/dev/null 2>&1; then echo "vpcf-deep peer=${w.web.a.privateIp} ok"; else echo "vpcf-deep peer=${w.web.a.privateIp} fail"; fi`],
      ].sort(),
    );
    // moto reports Success with an empty output and runs nothing: no report, so no verdict.
    expect(findings(r, 'web').filter((f) => f.check === 'deep').map((f) => f.detail)).toEqual([
      `${w.web.a.instanceId}: the --deep command got no answer: its output has no report`,
      `${w.web.b.instanceId}: the --deep command got no answer: its output has no report`,
    ]);
  });

  it('writes a report of a world with several problems, for people (VPCF_DOCTOR_SAMPLE)', async () => {
    const run = await doctor('--vpc', main.vpcId, ...withSensor(sensor), '--vpc-ids', main.vpcId);
    const out = process.env['VPCF_DOCTOR_SAMPLE'];
    if (out) {
      // And the first-deploy form, as a new user sees it: no sensor given, the stack creates its security group.
      const first = await doctor('--vpc', main.vpcId, '--group', 'web');
      writeFileSync(
        out,
        `$ npm run doctor -- --vpc ${main.vpcId} --sensor-subnets ${sensor.subnetId} --sensor-security-groups ${sensor.securityGroupId} --vpc-ids ${main.vpcId}\n${run.stdout}(exit ${run.code})\n\n` +
          `$ npm run doctor -- --vpc ${main.vpcId} --group web\n${first.stdout}(exit ${first.code})\n`,
      );
    }

    expect(run.stdout).toMatch(/group\(s\): \d+ blocker\(s\)/);
    expect(run.stdout).toContain('read-only: nothing was changed');
    expect(run.code).toBe(1);
  });
});
