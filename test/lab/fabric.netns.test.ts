/**
 * The lab's data plane follows the simulated EC2 as a VPC would: an address reaches only the ENI
 * that holds it (once the move is effective), a subnet leaves through the NAT its route table
 * names, an instance answers for an address only if its OS has it up, a stopped instance's links
 * go down. Real packets, in network namespaces.
 */
import { AssignPrivateIpAddressesCommand, RebootInstancesCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { afterAll, expect, it } from 'vitest';
import { masqueradeRuleset } from '../../lab/fabric.js';
import { FORWARD_DROP_RULESET } from '../../lab/scenarios.js';
import { eventBridge } from '../../lab/events.js';
import { systemClock } from '../../shared/core/ports.js';
import { describeNetns, useLab } from '../netns/support/netns.js';
import { type FabricLab, ask, buildFabric, eventually } from './support/lab.js';

const ASSIGN_DELAY_MS = 400;

describeNetns('lab fabric: a VIP', () => {
  let built: FabricLab;
  const lab = useLab(async (namespaces) => {
    built = await buildFabric(namespaces, ['vip'], { assignDelayMs: ASSIGN_DELAY_MS });
  });
  afterAll(() => built?.fabric.close());
  const vipSide = () => built.topology.vip ?? (() => { throw new Error('no vip group'); })();
  const assign = (eni: string) => built.world.clients().ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: eni, PrivateIpAddresses: [vipSide().vip], AllowReassignment: true }));
  const effectiveOn = (instanceId: string, since: number) => () => built.events.find((e) => e.kind === 'address' && e.instanceId === instanceId && e.at >= since);

  it('reaches only the ENI that holds it in EC2, from the moment the move is effective', async () => {
    const { vip, a, b } = vipSide();
    // Both OSes have the address up: only the VPC decides who gets the packets.
    await lab().mustExec('web-b', ['ip', 'addr', 'replace', `${vip}/32`, 'dev', 'eth0']);
    const before = await ask(lab(), 'web-client', vip, 80);

    const since = Date.now();
    await assign(b.networkInterfaceId);
    const right = await ask(lab(), 'web-client', vip, 80);
    await eventually(effectiveOn(b.instanceId, since));
    const after = await ask(lab(), 'web-client', vip, 80);
    await assign(a.networkInterfaceId);
    await eventually(effectiveOn(a.instanceId, since));

    expect([before, right, after]).toEqual(['web-a', 'web-a', 'web-b']);
  });

  it('is not answered by a node whose OS lacks it, although the VPC delivers it there', async () => {
    const { vip } = vipSide();
    await lab().mustExec('web-a', ['ip', 'addr', 'flush', 'dev', 'eth0', 'to', `${vip}/32`]);

    const missing = await ask(lab(), 'web-client', vip, 80);
    await lab().mustExec('web-a', ['ip', 'addr', 'replace', `${vip}/32`, 'dev', 'eth0']);
    const restored = await ask(lab(), 'web-client', vip, 80);

    expect(missing).toBeUndefined();
    expect(restored).toBe('web-a');
  });

  it("is resolved by ARP to the VPC router, never to a node, from the VIP's own subnet", async () => {
    const { vip } = vipSide();
    await ask(lab(), 'web-client', vip, 80);

    const neighbour = await lab().mustExec('web-client', ['ip', 'neigh', 'show', vip]);

    expect(neighbour).toMatch(/lladdr 02:fe:/);
  });
});

