/**
 * A NAT gateway as a nat group's last resort, against moto with the packaged functions (`serverless
 * invoke local`, as in moto.e2e.test.ts): a nat pair and a zonal NAT gateway in AZ a tagged for the
 * group; both NAT instances stop; the `stopped` event's reconcile points every NATAZ table at the
 * gateway, read back through moto's DescribeRouteTables; status lists the gateway with its state.
 *
 * moto differs from AWS here:
 * - DescribeNatGateways ignores the `tag-key` filter and returns every gateway of the region. ASSERTED
 *   AROUND: an untagged gateway in the same VPC is never a target (the product keeps only gateways
 *   carrying failover:group, as it would on AWS).
 * - moto has no regional NAT gateway (no AvailabilityMode). NOT EXERCISED: regional gateways are
 *   tested on the in-memory VPC (test/failover/nat-gateway.scenario.test.ts) and against the SDK mock.
 */
import { randomUUID } from 'node:crypto';
import { AllocateAddressCommand, CreateNatGatewayCommand, DescribeRouteTablesCommand, EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { StatusReport } from '../../shared/core/engine.js';
import type { EventResult } from '../../shared/events/handle.js';
import { fixture } from '../on-event/support/events.js';
import { type Children, killAll, sweepStaleTempDirs } from './support/children.js';
import { type MotoServer, describeMoto, startMoto } from './support/moto.js';
import { type Invoker, type PackagedService, STAGE, packageService } from './support/serverless.js';
import { deployStateTable } from './support/stack.js';
import { AZ_A, AZ_B, type NatPair, VpcBuilder, clientConfig } from './support/vpc.js';

const SETUP_TIMEOUT_MS = 300_000;
const TEST_TIMEOUT_MS = 300_000;

describeMoto('a NAT gateway as the last resort, against moto', () => {
  const children: Children = new Set();
  let moto: MotoServer;
  let packaging: PackagedService | undefined;
  let functions: Invoker;
  let ec2: EC2Client;
  let nat: NatPair;
  let gateway: string;
  let untagged: string;

  async function natGateway(subnetId: string, tags: Record<string, string>): Promise<string> {
    const { AllocationId } = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    const { NatGateway } = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId, TagSpecifications: [{ ResourceType: 'natgateway', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }),
    );
    if (!NatGateway?.NatGatewayId) throw new Error('moto returned no NatGatewayId');
    return NatGateway.NatGatewayId;
  }

  beforeAll(async () => {
    const check = inject('moto');
    if (!check.ok) throw new Error(check.reason);
    sweepStaleTempDirs();
    packaging = packageService({ lanes: 2, children, packageDir: inject('packageDir') });
    moto = await startMoto(check.python, children);
    ec2 = new EC2Client(clientConfig(moto.endpoint));
    const builder = new VpcBuilder(ec2);
    nat = await builder.natPair('natgw');
    // Created first, so that moto lists it first: an untagged gateway is never taken.
    untagged = await natGateway(nat.vpc.subnets[AZ_B], { Name: 'someone-elses' });
    gateway = await natGateway(nat.vpc.subnets[AZ_A], { Name: 'natgw-last-resort', 'failover:group': nat.group });
    functions = packaging.against(moto.endpoint, { VPCF_VPC_IDS: builder.vpcIds.join(',') });
    await deployStateTable(moto.endpoint, packaging.template, `vpc-failover-${STAGE}`);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await killAll(children);
    packaging?.dispose();
    await moto?.stop();
    ec2?.destroy();
  }, 30_000);

  it('points every NATAZ table at the tagged gateway once both NAT instances have stopped, and status shows it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { group, a, b, tables } = nat;
    await ec2.send(new StopInstancesCommand({ InstanceIds: [a.instanceId, b.instanceId] }));

    const run = await functions.invoke<EventResult>('onEvent', fixture('aws.ec2/stopped', { id: randomUUID(), time: Date.now(), instanceId: b.instanceId }));

    expect(run.ok, `onEvent failed:\n${run.stdout.slice(-3_000)}\n${run.stderr.slice(-2_000)}`).toBe(true);
    expect(run.result).toMatchObject({ action: 'reconcile', groups: [{ group, outcome: 'changed' }] });
    const { RouteTables = [] } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tables[AZ_A], tables[AZ_B], tables.any] }));
    const defaults = Object.fromEntries(RouteTables.map((t) => [t.RouteTableId, t.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')]));
    for (const id of [tables[AZ_A], tables[AZ_B], tables.any]) expect(defaults[id]).toMatchObject({ NatGatewayId: gateway, State: 'active' });
    expect(JSON.stringify(RouteTables)).not.toContain(untagged);

    const status = await functions.invoke<StatusReport>('failover', { action: 'status', group });

    expect(status.ok, status.stderr.slice(-2_000)).toBe(true);
    expect(status.result.groups[0]).toMatchObject({ group, kind: 'nat', gateways: [{ natGatewayId: gateway, state: 'available', mode: 'zonal', availabilityZone: AZ_A }] });
    expect(status.result.groups[0]?.holders.map((h) => h.holder)).toEqual([gateway, gateway, gateway]);
  });
});
