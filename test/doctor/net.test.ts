/**
 * How doctor evaluates the VPC's filters, against the rules the Amazon VPC documentation states:
 * network ACL entries in ascending rule number, the first match deciding, a final `*` deny;
 * security groups allow-only, a rule of protocol -1 covering every port. moto does not evaluate
 * either, so these are the tests of that logic.
 */
import { describe, expect, it } from 'vitest';
import type { AclEntry, SgRule } from '../../shared/doctor/model.js';
import { EPHEMERAL, evaluateAcl, rangeOf, routeFor, ruleAdmits } from '../../shared/doctor/net.js';

const sensor = rangeOf('10.0.50.0/24')!;
const entry = (ruleNumber: number, action: 'allow' | 'deny', cidr: string, ports?: [number, number], protocol = '6', egress = false): AclEntry => ({
  ruleNumber,
  egress,
  protocol,
  action,
  cidr,
  ...(ports ? { ports: { from: ports[0], to: ports[1] } } : {}),
});
const star = entry(32767, 'deny', '0.0.0.0/0', undefined, '-1');

describe('network ACL evaluation', () => {
  it.each([
    ['the default ACL allows everything', [entry(100, 'allow', '0.0.0.0/0', undefined, '-1'), star], { verdict: 'allow' }],
    ['no rule matches: the final * denies', [star], { verdict: 'deny', ruleNumber: 32767 }],
    ['a lower-numbered deny wins over a later allow', [entry(200, 'allow', '0.0.0.0/0', undefined, '-1'), entry(100, 'deny', '10.0.50.0/24', [22, 22]), star], { verdict: 'deny', ruleNumber: 100 }],
    ['a lower-numbered allow wins over a later deny', [entry(100, 'allow', '10.0.0.0/16', [22, 22]), entry(110, 'deny', '0.0.0.0/0', undefined, '-1'), star], { verdict: 'allow' }],
    ['a deny of part of the sensor subnet before the allow is partial', [entry(90, 'deny', '10.0.50.128/25', [0, 65535]), entry(100, 'allow', '0.0.0.0/0', undefined, '-1'), star], { verdict: 'partial', ruleNumber: 90 }],
    ['an allow of part of the sensor subnet decides nothing', [entry(90, 'allow', '10.0.50.0/25', [22, 22]), star], { verdict: 'deny', ruleNumber: 32767 }],
    ['a rule for another port does not match', [entry(90, 'deny', '0.0.0.0/0', [443, 443]), entry(100, 'allow', '0.0.0.0/0', [1, 65535]), star], { verdict: 'allow' }],
    ['a UDP rule does not match TCP', [entry(90, 'deny', '0.0.0.0/0', [22, 22], '17'), entry(100, 'allow', '0.0.0.0/0', [22, 22]), star], { verdict: 'allow' }],
    ['an allow of another network does not match', [entry(100, 'allow', '192.168.0.0/16', undefined, '-1'), star], { verdict: 'deny', ruleNumber: 32767 }],
  ] as const)('%s', (_title, entries, verdict) => {
    expect(evaluateAcl(entries, false, sensor, { from: 22, to: 22 })).toEqual(verdict);
  });

  it('keeps ingress and egress apart, and needs the whole ephemeral range open for replies', () => {
    const entries = [entry(100, 'allow', '0.0.0.0/0', [22, 22]), entry(100, 'allow', '0.0.0.0/0', [32768, 65535], '6', true), star, { ...star, egress: true }];

    expect(evaluateAcl(entries, false, sensor, { from: 22, to: 22 })).toEqual({ verdict: 'allow' });
    expect(evaluateAcl(entries, true, sensor, EPHEMERAL)).toEqual({ verdict: 'deny', ruleNumber: 32767 });
  });
});

const rule = (r: Partial<SgRule>): SgRule => ({ protocol: 'tcp', cidrs: [], groupIds: [], prefixListIds: [], ...r });

describe('security group rules', () => {
  it.each([
    ['the sensor group on the port', rule({ fromPort: 22, toPort: 22, groupIds: ['sg-sensor'] }), true],
    ['a port range that holds the port', rule({ fromPort: 1, toPort: 1024, groupIds: ['sg-sensor'] }), true],
    ['another port', rule({ fromPort: 80, toPort: 80, groupIds: ['sg-sensor'] }), false],
    ['another group', rule({ fromPort: 22, toPort: 22, groupIds: ['sg-other'] }), false],
    ['a CIDR that covers the whole sensor subnet', rule({ fromPort: 22, toPort: 22, cidrs: ['10.0.0.0/16'] }), true],
    ['a CIDR that covers part of the sensor subnet', rule({ fromPort: 22, toPort: 22, cidrs: ['10.0.50.0/25'] }), false],
    ['every protocol from the sensor group', rule({ protocol: '-1', groupIds: ['sg-sensor'] }), true],
    ['UDP on the port', rule({ protocol: 'udp', fromPort: 22, toPort: 22, groupIds: ['sg-sensor'] }), false],
    ['TCP by number', rule({ protocol: '6', fromPort: 22, toPort: 22, groupIds: ['sg-sensor'] }), true],
  ] as const)('%s: %s', (_title, r, admits) => {
    expect(ruleAdmits(r, 22, { groupIds: ['sg-sensor'], range: sensor })).toBe(admits);
  });
});

describe('route lookup', () => {
  const routes = [
    { destination: { kind: 'ipv4' as const, value: '10.0.0.0/16' }, target: { kind: 'other' as const, description: 'local' }, state: 'active' as const },
    { destination: { kind: 'ipv4' as const, value: '10.0.1.0/24' }, target: { kind: 'other' as const, description: 'pcx-1' }, state: 'blackhole' as const },
    { destination: { kind: 'ipv4' as const, value: '0.0.0.0/0' }, target: { kind: 'other' as const, description: 'igw-1' }, state: 'active' as const },
  ];

  it('takes the longest prefix that matches', () => {
    expect(routeFor(routes, '10.0.1.10')?.target).toEqual({ kind: 'other', description: 'pcx-1' });
    expect(routeFor(routes, '10.0.2.10')?.target).toEqual({ kind: 'other', description: 'local' });
    expect(routeFor(routes, '8.8.8.8')?.target).toEqual({ kind: 'other', description: 'igw-1' });
    expect(routeFor(routes.slice(0, 2), '8.8.8.8')).toBeUndefined();
  });
});
