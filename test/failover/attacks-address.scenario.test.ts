/**
 * Attacks on address ownership, on the in-memory VPC: whoever may tag an instance enrols it in a
 * group of their own naming someone else's Elastic IP or private address. Every path that can move
 * traffic is tried (the probe's reconcile, the manual `failover` function, the on-event function
 * on the instance's `running` event) and each must leave the world as it was: no switch call
 * reaches EC2, status names the problem, and people are told (SNS, mocked). The last scenarios
 * show the rule takes nothing away: an address nobody holds is still claimed.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandler as failoverHandler } from '../../functions/failover.js';
import { createHandler as onEventHandler } from '../../functions/on-event.js';
import { createLifecyclePort } from '../../shared/aws/autoscaling.js';
import { createProbeStateStore } from '../../shared/aws/dynamo.js';
import type { GroupResult, StatusReport } from '../../shared/core/engine.js';
import type { EventResult } from '../../shared/events/handle.js';
import { withProbeVerdicts } from '../../shared/failover-wiring.js';
import { createRuntime } from '../../shared/runtime.js';
import { type DynaliteHandle, startDynalite } from '../../sim/dynalite.js';
import { type ManualClock, manualClock } from '../../sim/clock.js';
import { VpcWorld, buildEipPair, buildVipPair } from '../../sim/world.js';
import { fixture } from '../on-event/support/events.js';
import { freshTable, lambdaContext, memoryLog } from '../support/harness.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:vpc-failover-notices';
const sns = mockClient(SNSClient);

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db?.stop();
  sns.restore();
});
beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

let requests = 0;

/** The functions wired as in Lambda over `world`, with notices to a mocked SNS topic. */
async function deployment(world: VpcWorld, clock: ManualClock) {
  const tableName = await freshTable(db, 'vpcf-attacks');
  const { ec2, ssm, autoscaling } = world.clients();
  const runtime = createRuntime({
    env: { VPCF_TABLE_NAME: tableName, VPCF_NOTIFY_TOPIC: TOPIC },
    clients: { ec2, ssm, dynamodb: db.client, sns: new SNSClient({ region: 'us-east-1' }) },
    clock,
    log: memoryLog(),
    writeMetrics: () => undefined,
  });
  const failover = failoverHandler(() => withProbeVerdicts(runtime, createProbeStateStore(db.client, tableName)));
  const onEvent = onEventHandler(() => ({ ...runtime, lifecycle: createLifecyclePort(autoscaling) }));
  const context = (name: string): Context => lambdaContext(`attack-${++requests}`, 60_000, name);
  return {
    /** What the probe does each round: reconcile every group. */
    probeRound: () => runtime.engine(`probe-${++requests}`).run({ intent: { type: 'reconcile' }, trigger: 'probe', deadline: clock.now() + 30_000 }),
    manual: async (payload: object) => (await failover(payload, context('failover'))) as GroupResult,
    status: async (group: string) => (await failover({ action: 'status', group }, context('failover'))) as StatusReport,
    event: (instanceId: string) => onEvent(fixture('aws.ec2/running', { instanceId, time: clock.now() }), context('onEvent')) as Promise<EventResult>,
  };
}

/** Where every address of the world points now. */
function addressMap(world: VpcWorld) {
  return {
    eips: [...world.eips.keys()].map((id) => [id, world.eipHolder(id)?.networkInterfaceId]),
    secondaries: [...world.enis.keys()].map((id) => [id, world.secondariesOf(id, 'truth')]),
  };
}

/**
 * Runs the attacker's group through every path that can move traffic and checks that nothing
 * moved, that status names the problem, and that one notice said so.
 */
