/**
 * The in-memory VPC's IPv6 and prefix-list routes (exactly one destination field per request, the
 * same field back in DescribeRouteTables) and its EC2 request buckets (off unless enabled).
 */
import { CreateRouteCommand, DescribeRouteTablesCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../sim/clock.js';
import { buildNatPair } from '../../sim/world.js';

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof Error)) throw new Error('expected a rejection');
  return outcome;
}

describe('IPv6 and prefix-list routes', () => {
  it('creates ::/0 and a prefix-list route through a NAT ENI and shows each in its own field', async () => {
    const { world, a, routeTables } = buildNatPair();
    const pl = world.addPrefixList('corporate');
    const { ec2 } = world.clients();

    await ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, DestinationIpv6CidrBlock: '::/0', NetworkInterfaceId: a.networkInterfaceId }));
    await ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, DestinationPrefixListId: pl, NetworkInterfaceId: a.networkInterfaceId }));
    const output = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTables.a] }));

    const routes = output.RouteTables?.[0]?.Routes ?? [];
    expect(routes.find((r) => r.DestinationIpv6CidrBlock === '::/0')).toEqual({ DestinationIpv6CidrBlock: '::/0', NetworkInterfaceId: a.networkInterfaceId, InstanceId: a.instanceId, InstanceOwnerId: world.options.accountId, Origin: 'CreateRoute', State: 'active' });
    expect(routes.find((r) => r.DestinationPrefixListId === pl)).toMatchObject({ NetworkInterfaceId: a.networkInterfaceId, State: 'active' });
    expect(routes.find((r) => r.DestinationPrefixListId === pl)?.DestinationCidrBlock).toBeUndefined();
  });

  it('replaces an IPv6 route by its IPv6 destination, and answers a missing one as EC2 does', async () => {
    const { world, a, b, routeTables } = buildNatPair();
    world.addRoute(routeTables.a, '::/0', { networkInterfaceId: a.networkInterfaceId }, 'ipv6');
    const { ec2 } = world.clients();

    await ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationIpv6CidrBlock: '::/0', NetworkInterfaceId: b.networkInterfaceId }));
    const missing = await rejection(ec2.send(new ReplaceRouteCommand({ RouteTableId: routeTables.a, DestinationIpv6CidrBlock: '64:ff9b::/96', NetworkInterfaceId: b.networkInterfaceId })));

    expect(world.routeTarget(routeTables.a, '::/0')).toMatchObject({ networkInterfaceId: b.networkInterfaceId, state: 'active' });
    expect(missing).toMatchObject({ name: 'InvalidParameterValue', message: "There is no route defined for '64:ff9b::/96' in the route table. Use CreateRoute instead." });
  });

  it.each([
    ['no destination', {}, 'MissingParameter'],
    ['two destinations', { DestinationCidrBlock: '10.50.0.0/16', DestinationIpv6CidrBlock: '::/0' }, 'InvalidParameterCombination'],
    ['a bad IPv6 CIDR', { DestinationIpv6CidrBlock: '::/129' }, 'InvalidParameterValue'],
    ['an IPv4 CIDR in the IPv6 field', { DestinationIpv6CidrBlock: '10.0.0.0/8' }, 'InvalidParameterValue'],
    ['an unknown prefix list', { DestinationPrefixListId: 'pl-00000000000000099' }, 'InvalidPrefixListID.NotFound'],
  ])('refuses CreateRoute with %s', async (_name, destination, code) => {
    const { world, b, routeTables } = buildNatPair();

    const error = await rejection(world.clients().ec2.send(new CreateRouteCommand({ RouteTableId: routeTables.a, ...destination, NetworkInterfaceId: b.networkInterfaceId })));

    expect(error.name).toBe(code);
  });

  it('filters routes by each destination field', async () => {
    const { world, a, routeTables } = buildNatPair();
    world.addRoute(routeTables.b, '::/0', { networkInterfaceId: a.networkInterfaceId }, 'ipv6');
    const { ec2 } = world.clients();

    const v6 = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.destination-ipv6-cidr-block', Values: ['::/0'] }] }));
    const v4 = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.destination-cidr-block', Values: ['::/0'] }] }));

    expect(v6.RouteTables?.map((t) => t.RouteTableId)).toEqual([routeTables.b]);
    expect(v4.RouteTables).toEqual([]);
  });
});

describe("EC2's request buckets", () => {
  const replace = (rtb: string, eni: string) => new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '0.0.0.0/0', NetworkInterfaceId: eni });

  it('is off unless enabled: any number of calls goes through', async () => {
    const { world, b, routeTables } = buildNatPair();
    const { ec2 } = world.clients();

    for (let i = 0; i < 80; i++) await ec2.send(replace(routeTables.a, b.networkInterfaceId));

    expect(world.count('ReplaceRoute')).toBe(80);
    expect(world.calls.filter((c) => c.error)).toEqual([]);
  });

  it('lets 50 mutations through at once, refuses the 51st with RequestLimitExceeded, and refills 5 a second', async () => {
    const clock = manualClock();
    const { world, b, routeTables } = buildNatPair({ worldOptions: { clock } });
    world.throttle.enable();
    const { ec2 } = world.clients();

    for (let i = 0; i < 50; i++) await ec2.send(replace(routeTables.a, b.networkInterfaceId));
    const refused = await rejection(ec2.send(replace(routeTables.a, b.networkInterfaceId)));
    clock.advance(1_000);
    for (let i = 0; i < 5; i++) await ec2.send(replace(routeTables.a, b.networkInterfaceId));
    const again = await rejection(ec2.send(replace(routeTables.a, b.networkInterfaceId)));

    expect(refused).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
    expect(again.name).toBe('RequestLimitExceeded');
    expect(world.throttle.refused.mutating).toBe(2);
  });

  it('keeps Describe calls and address assignments in buckets of their own', async () => {
    const clock = manualClock();
    const { world, b, routeTables } = buildNatPair({ worldOptions: { clock } });
    world.throttle.enable();
    world.throttle.spend('mutating', 50);
    const { ec2 } = world.clients();

    await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [routeTables.a] }));
    const refused = await rejection(ec2.send(replace(routeTables.a, b.networkInterfaceId)));

    expect(refused.name).toBe('RequestLimitExceeded');
    expect(world.throttle.tokens('describe')).toBe(99);
  });

  it('lets other tools in the account spend the refill: at 3 a second of theirs, 2 a second are left', async () => {
    const clock = manualClock();
    const { world, b, routeTables } = buildNatPair({ worldOptions: { clock } });
    world.throttle.enable();
    world.throttle.spend('mutating', 50);
    world.throttle.otherTools('mutating', 3);
    const { ec2 } = world.clients();
    clock.advance(1_000);

    await ec2.send(replace(routeTables.a, b.networkInterfaceId));
    await ec2.send(replace(routeTables.a, b.networkInterfaceId));
    const third = await rejection(ec2.send(replace(routeTables.a, b.networkInterfaceId)));

    expect(third.name).toBe('RequestLimitExceeded');
  });
});