describeNetns('lab fabric: NAT route tables', () => {
  let built: FabricLab;
  const lab = useLab(async (namespaces) => {
    built = await buildFabric(namespaces, ['nat']);
  });
  afterAll(() => built?.fabric.close());
  const natSide = () => built.topology.nat ?? (() => { throw new Error('no nat group'); })();
  const echo = () => built.topology.internet.echoAddresses[0] ?? '';

  it("sends a private subnet's packets through the NAT its route table names, and through the other once replaced", async () => {
    const { a, b, routeTables } = natSide();
    const before = await ask(lab(), 'client-a', echo(), 443, 'ping\n');

    await built.world.clients().ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId }));
    await eventually(() => built.events.find((e) => e.kind === 'route' && e.routeTableId === routeTables.a && e.via === b.instanceId));
    const after = await ask(lab(), 'client-a', echo(), 443, 'ping\n');

    // The echo server answers with the address it saw: the NAT that translated the request.
    expect(before).toBe(`${a.privateIp} ping`);
    expect(after).toBe(`${b.privateIp} ping`);
  });

  it('gets no answer from the internet through a NAT that forwards without masquerading', async () => {
    const { b } = natSide();
    const forwarding = await lab().mustExec('nat-b', ['sysctl', '-n', 'net.ipv4.ip_forward']);

    await lab().clearNft('nat-b');
    const untranslated = await ask(lab(), 'client-b', echo(), 443, 'ping\n');
    await lab().nft('nat-b', masqueradeRuleset('eth0'));
    const translated = await ask(lab(), 'client-b', echo(), 443, 'ping\n');

    expect(forwarding.trim()).toBe('1');
    expect(untranslated).toBeUndefined();
    expect(translated).toBe(`${b.privateIp} ping`);
  });

  it("routes a fleet sensor's connections through its subnet's NAT, which a forward drop silences while the NAT itself still gets out", async () => {
    const { b } = natSide();
    const through = await ask(lab(), 'sensor-b', echo(), 443, 'ping\n');

    await lab().mustExec('nat-b', ['sh', '-c', 'printf "%s\\n" "$1" | nft -f -', 'sh', FORWARD_DROP_RULESET]);
    const dropped = await ask(lab(), 'sensor-b', echo(), 443, 'ping\n');
    const own = await ask(lab(), 'nat-b', echo(), 443, 'ping\n');
    await lab().mustExec('nat-b', ['nft', 'delete', 'table', 'inet', 'vpcf_fwd']);

    expect(through).toBe(`${b.privateIp} ping`);
    expect(dropped).toBeUndefined();
    expect(own).toBe(`${b.privateIp} ping`);
  });
});

describeNetns('lab fabric: stopping an instance', () => {
  let built: FabricLab;
  const lab = useLab(async (namespaces) => {
    built = await buildFabric(namespaces, ['vip']);
  });
  afterAll(() => built?.fabric.close());

  it('emits stopping at once, takes the links down after the shutdown delay, then emits stopped', async () => {
    const { a } = built.topology.vip ?? (() => { throw new Error('no vip group'); })();
    const seen: string[] = [];
    const bridge = eventBridge(built.world, async (event) => seen.push(`${event.detail.state} links=${(await lab().mustExec('web-a', ['cat', '/sys/class/net/eth0/operstate'])).trim()}`), {
      delayMs: 0,
      clock: systemClock,
      newId: () => 'event-1',
    });
    const reachableBefore = await ask(lab(), 'web-client', a.privateIp, 80);

    await built.fabric.stop(a.instanceId, 300, (ms) => systemClock.sleep(ms));
    await bridge.idle();
    await bridge.close();
    const reachableAfter = await ask(lab(), 'web-client', a.privateIp, 80);

    expect(seen).toEqual(['stopping links=up', 'stopped links=down']);
    expect(built.world.instance(a.instanceId).state).toBe('stopped');
    expect(reachableBefore).toBe('web-a');
    expect(reachableAfter).toBeUndefined();
  });
});

describeNetns('lab fabric: rebooting an instance', () => {
  let built: FabricLab;
  const lab = useLab(async (namespaces) => {
    built = await buildFabric(namespaces, ['vip'], { lifecycle: { rebootMs: 300 } });
  });
  afterAll(() => built?.fabric.close());

  it('takes the links down at the call and brings the node back without the addresses its OS was given by hand', async () => {
    const { a, vip } = built.topology.vip ?? (() => { throw new Error('no vip group'); })();
    const addresses = async () => (await lab().mustExec('web-a', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).match(/inet [0-9.]+/g)?.map((m) => m.slice(5));
    const before = await addresses();

    await built.world.clients().ec2.send(new RebootInstancesCommand({ InstanceIds: [a.instanceId] }));
    await eventually(() => built.events.find((e) => e.kind === 'reboot' && e.phase === 'down'));
    const during = await ask(lab(), 'web-client', a.privateIp, 80);
    await systemClock.sleep(300);
    built.world.settle();
    await eventually(() => built.events.find((e) => e.kind === 'reboot' && e.phase === 'up'));
    const after = await ask(lab(), 'web-client', a.privateIp, 80);

    expect(before).toEqual([a.privateIp, vip]);
    expect(during).toBeUndefined();
    expect(await addresses()).toEqual([a.privateIp]);
    expect(after).toBe('web-a');
  });
});
