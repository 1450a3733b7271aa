/** The world's change feed: what a mirror of the VPC (the lab's data plane) is told, and when. */
import { AssignPrivateIpAddressesCommand, CreateRouteCommand, DeleteRouteCommand, RebootInstancesCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../sim/clock.js';
import { type WorldChange, buildNatPair, buildVipPair } from '../../sim/world.js';

function recorder() {
  const changes: WorldChange[] = [];
  return { changes, listener: (change: WorldChange) => void changes.push(change) };
}

describe('world changes', () => {
  it('reports a reassigned secondary IP with the moment the move becomes effective', async () => {
    const clock = manualClock();
    const { world, a, b, vip } = buildVipPair({ worldOptions: { clock, assignDelayMs: 1_500 } });
    const { changes, listener } = recorder();
    world.onChange(listener);

    await world.clients().ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: b.networkInterfaceId, PrivateIpAddresses: [vip], AllowReassignment: true }));

    expect(changes).toEqual([{ kind: 'secondary-ip', ip: vip, from: a.networkInterfaceId, to: b.networkInterfaceId, effectiveAt: clock.now() + 1_500 }]);
  });

  it('reports created, replaced and deleted routes with their new target', async () => {
    const clock = manualClock();
    const { world, b, routeTables } = buildNatPair({ worldOptions: { clock } });
    const { ec2 } = world.clients();
    const { changes, listener } = recorder();
    world.onChange(listener);

    await ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '192.0.2.0/24', NetworkInterfaceId: b.networkInterfaceId }));
    await ec2.send(new DeleteRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '192.0.2.0/24' }));

    const target = { kind: 'eni', networkInterfaceId: b.networkInterfaceId };
    expect(changes).toEqual([
      { kind: 'route', routeTableId: routeTables.a, destination: '0.0.0.0/0', target },
      { kind: 'route', routeTableId: routeTables.a, destination: '192.0.2.0/24', target },
      { kind: 'route', routeTableId: routeTables.a, destination: '192.0.2.0/24', target: undefined },
    ]);
  });

  it('reports every state transition once, and a stop after its addresses are gone from the OS', () => {
    const { world, a } = buildVipPair();
    const seen: string[] = [];
    world.onChange((change) => {
      if (change.kind === 'instance-state') seen.push(`${change.from}>${change.to} os=${world.osIps(a.instanceId).length}`);
    });

    world.setState(a.instanceId, 'stopping');
    world.setState(a.instanceId, 'stopping');
    world.stop(a.instanceId);
    world.start(a.instanceId);
    world.terminate(a.instanceId);

    expect(seen).toEqual(['running>stopping os=2', 'stopping>stopped os=0', 'stopped>running os=1', 'running>terminated os=0']);
  });

  it('reports a reboot as the OS going away at the call and coming back, without its hand-added addresses, after rebootMs', async () => {
    const clock = manualClock();
    const { world, a, vip } = buildVipPair({ worldOptions: { clock, lifecycle: { rebootMs: 10_000 } } });
    const seen: string[] = [];
    world.onChange((change) => {
      if (change.kind === 'reboot') seen.push(`${change.phase} os=${world.osIps(a.instanceId).join(',')}`);
    });

    await world.clients().ec2.send(new RebootInstancesCommand({ InstanceIds: [a.instanceId] }));
    clock.advance(9_999);
    world.settle();
    const before = [...seen];
    clock.advance(1);
    world.settle();

    expect(before).toEqual([`down os=${a.privateIp},${vip}`]);
    expect(seen).toEqual([`down os=${a.privateIp},${vip}`, `up os=${a.privateIp}`]);
  });

  it('stops telling a listener that unsubscribed', () => {
    const { world, a } = buildVipPair();
    const { changes, listener } = recorder();
    const unsubscribe = world.onChange(listener);

    unsubscribe();
    world.stop(a.instanceId);

    expect(changes).toEqual([]);
  });
});
