/**
 * The world's SSM agents: PingStatus as DescribeInstanceInformation reports it, and Run Command
 * delivery, both following whether an instance's agent has a path to SSM (its own link, the NAT in
 * front of its subnet, the VPC's endpoints).
 */
import { DescribeInstanceInformationCommand, GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { createSsmAgentPort } from '../../shared/aws/ssm.js';
import { manualClock } from '../../sim/clock.js';
import { VpcWorld, buildNatPair, buildVipPair } from '../../sim/world.js';

/** A NAT pair and one instance in the private subnet behind NAT A. */
function behindANat() {
  const clock = manualClock();
  const world = new VpcWorld({ clock, ssm: { notFoundPolls: 0 } });
  const nat = buildNatPair({ world, group: 'egress' });
  const app = world.addInstance({ subnet: nat.privateSubnets.a }).instanceId;
  const pings = () => createSsmAgentPort(world.clients().ssm).pingStatus([app, nat.a.instanceId, nat.b.instanceId]);
  return { clock, world, nat, app, pings };
}

describe('PingStatus', () => {
  it('is Online for a running instance whose subnet reaches SSM through a live NAT', async () => {
    const { app, nat, pings } = behindANat();
    expect([...(await pings())]).toEqual([
      [app, 'online'],
      [nat.a.instanceId, 'online'],
      [nat.b.instanceId, 'online'],
    ]);
  });

  it.each([
    ['hangs', (w: VpcWorld, id: string) => w.hang(id)],
    ['stops', (w: VpcWorld, id: string) => w.stop(id)],
  ])('turns ConnectionLost for the instances behind a NAT that %s, and back once the route points at a live NAT', async (_how, kill) => {
    const { world, nat, app, pings } = behindANat();
    kill(world, nat.a.instanceId);

    const dead = await pings();
    world.routeTable(nat.routeTables.a).routes.find((r) => r.destination === '0.0.0.0/0')!.target = { kind: 'eni', networkInterfaceId: nat.b.networkInterfaceId };
    const moved = await pings();

    expect(dead.get(app)).toBe('connection-lost');
    expect(dead.get(nat.b.instanceId)).toBe('online');
    expect(moved.get(app)).toBe('online');
  });

  it('stays Online behind a dead NAT when the VPC has the SSM endpoints', async () => {
    const { world, nat, app, pings } = behindANat();
    world.ssmAgents.endpoints.add(nat.vpcId);
    world.hang(nat.a.instanceId);

    expect((await pings()).get(app)).toBe('online');
  });

  it('is ConnectionLost for an instance whose own link is down, and lists no unregistered instance', async () => {
    const clock = manualClock();
    const { world, a, b } = buildVipPair({ worldOptions: { clock } });
    world.ssmAgents.linkDown.add(a.instanceId);
    world.ssmAgents.unregistered.add(b.instanceId);

    const output = await world.clients().ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [a.instanceId, b.instanceId] }], MaxResults: 50 }));

    expect(output.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus])).toEqual([[a.instanceId, 'ConnectionLost']]);
  });

  it.each([4, 51])('refuses MaxResults %i, as the service does (5 to 50)', async (maxResults) => {
    const { world } = buildVipPair({ worldOptions: { clock: manualClock() } });
    await expect(world.clients().ssm.send(new DescribeInstanceInformationCommand({ MaxResults: maxResults }))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('Run Command without a path to SSM', () => {
  async function send(world: VpcWorld, instanceId: string): Promise<string> {
    const output = await world.clients().ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceId], Parameters: { commands: ['ip addr add 10.0.1.100/32 dev "$dev"'] }, TimeoutSeconds: 30 }));
    return output.Command!.CommandId!;
  }
  const status = async (world: VpcWorld, commandId: string, instanceId: string) =>
    (await world.clients().ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }))).StatusDetails;

  it('waits while the link is down, and is delivered if it comes back before the delivery timeout', async () => {
    const clock = manualClock();
    const { world, b } = buildVipPair({ worldOptions: { clock, ssm: { notFoundPolls: 0 } } });
    world.ssmAgents.linkDown.add(b.instanceId);
    const commandId = await send(world, b.instanceId);

    clock.advance(10_000);
    const waiting = await status(world, commandId, b.instanceId);
    world.ssmAgents.linkDown.delete(b.instanceId);
    clock.advance(1_000);

    expect(waiting).toBe('Pending');
    expect(await status(world, commandId, b.instanceId)).not.toBe('Pending');
  });

  it('times out undelivered when the link stays down past the delivery timeout', async () => {
    const clock = manualClock();
    const { world, b } = buildVipPair({ worldOptions: { clock, ssm: { notFoundPolls: 0 } } });
    world.ssmAgents.linkDown.add(b.instanceId);
    const commandId = await send(world, b.instanceId);

    clock.advance(31_000);
    const timedOut = await status(world, commandId, b.instanceId);
    world.ssmAgents.linkDown.delete(b.instanceId);

    expect(timedOut).toBe('DeliveryTimedOut');
    expect(await status(world, commandId, b.instanceId)).toBe('DeliveryTimedOut');
  });

  it('refuses an instance with no registered agent, as SSM does (InvalidInstanceId)', async () => {
    const { world, b } = buildVipPair({ worldOptions: { clock: manualClock() } });
    world.ssmAgents.unregistered.add(b.instanceId);
    await expect(send(world, b.instanceId)).rejects.toMatchObject({ name: 'InvalidInstanceId' });
  });
});