async function attempt(world: VpcWorld, clock: ManualClock, group: string, attacker: string, problem: string) {
  const d = await deployment(world, clock);
  const before = addressMap(world);
  world.clearCalls();

  const [probe] = (await d.probeRound()).filter((r) => r.group === group);
  const manual = await d.manual({ action: 'failover', group, to: attacker });
  const event = await d.event(attacker);
  const status = await d.status(group);

  expect(probe).toMatchObject({ group, outcome: 'refused', notify: true, reason: expect.stringContaining(problem) });
  expect(manual).toMatchObject({ group, outcome: 'refused', reason: expect.stringContaining(problem) });
  expect(event.groups).toEqual([expect.objectContaining({ group, outcome: 'refused' })]);
  expect(status.groups[0]?.problems).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
  expect(world.inputs('AssociateAddress')).toEqual([]);
  expect(world.inputs('AssignPrivateIpAddresses')).toEqual([]);
  expect(world.mutations()).toEqual([]);
  expect(addressMap(world)).toEqual(before);
  // The probe's round and the event each told it; the hour's quiet period is per subject (trigger included).
  const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject ?? '');
  expect(subjects.filter((s) => s.includes(`${group} cannot move (probe: misconfigured, never moved:`))).toHaveLength(1);
  return d;
}

/** An instance the attacker may tag, running in `subnet`, enrolled in a group of their own. */
function attackerNode(world: VpcWorld, subnet: string, tags: Record<string, string>): string {
  return world.addInstance({ subnet, tags: { Name: 'attacker', 'failover:group': 'steal', ...tags } }).instanceId;
}

describe('attack: steal an Elastic IP', () => {
  it("moves nothing when the group names someone else's untagged Elastic IP", async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const subnet = world.addSubnet({ cidr: '10.0.1.0/24' });
    const victim = world.addInstance({ subnet, tags: { Name: 'victim' } });
    const allocation = world.addEip({ tags: { Name: 'victim-eip' } });
    world.associateEip(allocation, { networkInterfaceId: victim.networkInterfaceId });
    const attacker = attackerNode(world, subnet, { 'failover:kind': 'eip', 'failover:eip': allocation });

    await attempt(world, clock, 'steal', attacker, `Elastic IP ${allocation} (203.0.113.10) does not carry the tag failover:group=steal`);

    expect(world.eipHolder(allocation)?.instanceId).toBe(victim.instanceId);
  });

  it("moves nothing when the group names an unused Elastic IP that is not tagged for it (the lazy theft)", async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const subnet = world.addSubnet({ cidr: '10.0.1.0/24' });
    const allocation = world.addEip({ tags: { Name: 'reserved-for-prod' } });
    const attacker = attackerNode(world, subnet, { 'failover:kind': 'eip', 'failover:eip': allocation });

    await attempt(world, clock, 'steal', attacker, `does not carry the tag failover:group=steal`);

    expect(world.eipHolder(allocation)).toBeUndefined();
  });

  it("moves nothing, in either group, when the group names another group's Elastic IP", async () => {
    const clock = manualClock();
    const edge = buildEipPair({ worldOptions: { clock }, group: 'edge' });
    const attacker = attackerNode(edge.world, edge.subnetA, { 'failover:kind': 'eip', 'failover:eip': edge.allocationId });

    const d = await attempt(edge.world, clock, 'steal', attacker, `Elastic IP ${edge.allocationId} (${edge.publicIp}) is tagged failover:group=edge, not steal`);

    expect(edge.world.eipHolder(edge.allocationId)?.instanceId).toBe(edge.a.instanceId);
    // Both groups claim one allocation: the owner is refused too (and told), never moved by the attacker.
    expect((await d.status('edge')).groups[0]?.problems).toEqual([`Elastic IP ${edge.allocationId} is also claimed by group steal: two groups never share an address; give each group its own`]);
  });

  it('moves nothing when an Elastic IP tagged for the group is held by an instance outside it', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const subnet = world.addSubnet({ cidr: '10.0.1.0/24' });
    const victim = world.addInstance({ subnet, tags: { Name: 'victim' } });
    const allocation = world.addEip({ tags: { 'failover:group': 'steal' } });
    world.associateEip(allocation, { networkInterfaceId: victim.networkInterfaceId });
    const attacker = attackerNode(world, subnet, { 'failover:kind': 'eip', 'failover:eip': allocation });

    await attempt(world, clock, 'steal', attacker, `is associated with ${victim.networkInterfaceId} (instance ${victim.instanceId}; private IP ${victim.privateIp}), outside steal`);

    expect(world.eipHolder(allocation)?.instanceId).toBe(victim.instanceId);
  });
});

