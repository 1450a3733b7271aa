/** The sensors' egress checks as pure functions: the request, the reading, the credit and the fold. */
import { describe, expect, it } from 'vitest';
import type { RouteTable } from '../../shared/core/model.js';
import { type EgressCredit, creditAcross, creditOf, egressObservation, egressTargets, foldEgress } from '../../shared/probe/egress.js';
import type { TcpResult } from '../../shared/probe/tcp.js';
import { checkSensorTargets } from '../../shared/probe/sensor-schema.js';

const NATS = [
  { id: 'i-0aaaaaaaaaaaaaaa1', enis: ['eni-0aaaaaaaaaaaaaaa1'] },
  { id: 'i-0bbbbbbbbbbbbbbb2', enis: ['eni-0bbbbbbbbbbbbbbb2'] },
];
const table = (id: string, subnets: string[], route?: RouteTable['routes'][number]['target']): RouteTable => ({
  routeTableId: id,
  vpcId: 'vpc-1',
  tags: { NATAZ: 'eu-west-1a' },
  subnetIds: subnets,
  routes: route ? [{ destination: { kind: 'ipv4', value: '0.0.0.0/0' }, target: route, state: 'active' }] : [],
});
const result = (id: string, r: TcpResult['result']): TcpResult => ({ id, ip: '192.0.2.1', port: 443, result: r, ms: 5 });

describe('egress targets', () => {
  it('asks the sensor for each endpoint under an id its schema accepts', () => {
    const targets = egressTargets([{ kind: 'egress', host: '192.0.2.10', port: 443 }, { kind: 'egress', host: '192.0.2.11', port: 80 }]);
    expect(targets).toEqual([{ id: 'egress-0', ip: '192.0.2.10', ports: [443] }, { id: 'egress-1', ip: '192.0.2.11', ports: [80] }]);
    expect(checkSensorTargets(targets).refused).toEqual([]);
  });
});

describe('what one sensor says about its path', () => {
  it.each<[string, TcpResult[], number, string]>([
    ['any endpoint answering: the path works', [result('egress-0', 'fail'), result('egress-1', 'ok')], 2, 'ok'],
    ['every endpoint failing with evidence: it does not', [result('egress-0', 'fail'), result('egress-1', 'fail')], 2, 'fail'],
    ['an endpoint the sensor could not try: unknown', [result('egress-0', 'fail'), result('egress-1', 'error')], 2, 'unknown'],
    ['an endpoint missing from the answer: unknown', [result('egress-0', 'fail')], 2, 'unknown'],
    ['no answer at all: unknown', [], 2, 'unknown'],
  ])('%s', (_, results, asked, expected) => {
    expect(egressObservation(results, asked)).toBe(expected);
  });
});

describe('whom a check is credited to', () => {
  it.each<[string, RouteTable[], EgressCredit['kind'], string | undefined]>([
    ['the NAT the subnet\'s table routes 0.0.0.0/0 to, by ENI', [table('rtb-a', ['subnet-a'], { kind: 'eni', networkInterfaceId: 'eni-0aaaaaaaaaaaaaaa1' })], 'member', 'i-0aaaaaaaaaaaaaaa1'],
    ['by instance', [table('rtb-a', ['subnet-a'], { kind: 'instance', instanceId: 'i-0bbbbbbbbbbbbbbb2' })], 'member', 'i-0bbbbbbbbbbbbbbb2'],
    ['nobody when the route goes to a NAT gateway', [table('rtb-a', ['subnet-a'], { kind: 'nat-gateway', natGatewayId: 'nat-0123456789abcdef0' })], 'none', undefined],
    ['nobody when the route goes outside the groups', [table('rtb-a', ['subnet-a'], { kind: 'eni', networkInterfaceId: 'eni-0ccccccccccccccc3' })], 'none', undefined],
    ['nobody when no tagged table is associated with the subnet', [table('rtb-b', ['subnet-b'], { kind: 'eni', networkInterfaceId: 'eni-0aaaaaaaaaaaaaaa1' })], 'none', undefined],
    ['nobody when the table has no default route', [table('rtb-a', ['subnet-a'])], 'none', undefined],
  ])('%s', (_, tables, kind, id) => {
    const credit = creditOf({ routeTables: tables }, 'subnet-a', NATS);
    expect(credit.kind).toBe(kind);
    if (credit.kind === 'member') expect(credit.id).toBe(id);
  });

  const a: EgressCredit = { kind: 'member', id: 'i-a', routeTableId: 'rtb-a' };
  const b: EgressCredit = { kind: 'member', id: 'i-b', routeTableId: 'rtb-a' };
  it.each<[string, EgressCredit, EgressCredit | undefined, EgressCredit['kind'], string | undefined]>([
    ['no second look: the snapshot the round started from', a, undefined, 'member', 'i-a'],
    ['before and after agree: that member', a, a, 'member', 'i-a'],
    ['the route moved during the check: nobody, neither the old NAT nor the new', a, b, 'none', undefined],
    ['the route moved to a gateway during the check: nobody', a, { kind: 'none', path: 'nat-1' }, 'none', undefined],
  ])('%s', (_, before, after, kind, id) => {
    const credit = creditAcross(before, after);
    expect(credit.kind).toBe(kind);
    if (credit.kind === 'member') expect(credit.id).toBe(id);
  });
});

describe('one round, per NAT', () => {
  const via = (id: string): EgressCredit => ({ kind: 'member', id, routeTableId: `rtb-${id}` });
  it('fails a NAT all of whose sensors fail, proven by a sensor through another NAT', () => {
    const fold = foldEgress([
      { site: 'sensor-a', observation: 'fail', credit: via('i-a') },
      { site: 'sensor-b', observation: 'ok', credit: via('i-b') },
    ]);
    expect(fold.get('i-a')).toEqual({ observation: 'fail', proven: true, sites: ['sensor-a'] });
    expect(fold.get('i-b')).toEqual({ observation: 'ok', proven: false, sites: ['sensor-b'] });
  });

  it('does not prove a failure with a sensor through the same NAT', () => {
    const fold = foldEgress([
      { site: 'sensor-a', observation: 'fail', credit: via('i-a') },
      { site: 'sensor-c', observation: 'fail', credit: via('i-a') },
    ]);
    expect(fold.get('i-a')).toMatchObject({ observation: 'fail', proven: false });
  });

  it('counts a NAT as forwarding when any sensor behind it got out (a fault of one subnet is not the NAT\'s)', () => {
    const fold = foldEgress([
      { site: 'sensor-a', observation: 'fail', credit: via('i-b') },
      { site: 'sensor-b', observation: 'ok', credit: via('i-b') },
    ]);
    expect(fold.get('i-b')?.observation).toBe('ok');
  });

  it('lets a sensor behind a gateway prove the endpoints up, and credits it to nobody', () => {
    const fold = foldEgress([
      { site: 'sensor-a', observation: 'fail', credit: via('i-a') },
      { site: 'sensor-b', observation: 'ok', credit: { kind: 'none', path: 'rtb-b → nat-1' } },
    ]);
    expect([...fold.keys()]).toEqual(['i-a']);
    expect(fold.get('i-a')?.proven).toBe(true);
  });
});
