/**
 * Tags are not a master key, against moto with the packaged `failover` function (`serverless invoke
 * local`, as in moto.e2e.test.ts): someone allowed to tag an instance enrolls their own in a group.
 *
 * - With a policy tag the members lack (failover:failback=auto): status names the tag and who has it,
 *   and the group is never moved.
 * - With matching tags and failover:priority=0: status lists it as a newcomer; a person's failover
 *   goes to a confirmed member, never to it, until a person's `failback` confirms every member.
 * - A NATAZ value that is not a zone of the Region (`us-east-1a;x`): the nat group is refused,
 *   naming the table, and its routes stay as they are.
 *
 * The probe function is not run on moto (its peer probes need commands that really run), so the
 * remediation scope is proven on the in-memory VPC (test/failover/attacks-policy.scenario.test.ts).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { GroupResult, StatusReport } from '../../shared/core/engine.js';
import { type Children, killAll, sweepStaleTempDirs } from './support/children.js';
import { type MotoServer, describeMoto, startMoto } from './support/moto.js';
import { type Invoker, type PackagedService, STAGE, packageService } from './support/serverless.js';
import { deployStateTable } from './support/stack.js';
import { AZ_A, type Member, type NatPair, type VipPair, type Vpc, VpcBuilder, clientConfig, privateIps, routesTo } from './support/vpc.js';

const SETUP_TIMEOUT_MS = 300_000;
const TEST_TIMEOUT_MS = 300_000;

describeMoto('attacks on the policy tags, against moto', () => {
  const children: Children = new Set();
  let moto: MotoServer;
  let packaging: PackagedService | undefined;
  let functions: Invoker;
  let ec2: EC2Client;
  let builder: VpcBuilder;
  let main: Vpc;
  let takeover: VipPair;
  let policy: VipPair;
  let nat: NatPair;

  beforeAll(async () => {
    const check = inject('moto');
    if (!check.ok) throw new Error(check.reason);
    sweepStaleTempDirs();
    packaging = packageService({ lanes: 2, children, packageDir: inject('packageDir') });
    moto = await startMoto(check.python, children);
    ec2 = new EC2Client(clientConfig(moto.endpoint));
    builder = new VpcBuilder(ec2);
    main = await builder.vpc('attacks');
    takeover = await builder.vipPair(main, 'takeover', 100);
    policy = await builder.vipPair(main, 'policy', 101);
    nat = await builder.natPair('nat-az');
    // A typo, or an attempt at shell syntax, in one table's NATAZ.
    await builder.routeTable(nat.vpc, { Name: 'nat-az-private-x', NATAZ: 'us-east-1a;x' });
    functions = packaging.against(moto.endpoint, { VPCF_VPC_IDS: builder.vpcIds.join(',') });
    // CloudFormation names the table; the functions read the name from the stack (VPCF_TABLE_NAME: !Ref StateTable).
    await deployStateTable(moto.endpoint, packaging.template, `vpc-failover-${STAGE}`);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await killAll(children);
    packaging?.dispose();
    await moto?.stop();
    ec2?.destroy();
  }, 30_000);

  async function invoke<T>(payload: Record<string, unknown>): Promise<T> {
    const run = await functions.invoke<T>('failover', payload);
    expect(run.ok, `failover ${JSON.stringify(payload)} failed:\n${run.stdout.slice(-3_000)}\n${run.stderr.slice(-2_000)}`).toBe(true);
    return run.result;
  }

  /** Someone's own instance in the pair's subnet, tagged into its group. */
  const join = (pair: VipPair, extra: Record<string, string>): Promise<Member> =>
    builder.member(main, AZ_A, { Name: `${pair.group}-newcomer`, 'failover:group': pair.group, 'failover:kind': 'vip', 'failover:vip': pair.vip, ...extra });

  /** The ENI that holds the VIP, as moto reports it. */
  async function vipOn(pair: VipPair, ...members: Member[]): Promise<string[]> {
    const held = await privateIps(ec2, members.map((m) => m.eniId));
    return members.filter((m) => held[m.eniId]?.includes(pair.vip)).map((m) => m.instanceId);
  }

  it(
    'a newcomer with priority 0 is never where a failover goes, until a person runs failback; then it is',
    async () => {
      // The group's first decision records its roster: A and B.
      const first = await invoke<GroupResult>({ action: 'failover', group: takeover.group });
      expect(first.outcome).toBe('changed');
      const n = await join(takeover, { 'failover:priority': '0' });

      const status = await invoke<StatusReport>({ action: 'status', group: takeover.group });
      const back = await invoke<GroupResult>({ action: 'failover', group: takeover.group });

      expect(status.groups[0]).toMatchObject({ newcomers: [n.instanceId], problems: [] });
      expect(back).toMatchObject({ outcome: 'changed', plan: { moves: [{ from: takeover.b.instanceId, to: takeover.a.instanceId }] } });
      expect(await vipOn(takeover, takeover.a, takeover.b, n)).toEqual([takeover.a.instanceId]);

      const confirmed = await invoke<GroupResult>({ action: 'failback', group: takeover.group, reason: 'new node checked by a person' });

      expect(confirmed).toMatchObject({ outcome: 'changed', plan: { moves: [{ from: takeover.a.instanceId, to: n.instanceId }] } });
      expect(await vipOn(takeover, takeover.a, takeover.b, n)).toEqual([n.instanceId]);
      const after = await invoke<StatusReport>({ action: 'status', group: takeover.group });
      expect(after.groups[0]?.newcomers).toBeUndefined();
      expect(after.groups[0]?.journal[0]).toMatchObject({ to: n.instanceId, members: [takeover.a.instanceId, takeover.b.instanceId, n.instanceId].sort(), newcomers: [] });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a newcomer tagged failover:failback=auto makes the group misconfigured: status names the tag, and neither failover nor failback moves anything',
    async () => {
      const n = await join(policy, { 'failover:failback': 'auto', 'failover:priority': '0' });

      const status = await invoke<StatusReport>({ action: 'status', group: policy.group });
      const failover = await invoke<GroupResult>({ action: 'failover', group: policy.group, to: n.instanceId });
      const failback = await invoke<GroupResult>({ action: 'failback', group: policy.group });

      const problem = `tag failover:failback is on ${n.instanceId} but not on ${[policy.a.instanceId, policy.b.instanceId].sort().join(', ')}: a policy tag must carry the same value on every member`;
      expect(status.groups[0]?.problems).toEqual([problem]);
      expect(failover).toMatchObject({ outcome: 'refused', reason: `misconfigured, never moved: ${problem}` });
      expect(failback).toMatchObject({ outcome: 'refused' });
      expect(await vipOn(policy, policy.a, policy.b, n)).toEqual([policy.a.instanceId]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "refuses a nat group whose table says NATAZ=us-east-1a;x, naming the table, and leaves every route where it was",
    async () => {
      const tables = Object.values(nat.tables);
      const before = await routesTo(ec2, tables, '0.0.0.0/0');

      const status = await invoke<StatusReport>({ action: 'status', group: nat.group });
      const failover = await invoke<GroupResult>({ action: 'failover', group: nat.group, from: nat.a.instanceId });

      expect(status.groups[0]?.problems).toEqual([expect.stringMatching(/^rtb-[0-9a-f]+: tag NATAZ must be 'any' or an Availability Zone of us-east-1 \(such as us-east-1a\), got 'us-east-1a;x'$/)]);
      expect(failover.outcome).toBe('refused');
      expect(await routesTo(ec2, tables, '0.0.0.0/0')).toEqual(before);
    },
    TEST_TIMEOUT_MS,
  );
});
