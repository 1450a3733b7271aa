/** The VPC router as `ip` lines: what the lab's router namespace holds for a given EC2 state. */
import { ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { checkTopology } from '../../lab/fabric.js';
import { type Port, hopOf, hostRoute, noHost, portRule, renderRouter, tableOfSubnet, tableRoute, tableRouteDeleted } from '../../lab/router.js';
import { buildLabTopology } from '../../lab/topology.js';
import { VpcWorld, buildNatPair, buildVipPair } from '../../sim/world.js';

const uplink = { dev: 'igw', gateway: '198.51.100.2' };
const port = (dev: string, ip: string, mac: string, eniId = 'eni-x'): Port => ({ eniId, dev, ip, mac });

describe('router lines', () => {
  it('delivers an address to one port with a /32 and a permanent neighbour, replacing what was there', () => {
    expect(hostRoute('10.0.1.100', port('p1', '10.0.1.11', '02:00:00:00:00:02'))).toEqual([
      'route replace 10.0.1.100/32 dev p1',
      'neigh replace 10.0.1.100 lladdr 02:00:00:00:00:02 dev p1 nud permanent',
    ]);
    expect(noHost('10.0.1.100')).toEqual(['route replace blackhole 10.0.1.100/32']);
  });

  it('renders each kind of route table target', () => {
    const p = port('p3', '10.1.2.10', '02:00:00:00:00:05');

    expect(tableRoute(101, '10.1.0.0/16', { kind: 'local' }, uplink)).toBe('route replace table 101 throw 10.1.0.0/16');
    expect(tableRoute(101, '0.0.0.0/0', { kind: 'port', port: p }, uplink)).toBe('route replace table 101 0.0.0.0/0 via 10.1.2.10 dev p3 onlink');
    expect(tableRoute(101, '0.0.0.0/0', { kind: 'internet' }, uplink)).toBe('route replace table 101 0.0.0.0/0 via 198.51.100.2 dev igw onlink');
    expect(tableRoute(101, '0.0.0.0/0', { kind: 'blackhole' }, uplink)).toBe('route replace table 101 blackhole 0.0.0.0/0');
    expect(portRule(p, 101, 1003)).toBe('rule add iif p3 lookup 101 priority 1003');
  });

  it.each([
    () => hostRoute('10.0.1.100; reboot', port('p1', '10.0.1.11', '02:00:00:00:00:02')),
    () => hostRoute('10.0.1.100', port('p1 up', '10.0.1.11', '02:00:00:00:00:02')),
    () => hostRoute('10.0.1.100', port('p1', '10.0.1.11', '02:00:00:00:00:0Z')),
    () => tableRoute(254, '0.0.0.0/0', { kind: 'local' }, uplink),
    () => tableRoute(101, '0.0.0.0/33', { kind: 'local' }, uplink),
  ])('refuses a value that is not what it claims to be (%#)', (build) => {
    expect(build).toThrow(/refusing to build a router command/);
  });
});

describe('router state from the world', () => {
  it('sends a table route to the target ENI, and to a blackhole once its instance stopped', async () => {
    const { world, a, b, routeTables } = buildNatPair();
    const ports = new Map([[a.networkInterfaceId, port('p0', a.privateIp, a.macAddress, a.networkInterfaceId)], [b.networkInterfaceId, port('p1', b.privateIp, b.macAddress, b.networkInterfaceId)]]);
    const route = () => world.routeTable(routeTables.a).routes.find((r) => r.destination === '0.0.0.0/0');

    const before = hopOf(world, route()!, ports);
    world.stop(a.instanceId);
    const stopped = hopOf(world, route()!, ports);
    await world.clients().ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: b.networkInterfaceId }));
    const replaced = hopOf(world, route()!, ports);

    expect(before).toEqual({ kind: 'port', port: ports.get(a.networkInterfaceId) });
    expect(stopped).toEqual({ kind: 'blackhole' });
    expect(replaced).toEqual({ kind: 'port', port: ports.get(b.networkInterfaceId) });
  });

  it('sends a route through a peering connection back to the host routes, as the local route', () => {
    const { world, routeTables } = buildNatPair();
    world.addRoute(routeTables.a, '10.9.0.0/16', { gatewayId: 'pcx-00000000000000001' });
    const route = world.routeTable(routeTables.a).routes.find((r) => r.destination === '10.9.0.0/16');

    expect(hopOf(world, route!, new Map())).toEqual({ kind: 'local' });
  });

  it('sends a route to a NAT gateway the lab plays to its port, and one it does not play to a blackhole', async () => {
    const { world, publicSubnets, routeTables } = buildNatPair();
    const played = world.addNatGateway({ subnet: publicSubnets.a });
    const other = world.addNatGateway({ subnet: publicSubnets.b });
    const eni = world.addNetworkInterface({ subnet: publicSubnets.a });
    const gw = port('p7', eni.privateIp, eni.macAddress, eni.networkInterfaceId);
    // The fabric lists the gateway's port under its ENI and under the gateway's ID, as routes name it.
    const ports = new Map([[eni.networkInterfaceId, gw], [played, gw]]);
    const route = () => world.routeTable(routeTables.a).routes.find((r) => r.destination === '0.0.0.0/0');

    await world.clients().ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: played }));
    const toPlayed = hopOf(world, route()!, ports);
    await world.clients().ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: other }));
    const toOther = hopOf(world, route()!, ports);

    expect(toPlayed).toEqual({ kind: 'port', port: gw });
    expect(toOther).toEqual({ kind: 'blackhole' });
    expect(renderRouter(world, ports, new Map(), uplink).filter((l) => l.startsWith(`route replace ${eni.privateIp}/32`))).toHaveLength(1);
  });

  it('builds the NAT gateway the nat-gateway scenario needs: tagged for the NAT group, available, with a namespace of its own that forwards', () => {
    const world = new VpcWorld();
    const topology = buildLabTopology(world, ['nat', 'nat-gateway']);
    const gateway = topology.nat?.gateway;
    const host = topology.hosts.find((h) => h.natGatewayId !== undefined);

    expect(gateway && world.natGateways.get(gateway.natGatewayId)).toMatchObject({ state: 'available', connectivity: 'public', mode: 'zonal', subnetId: topology.nat?.publicSubnets.a, tags: { 'failover:group': 'egress' } });
    expect(host).toMatchObject({ name: 'natgw', nat: true, member: false, natGatewayId: gateway?.natGatewayId, enis: [gateway?.eni] });
    expect(buildLabTopology(new VpcWorld(), ['nat']).hosts.some((h) => h.natGatewayId !== undefined)).toBe(false);
  });

  it('builds the second VPC apart: its own VIP group and sensor, peered with nothing', () => {
    const world = new VpcWorld();
    const topology = buildLabTopology(world, ['vip', 'vip2']);
    const second = topology.vip2;
    const routesOf = (vpc: string | undefined) => [...world.routeTables.values()].filter((t) => t.vpcId === vpc).flatMap((t) => world.routeTable(t.id).routes.map((r) => r.destination));

    expect(second?.vpcId).not.toBe(topology.vip?.vpcId);
    expect(second && world.subnet(second.sensor.subnetId).vpcId).toBe(second?.vpcId);
    expect(topology.sensors.filter((s) => !s.main)).toEqual([{ host: 'sensor-v2', functionName: 'vpc-failover-lab-sensorVpc2', eni: second?.sensor, main: false }]);
    expect(routesOf(second?.vpcId)).not.toContain(world.vpcs.get(topology.vip?.vpcId ?? '')?.cidr);
    expect(routesOf(topology.vip?.vpcId)).not.toContain(world.vpcs.get(second?.vpcId ?? '')?.cidr);
  });

  it('gives every table a floor that drops what it has no route for, under any default route EC2 gives it', () => {
    const { world, a, b } = buildVipPair();
    const ports = new Map([[a.networkInterfaceId, port('p0', a.privateIp, a.macAddress, a.networkInterfaceId)], [b.networkInterfaceId, port('p1', b.privateIp, b.macAddress, b.networkInterfaceId)]]);
    const [mainTable] = world.routeTables.keys();

    expect(renderRouter(world, ports, new Map([[mainTable ?? '', 100]]), uplink).at(-1)).toBe('route replace table 100 blackhole 0.0.0.0/0 metric 65535');
    expect(tableRouteDeleted(100, '0.0.0.0/0')).toBe('route del table 100 0.0.0.0/0 metric 0');
  });

  it("finds a subnet's table through its association, else its VPC's main table", () => {
    const { world, vpcId, privateSubnets, routeTables } = buildNatPair();
    const loose = world.addSubnet({ vpc: vpcId });
    const main = [...world.routeTables.values()].find((t) => t.vpcId === vpcId && t.associations.some((x) => x.main))?.id;

    expect(tableOfSubnet(world, privateSubnets.a)).toBe(routeTables.a);
    expect(tableOfSubnet(world, loose)).toBe(main);
  });

  it('renders every port, the VIP where EC2 shows it, and every table', () => {
    const { world, a, b, vip } = buildVipPair();
    const ports = new Map([[a.networkInterfaceId, port('p0', a.privateIp, a.macAddress, a.networkInterfaceId)], [b.networkInterfaceId, port('p1', b.privateIp, b.macAddress, b.networkInterfaceId)]]);
    const [mainTable] = world.routeTables.keys();

    const lines = renderRouter(world, ports, new Map([[mainTable ?? '', 100]]), uplink);

    expect(lines).toEqual([
      `route replace ${a.privateIp}/32 dev p0`,
      `neigh replace ${a.privateIp} lladdr ${a.macAddress} dev p0 nud permanent`,
      `route replace ${b.privateIp}/32 dev p1`,
      `neigh replace ${b.privateIp} lladdr ${b.macAddress} dev p1 nud permanent`,
      `route replace ${vip}/32 dev p0`,
      `neigh replace ${vip} lladdr ${a.macAddress} dev p0 nud permanent`,
      'route replace table 100 throw 10.0.0.0/16',
      'route replace table 100 blackhole 0.0.0.0/0 metric 65535',
    ]);
  });
});

describe('fabric wiring checks', () => {
  it('refuses a topology whose values would not be single ip arguments', () => {
    const topology = buildLabTopology(new VpcWorld(), ['vip']);

    expect(() => checkTopology(topology)).not.toThrow();
    expect(() => checkTopology({ ...topology, hosts: [...topology.hosts, { name: 'evil name', enis: [], nat: false, member: false }] })).toThrow("refusing to wire the lab: host name 'evil name'");
  });
});
