/**
 * vpc-failover against an independent AWS implementation: the packaged functions (`serverless
 * package`, then `serverless invoke local`, which builds each handler as the package does) talk to
 * moto 5.x on 127.0.0.1 through AWS_ENDPOINT_URL, with dummy credentials. The VPC is built in moto
 * with the SDK and tagged per README's tag contract; the state table comes from the packaged
 * CloudFormation template; manual payloads come from scripts/failover.sh (--print) and events from
 * the samples in test/events; every end state is read back through moto's own Describe calls.
 *
 * moto differs from AWS in places. The product stays faithful to AWS; the test launcher
 * (test/moto/launcher.py) patches moto where the product depends on the AWS behaviour, and the
 * suite asserts around the gaps it cannot close:
 *
 * - A `tag-key` filter with several values returns nothing once a resource carries any other tag;
 *   AWS ORs the values. The product's DescribeRouteTables filters tag-key=[NATAZ, failover:overlay].
 *   PATCHED: the launcher ORs tag-key and tag-value values (with wildcards).
 * - A route created with an instance ID shows no NetworkInterfaceId (and one created with an ENI
 *   shows no InstanceId); AWS shows both. PATCHED.
 * - Routes never go `blackhole`. PATCHED: a route whose instance is stopped or terminated, or whose
 *   ENI is detached or deleted, is a blackhole, as on AWS.
 * - AssignPrivateIpAddresses ignores AllowReassignment and leaves the IP on both ENIs. PATCHED: the
 *   address leaves the ENI that held it.
 * - AssociateAddress(AllowReassociation) leaves the public IP on the old ENI, and DescribeAddresses
 *   shows no InstanceId for an ENI association. PATCHED.
 * - DescribeNetworkInterfaces' `addresses.private-ip-address` filter matches only an ENI's primary
 *   address; AWS matches every private IPv4. Observe uses it to find who holds a VIP. PATCHED
 *   (proven in attacks-address.e2e.test.ts).
 * - SSM SendCommand reports Success with empty output and runs nothing. ASSERTED AROUND: the suite
 *   checks which commands were sent to which instance (ListCommands: document and `ip addr` lines)
 *   and what the function reports, never an address on a host; the namespace suites (test/netns)
 *   run those scripts for real.
 * - SendCommand(InstanceIds) also targets every other instance of the region (an empty Targets list
 *   matches all). PATCHED.
 * - ListCommandInvocations, which the SSM adapter polls, is not implemented (HTTP 500). PATCHED: it
 *   lists moto's own invocation records (Success, exit code 0, empty output) with their plugin.
 * - CompleteLifecycleAction is not implemented (HTTP 500). PATCHED: accepted and recorded; the suite
 *   asserts the recorded call. moto keeps no pending lifecycle actions, so the "no active Lifecycle
 *   Action" answer is not exercised here (test/on-event covers it).
 * - StopInstances goes straight to `stopped` (AWS passes through `stopping`). ASSERTED AROUND: the
 *   `stopping` event arrives after the stop, an ordering EventBridge allows and on-event handles.
 * - DescribeInstanceInformation is not implemented, and status checks are `ok` for every running
 *   instance. NOT EXERCISED: status reads the members' SSM agents with DescribeInstanceInformation;
 *   against moto that read fails, so status says `ssmUnread` and shows no SSM column (the in-memory
 *   VPC covers the SSM view, test/failover/status-table.test.ts). The probe function is not run here
 *   (its peer probes need commands that really run), so health is EC2 state and status checks.
 *
 * - A prefix-list route (DestinationPrefixListId) created with a NetworkInterfaceId loses its
 *   prefix list (DescribeRouteTables shows no destination, ReplaceRoute finds no route). NOT
 *   EXERCISED: prefix-list routes through a NAT are tested on the in-memory VPC
 *   (test/failover/nat-routes.scenario.test.ts) and against the SDK mock (test/aws/ec2.test.ts);
 *   here the NAT table carries IPv4 and IPv6 routes besides its default route, which moto models.
 *
 * Where moto matches AWS, the product is held to it: ReplaceRoute on a missing route answers
 * InvalidParameterValue ("There is no route defined for …"), as EC2 does, and the EC2 adapter's
 * fallback to CreateRoute is proven against that answer.
 *
 * Every child (the moto server, each serverless process) runs under `timeout` in its own process
 * group and is stopped in afterAll, also on failure. The suite skips with one line where moto is
 * missing (test/setup/moto-gate.ts); VPCF_REQUIRE_MOTO=1 makes that a failure.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DescribeTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateRouteCommand, DescribeRouteTablesCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { ListCommandsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEc2Port } from '../../shared/aws/ec2.js';
import { RECENT_INDEX_NAME, TTL_ATTRIBUTE_NAME, tableDefinition } from '../../shared/aws/dynamo.js';
import type { GroupResult, StatusReport } from '../../shared/core/engine.js';
import type { EventResult } from '../../shared/events/handle.js';
import { fixture } from '../on-event/support/events.js';
import { type Children, killAll, sweepStaleTempDirs } from './support/children.js';
import { type MotoServer, describeMoto, startMoto } from './support/moto.js';
import { STAGE, type Invoker, type PackagedService, packageService } from './support/serverless.js';
import { deployStateTable } from './support/stack.js';
import {
  AZ_A,
  AZ_B,
  type EipPair,
  type Member,
  type NatPair,
  type OverlayPair,
  type VipPair,
  VpcBuilder,
  addressOf,
  clientConfig,
  networkInterface,
  privateIps,
  routesTo,
} from './support/vpc.js';

const FAILOVER_SH = fileURLToPath(new URL('../../scripts/failover.sh', import.meta.url));

/** The payload scripts/failover.sh builds from an operator's arguments (its --print mode). */
async function payloadOf(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)('bash', [FAILOVER_SH, ...args, '--print'], { timeout: 30_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Service copies that invoke at once: the machine has 2 cores, and each invocation is one node process. */
const LANES = 2;
const SETUP_TIMEOUT_MS = 300_000;
const INVOKE_TEST_TIMEOUT_MS = 240_000;

describeMoto('vpc-failover against moto', () => {
  const children: Children = new Set();
  let moto: MotoServer;
  let packaging: PackagedService | undefined;
  let service: PackagedService;
  let functions: Invoker;
  let ec2: EC2Client;
  let ssm: SSMClient;
  let dynamodb: DynamoDBClient;
  let builder: VpcBuilder;
  let tableName: string;
  const pairs = {} as {
    web: VipPair;
    edge: EipPair;
    nat: NatPair;
    ovl: OverlayPair;
    webStop: VipPair;
    natStop: NatPair;
    edgeSpot: EipPair;
    natLaunch: NatPair & { c: Member };
    ovlTerm: OverlayPair;
  };

  beforeAll(async () => {
    const check = inject('moto');
    if (!check.ok) throw new Error(check.reason);
    sweepStaleTempDirs();
    packaging = packageService({ lanes: LANES, children, packageDir: inject('packageDir') });
    moto = await startMoto(check.python, children);
    ec2 = new EC2Client(clientConfig(moto.endpoint));
    ssm = new SSMClient(clientConfig(moto.endpoint));
    dynamodb = new DynamoDBClient(clientConfig(moto.endpoint));

    builder = new VpcBuilder(ec2);
    const main = await builder.vpc('main');
    pairs.web = await builder.vipPair(main, 'web', 100);
    pairs.edge = await builder.eipPair(main, 'edge');
    pairs.nat = await builder.natPair('nat');
    // Routes besides the default one through the AZ-a NAT, which must move with it.
    for (const destination of [{ DestinationCidrBlock: '10.50.0.0/16' }, { DestinationIpv6CidrBlock: '::/0' }]) {
      await ec2.send(new CreateRouteCommand({ RouteTableId: pairs.nat.tables[AZ_A], ...destination, NetworkInterfaceId: pairs.nat.a.eniId }));
    }
    pairs.ovl = await builder.overlayPair(main, 'ovl', '172.16.0.10', 2);
    pairs.webStop = await builder.vipPair(main, 'web-stop', 101);
    pairs.natStop = await builder.natPair('nat-stop');
    pairs.edgeSpot = await builder.eipPair(main, 'edge-spot');
    const natLaunch = await builder.natPair('nat-launch');
    // A third NAT, launching: Auto Scaling holds it in Pending:Wait, source/dest check still on.
    const c = await builder.member(natLaunch.vpc, AZ_A, {
      Name: 'nat-launch-c',
      'failover:group': 'nat-launch',
      'failover:kind': 'nat',
      'failover:priority': '9',
    });
    pairs.natLaunch = { ...natLaunch, c };
    pairs.ovlTerm = await builder.overlayPair(main, 'ovl-term', '172.16.0.20', 1);

    service = packaging;
    // The VPCs this test deployment may change, as the vpcIds param gives them; built above, later ones are refused.
    functions = service.against(moto.endpoint, { VPCF_VPC_IDS: builder.vpcIds.join(',') });
    const table = service.template.Resources['StateTable']?.Properties ?? {};
    // CloudFormation names the table; the functions read the name from the stack (VPCF_TABLE_NAME: !Ref StateTable).
    tableName = await deployStateTable(moto.endpoint, service.template, `vpc-failover-${STAGE}`);
    const ttl = table['TimeToLiveSpecification'] as { AttributeName: string; Enabled: boolean } | undefined;
    if (ttl) await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: ttl }));
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await killAll(children);
    packaging?.dispose();
    await moto?.stop();
    for (const client of [ec2, ssm, dynamodb]) client?.destroy();
  }, 30_000);

  /**
   * `scripts/failover.sh <args>`, as `serverless invoke local` of the failover function with the
   * payload the script builds; fails the test with the CLI's output if the handler threw.
   */
  async function failover<T>(...args: string[]): Promise<T> {
    const payload = await payloadOf(...args);
    const run = await functions.invoke<T>('failover', payload);
    expect(run.ok, `failover ${JSON.stringify(payload)} failed:\n${run.stdout.slice(-3_000)}\n${run.stderr.slice(-2_000)}`).toBe(true);
    return run.result;
  }

  /** `serverless invoke local` of onEvent with a sample event from test/events, re-addressed to a moto instance and to now. */
  async function onEvent(sample: string, overrides: Parameters<typeof fixture>[1]): Promise<EventResult> {
    const event = fixture(sample, { id: randomUUID(), time: Date.now(), ...overrides });
    const run = await functions.invoke<EventResult>('onEvent', event);
    expect(run.ok, `onEvent ${sample} failed:\n${run.stdout.slice(-3_000)}\n${run.stderr.slice(-2_000)}`).toBe(true);
    return run.result;
  }

  /** A script (its `commands` lines) that adds the VIP, with the subnet's /24, to an interface. */
  const bringsUp = (vip: string) => expect.arrayContaining([expect.stringContaining(`ip addr add ${vip}/24 `), expect.stringContaining(`result=active ip=${vip} `)]);
  /** A script that removes the VIP from its interface. */
  const takesDown = (vip: string) => expect.arrayContaining([expect.stringContaining('ip addr del '), expect.stringContaining(`result=inactive ip=${vip} `)]);

  /** The `commands` lines of every SSM command moto recorded for the instance. */
  async function commandsSentTo(instanceId: string): Promise<string[][]> {
    const { Commands = [] } = await ssm.send(new ListCommandsCommand({ InstanceId: instanceId }));
    return Commands.filter((c) => c.DocumentName === 'AWS-RunShellScript' && c.InstanceIds?.includes(instanceId)).map((c) => c.Parameters?.['commands'] ?? []);
  }

  describe('the patched moto, where vpc-failover depends on AWS behaviour', () => {
    it('finds route tables carrying any of several tag keys, as AWS ORs tag-key values', async () => {
      const vpc = await builder.vpc('filter');
      const natTable = await builder.routeTable(vpc, { Name: 'private-a', NATAZ: AZ_A });
      const overlayTable = await builder.routeTable(vpc, { Name: 'overlay', 'failover:overlay': 'elsewhere' });
      await builder.routeTable(vpc, { Name: 'public' });

      const { RouteTables = [] } = await ec2.send(
        new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.vpcId] }, { Name: 'tag-key', Values: ['NATAZ', 'failover:overlay'] }] }),
      );

      expect(RouteTables.map((t) => t.RouteTableId).sort()).toEqual([natTable, overlayTable].sort());
    });

    it("shows an instance route with the instance's ENI, and as a blackhole once the instance is stopped", async () => {
      const vpc = await builder.vpc('blackhole');
      const node = await builder.member(vpc, AZ_A, { Name: 'router' }, false);
      const table = await builder.routeTable(vpc, { Name: 'via-router' });
      await ec2.send(new CreateRouteCommand({ RouteTableId: table, DestinationCidrBlock: '0.0.0.0/0', InstanceId: node.instanceId }));
      const before = (await routesTo(ec2, [table], '0.0.0.0/0'))[table];

      await ec2.send(new StopInstancesCommand({ InstanceIds: [node.instanceId] }));

      expect(before).toEqual({ networkInterfaceId: node.eniId, instanceId: node.instanceId, state: 'active' });
      expect((await routesTo(ec2, [table], '0.0.0.0/0'))[table]).toEqual({ networkInterfaceId: node.eniId, instanceId: node.instanceId, state: 'blackhole' });
    });
  });

  describe('the EC2 adapter against moto', () => {
    it("creates a route that vanished since the plan, on EC2's own answer to ReplaceRoute", async () => {
      const vpc = await builder.vpc('adapter');
      const node = await builder.member(vpc, AZ_A, { Name: 'adapter-node' }, false);
      const table = await builder.routeTable(vpc, { Name: 'no-default-route' });

      await createEc2Port(ec2).apply({
        type: 'replace-route',
        routeTableId: table,
        destination: { kind: 'ipv4', value: '0.0.0.0/0' },
        target: { kind: 'eni', networkInterfaceId: node.eniId, instanceId: node.instanceId },
      });

      expect((await routesTo(ec2, [table], '0.0.0.0/0'))[table]).toMatchObject({ networkInterfaceId: node.eniId, state: 'active' });
    });
  });

  describe('packaging', () => {
    it('packages the four functions and a state table, named by the stack, with the keys and the recent index the store uses', async () => {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
      const store = tableDefinition(tableName);
      const lambdas = Object.values(service.template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');

      expect(service.artifacts).toEqual(['failover.zip', 'onEvent.zip', 'probe.zip', 'sensor.zip']);
      expect(Table?.KeySchema).toEqual(store.KeySchema);
      expect(Table?.AttributeDefinitions).toEqual(expect.arrayContaining(store.AttributeDefinitions ?? []));
      expect(Table?.GlobalSecondaryIndexes?.map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection }))).toEqual(
        store.GlobalSecondaryIndexes?.map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection })),
      );
      expect(Table?.GlobalSecondaryIndexes?.[0]?.IndexName).toBe(RECENT_INDEX_NAME);
      expect(service.template.Resources['StateTable']?.Properties?.['TimeToLiveSpecification']).toEqual({ AttributeName: TTL_ATTRIBUTE_NAME, Enabled: true });
      const tables = lambdas.map((f) => (f.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables?.['VPCF_TABLE_NAME']);
      // Each function reads the name CloudFormation gave the table.
      expect(tables).toEqual([{ Ref: 'StateTable' }, { Ref: 'StateTable' }, { Ref: 'StateTable' }, { Ref: 'StateTable' }]);
      expect(tableName).toMatch(/^vpc-failover-dev-StateTable-/);
    });
  });

  describe.concurrent('moves, read back from moto', () => {
    describe('manual failover (scripts/failover.sh builds each payload)', () => {
      it('moves the VIP to the standby on a manual failover, as moto reports it', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { group, vip, a, b } = pairs.web;

        const result = await failover<GroupResult>('failover', group);

        expect(result).toMatchObject({ group, kind: 'vip', outcome: 'changed', before: [{ holder: a.instanceId }], after: [{ holder: b.instanceId }] });
        expect(result.actions.map((x) => [x.summary, x.status])).toEqual([
          [`assign ${vip} to ${b.eniId} (${b.instanceId})`, 'applied'],
          [`bring ${vip} up on ${b.instanceId}`, 'applied'],
          [`take ${vip} down on ${a.instanceId}`, 'applied'],
        ]);
        expect(await privateIps(ec2, [a.eniId, b.eniId])).toEqual({ [a.eniId]: [a.privateIp], [b.eniId]: [b.privateIp, vip] });
        // moto runs nothing: what is proven is the command each node was sent.
        expect(await commandsSentTo(b.instanceId)).toEqual([bringsUp(vip)]);
        expect(await commandsSentTo(a.instanceId)).toEqual([takesDown(vip)]);
      });

      it('moves the Elastic IP to the standby on a manual failover, as moto reports it', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { group, allocationId, publicIp, a, b } = pairs.edge;

        const result = await failover<GroupResult>('failover', group);

        expect(result).toMatchObject({ group, kind: 'eip', outcome: 'changed', before: [{ holder: a.instanceId }], after: [{ holder: b.instanceId }] });
        expect(await addressOf(ec2, allocationId)).toEqual({ networkInterfaceId: b.eniId, instanceId: b.instanceId, privateIp: b.privateIp });
        expect((await networkInterface(ec2, b.eniId)).publicIp).toBe(publicIp);
        expect((await networkInterface(ec2, a.eniId)).publicIp).toBeUndefined();
      });

      it("evacuates one NAT (--from): its AZ's table and the 'any' table route through the other NAT, 10.50.0.0/16 and ::/0 included", { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { group, a, b, tables } = pairs.nat;

        const result = await failover<GroupResult>('failover', group, '--from', a.instanceId);

        expect(result).toMatchObject({ group, kind: 'nat', outcome: 'changed' });
        expect(result.after.every((h) => h.holder === b.instanceId)).toBe(true);
        expect(await routesTo(ec2, [tables[AZ_A], tables[AZ_B], tables.any], '0.0.0.0/0')).toEqual({
          [tables[AZ_A]]: { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' },
          [tables[AZ_B]]: { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' },
          [tables.any]: { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' },
        });
        expect(await routesTo(ec2, [tables[AZ_A]], '10.50.0.0/16')).toEqual({ [tables[AZ_A]]: { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' } });
        const { RouteTables = [] } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tables[AZ_A]] }));
        expect(RouteTables[0]?.Routes?.find((r) => r.DestinationIpv6CidrBlock === '::/0')).toMatchObject({ NetworkInterfaceId: b.eniId, State: 'active' });
      });

      it('routes the overlay address to the standby in every tagged table, turning its source/dest check off first', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { group, cidr, a, b, tables } = pairs.ovl;

        const result = await failover<GroupResult>('failover', group);

        expect(result).toMatchObject({ group, kind: 'overlay', outcome: 'changed' });
        expect(result.actions[0]).toEqual({ summary: `disable source/dest check on ${b.eniId} (${b.instanceId})`, status: 'applied' });
        expect(await routesTo(ec2, tables, cidr)).toEqual(
          Object.fromEntries(tables.map((t) => [t, { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' }])),
        );
        expect((await networkInterface(ec2, b.eniId)).sourceDestCheck).toBe(false);
        expect(result.before.every((h) => h.holder === a.instanceId)).toBe(true);
      });
    });

    describe('onEvent, with the sample events of test/events re-addressed to moto instances', () => {
      it('moves the VIP off a holder that is stopping, sending it no command', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { group, vip, a, b } = pairs.webStop;
        await ec2.send(new StopInstancesCommand({ InstanceIds: [a.instanceId] }));

        const result = await onEvent('aws.ec2/stopping', { instanceId: a.instanceId });

        expect(result).toMatchObject({ action: 'evacuate', event: { kind: 'state-change', instanceId: a.instanceId }, groups: [{ group, outcome: 'changed' }] });
        expect(await privateIps(ec2, [a.eniId, b.eniId])).toEqual({ [a.eniId]: [a.privateIp], [b.eniId]: [b.privateIp, vip] });
        expect(await commandsSentTo(a.instanceId)).toEqual([]);
        expect(await commandsSentTo(b.instanceId)).toEqual([bringsUp(vip)]);
      });

      it('repairs the blackhole routes of a stopped NAT through the other NAT', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { group, a, b, tables } = pairs.natStop;
        await ec2.send(new StopInstancesCommand({ InstanceIds: [a.instanceId] }));

        const result = await onEvent('aws.ec2/stopped', { instanceId: a.instanceId });

        expect(result).toMatchObject({ action: 'reconcile', groups: [{ group, outcome: 'changed' }] });
        expect(result.groups[0]?.reason).toContain(`${a.instanceId} is a blackhole`);
        expect(await routesTo(ec2, [tables[AZ_A], tables[AZ_B], tables.any], '0.0.0.0/0')).toEqual({
          [tables[AZ_A]]: { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' },
          [tables[AZ_B]]: { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' },
          [tables.any]: { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' },
        });
      });

      it('moves the Elastic IP off an instance that got a Spot interruption warning', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { group, allocationId, a, b } = pairs.edgeSpot;

        const result = await onEvent('aws.ec2/spot-interruption', { instanceId: a.instanceId });

        expect(result).toMatchObject({ action: 'evacuate', event: { kind: 'spot-interruption' }, groups: [{ group, outcome: 'changed' }] });
        expect(await addressOf(ec2, allocationId)).toEqual({ networkInterfaceId: b.eniId, instanceId: b.instanceId, privateIp: b.privateIp });
      });

      it('turns the source/dest check of a launching NAT off, then lets Auto Scaling CONTINUE', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { a, c, tables } = pairs.natLaunch;
        const action = { token: randomUUID(), asg: 'nat-launch-asg', hook: 'vpc-failover-launch' };

        const result = await onEvent('aws.autoscaling/launch-lifecycle', { instanceId: c.instanceId, ...action });

        expect(result).toMatchObject({ action: 'prepare', lifecycle: 'completed', groups: [] });
        expect((await networkInterface(ec2, c.eniId)).sourceDestCheck).toBe(false);
        expect(moto.lifecycleCalls()).toContainEqual({
          AutoScalingGroupName: action.asg,
          LifecycleHookName: action.hook,
          LifecycleActionToken: action.token,
          InstanceId: c.instanceId,
          LifecycleActionResult: 'CONTINUE',
        });
        // Preparing a node moves nothing to it.
        expect(Object.values(await routesTo(ec2, [tables[AZ_A], tables.any], '0.0.0.0/0')).map((r) => r?.networkInterfaceId)).toEqual([a.eniId, a.eniId]);
      });

      it('moves the overlay route off a terminating instance before letting Auto Scaling CONTINUE', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
        const { group, cidr, a, b, tables } = pairs.ovlTerm;
        const action = { token: randomUUID(), asg: 'overlay-asg', hook: 'vpc-failover-terminate' };

        const result = await onEvent('aws.autoscaling/terminate-lifecycle', { instanceId: a.instanceId, ...action });

        expect(result).toMatchObject({ action: 'evacuate', lifecycle: 'completed', groups: [{ group, outcome: 'changed' }] });
        expect(await routesTo(ec2, tables, cidr)).toEqual(Object.fromEntries(tables.map((t) => [t, { networkInterfaceId: b.eniId, instanceId: b.instanceId, state: 'active' }])));
        expect(moto.lifecycleCalls()).toContainEqual({
          AutoScalingGroupName: action.asg,
          LifecycleHookName: action.hook,
          LifecycleActionToken: action.token,
          InstanceId: a.instanceId,
          LifecycleActionResult: 'CONTINUE',
        });
      });
    });
  });

  describe('status, after the moves', () => {
    it('reports every group with the holders moto shows, member health, and each move journaled (read through the recent index)', { timeout: INVOKE_TEST_TIMEOUT_MS }, async () => {
      const expected = await holdersAsMotoShowsThem();
      const stopped = new Set([pairs.webStop.a.instanceId, pairs.natStop.a.instanceId]);

      const report = await failover<StatusReport>('status');

      expect(report.groups.map((g) => g.group).sort()).toEqual(Object.keys(expected).sort());
      for (const status of report.groups) {
        expect(status.problems, status.group).toEqual([]);
        expect(Object.fromEntries(status.holders.map((h) => [h.scope, h.holder])), status.group).toEqual(expected[status.group]);
        expect(status.holders.every((h) => !h.broken), status.group).toBe(true);
        for (const member of status.members) expect(member.health, member.instanceId).toBe(stopped.has(member.instanceId) ? 'unhealthy' : 'healthy');
      }
      const journal = (name: string) => report.groups.find((g) => g.group === name)?.journal ?? [];
      const moved = { manual: [pairs.web, pairs.edge, pairs.nat, pairs.ovl], event: [pairs.webStop, pairs.natStop, pairs.edgeSpot, pairs.ovlTerm] };
      for (const [trigger, groups] of Object.entries(moved)) {
        for (const { group, a, b } of groups) {
          expect(journal(group), group).toEqual([expect.objectContaining({ group, trigger, from: a.instanceId, to: b.instanceId, outcome: 'applied' })]);
        }
      }
      expect(journal(pairs.natLaunch.group)).toEqual([]);
    });
  });

  /** Group → slot (VIP, allocation ID or route table) → the instance it points at, per moto's Describe calls. */
  async function holdersAsMotoShowsThem(): Promise<Record<string, Record<string, string | undefined>>> {
    const result: Record<string, Record<string, string | undefined>> = {};
    for (const { group, vip, a, b } of [pairs.web, pairs.webStop]) {
      const ips = await privateIps(ec2, [a.eniId, b.eniId]);
      result[group] = { [vip]: [a, b].find((m) => ips[m.eniId]?.includes(vip))?.instanceId };
    }
    for (const { group, allocationId } of [pairs.edge, pairs.edgeSpot]) {
      result[group] = { [allocationId]: (await addressOf(ec2, allocationId)).instanceId };
    }
    for (const { group, tables } of [pairs.nat, pairs.natStop, pairs.natLaunch]) {
      const routes = await routesTo(ec2, Object.values(tables), '0.0.0.0/0');
      result[group] = Object.fromEntries(Object.entries(routes).map(([table, route]) => [table, route?.instanceId]));
    }
    for (const { group, tables, cidr } of [pairs.ovl, pairs.ovlTerm]) {
      const routes = await routesTo(ec2, tables, cidr);
      result[group] = Object.fromEntries(Object.entries(routes).map(([table, route]) => [table, route?.instanceId]));
    }
    return result;
  }
});