describe('attack: steal a private address', () => {
  it("moves nothing when the group names an EKS pod's address", async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const subnet = world.addSubnet({ cidr: '10.0.1.0/24' });
    const worker = world.addInstance({ subnet, tags: { Name: 'eks-worker' } });
    const pod = world.addNetworkInterface({ subnet, secondaryIps: ['10.0.1.77'], interfaceType: 'branch', description: 'aws-k8s-branch-eni', attachTo: { instanceId: worker.instanceId, deviceIndex: 1 } });
    const attacker = attackerNode(world, subnet, { 'failover:kind': 'vip', 'failover:vip': '10.0.1.77' });

    await attempt(world, clock, 'steal', attacker, `VIP 10.0.1.77 is held by ${pod.networkInterfaceId} (instance ${worker.instanceId}; interface type branch; 'aws-k8s-branch-eni'), outside steal`);

    expect(world.ipHolderEni('10.0.1.77')).toBe(pod.networkInterfaceId);
  });

  it("moves nothing, in either group, when the group names another cluster's VIP", async () => {
    const clock = manualClock();
    const db1 = buildVipPair({ worldOptions: { clock }, group: 'db' });
    const attacker = attackerNode(db1.world, db1.subnetId, { 'failover:kind': 'vip', 'failover:vip': db1.vip });

    const d = await attempt(db1.world, clock, 'steal', attacker, `VIP ${db1.vip} is held by ${db1.a.networkInterfaceId} (instance ${db1.a.instanceId}; interface type interface), outside steal`);

    expect(db1.world.vipHolder(db1.vip)).toBe(db1.a.instanceId);
    expect((await d.status('db')).groups[0]?.problems).toEqual([`VIP ${db1.vip} in ${db1.vpcId} is also claimed by group steal: two groups never share an address; give each group its own`]);
  });

  it('moves nothing when two groups name one free address', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const subnet = world.addSubnet({ cidr: '10.0.1.0/24' });
    world.addInstance({ subnet, tags: { 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': '10.0.1.88' } });
    const attacker = attackerNode(world, subnet, { 'failover:kind': 'vip', 'failover:vip': '10.0.1.88' });

    const d = await attempt(world, clock, 'steal', attacker, 'VIP 10.0.1.88 in vpc-00000000000000001 is also claimed by group web');

    expect(world.ipHolderEni('10.0.1.88')).toBeUndefined();
    expect((await d.status('web')).groups[0]?.problems).toEqual(['VIP 10.0.1.88 in vpc-00000000000000001 is also claimed by group steal: two groups never share an address; give each group its own']);
  });
});

describe('what ownership leaves alone', () => {
  it('still claims a VIP that nobody in the subnet holds', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock, assignDelayMs: 0 });
    const subnet = world.addSubnet({ cidr: '10.0.1.0/24' });
    const node = world.addInstance({ subnet, tags: { 'failover:group': 'fresh', 'failover:kind': 'vip', 'failover:vip': '10.0.1.99' } });
    const d = await deployment(world, clock);

    const [result] = await d.probeRound();

    expect(result).toMatchObject({ group: 'fresh', outcome: 'changed' });
    expect(world.inputs('AssignPrivateIpAddresses')).toEqual([{ NetworkInterfaceId: node.networkInterfaceId, PrivateIpAddresses: ['10.0.1.99'], AllowReassignment: true }]);
    expect(world.vipHolder('10.0.1.99')).toBe(node.instanceId);
  });

  it('still claims an unused Elastic IP tagged for the group', async () => {
    const clock = manualClock();
    const world = new VpcWorld({ clock });
    const subnet = world.addSubnet({ cidr: '10.0.1.0/24' });
    const allocation = world.addEip({ tags: { 'failover:group': 'edge' } });
    const node = world.addInstance({ subnet, tags: { 'failover:group': 'edge', 'failover:kind': 'eip', 'failover:eip': allocation } });
    const d = await deployment(world, clock);

    const [result] = await d.probeRound();

    expect(result).toMatchObject({ group: 'edge', outcome: 'changed' });
    expect(world.eipHolder(allocation)?.instanceId).toBe(node.instanceId);
  });
});
