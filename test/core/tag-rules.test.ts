/**
 * One validator per tag value: what each accepts, and that what it refuses comes with a message
 * naming the tag. Discovery turns these messages into a misconfigured group's problems.
 */
import { describe, expect, it } from 'vitest';
import {
  checkProbeBudget,
  isRegionName,
  isZoneName,
  parseAllocationId,
  parseCooldown,
  parseFailback,
  parseGroupName,
  parseNatAz,
  parseOverlayIp,
  parsePorts,
  parsePriority,
  parseRemediation,
  parseVip,
} from '../../shared/core/tag-rules.js';
import type { Parsed } from '../../shared/core/tag-rules.js';

const value = <T>(parsed: Parsed<T>): T | undefined => ('value' in parsed ? parsed.value : undefined);
const problem = <T>(parsed: Parsed<T>): string | undefined => ('problem' in parsed ? parsed.problem : undefined);

describe('tag validators: accepted values', () => {
  it.each<[string, Parsed<unknown>, unknown]>([
    ['failover:group web-1.a:b_c', parseGroupName('web-1.a:b_c'), 'web-1.a:b_c'],
    ['failover:priority 0', parsePriority('0'), 0],
    ['failover:priority 999999', parsePriority('999999'), 999_999],
    ['failover:ports 22, 443', parsePorts('22, 443'), [22, 443]],
    ['failover:failback auto', parseFailback('auto'), 'auto'],
    ['failover:failback manual', parseFailback('manual'), 'manual'],
    ['failover:cooldown 0', parseCooldown('0'), 0],
    ['failover:cooldown 86400', parseCooldown('86400'), 86_400_000],
    ['failover:remediate stop-start', parseRemediation('stop-start'), 'stop-start'],
    ['failover:vip 10.0.1.100', parseVip('10.0.1.100'), '10.0.1.100'],
    ['failover:eip with 8 hex digits', parseAllocationId('eipalloc-0123abcd'), 'eipalloc-0123abcd'],
    ['failover:eip with 17 hex digits', parseAllocationId('eipalloc-0123456789abcdef0'), 'eipalloc-0123456789abcdef0'],
    ['failover:overlay-ip without a suffix', parseOverlayIp('100.64.0.1'), '100.64.0.1/32'],
    ['failover:overlay-ip with /32', parseOverlayIp('100.64.0.1/32'), '100.64.0.1/32'],
    ['NATAZ any', parseNatAz('any', 'rtb-1', 'us-east-1'), 'any'],
    ['NATAZ of the Region', parseNatAz('us-east-1a', 'rtb-1', 'us-east-1'), 'us-east-1a'],
    ['NATAZ Local Zone', parseNatAz('us-west-2-lax-1a', 'rtb-1', 'us-west-2'), 'us-west-2-lax-1a'],
    ['NATAZ Wavelength Zone', parseNatAz('us-east-1-wl1-bos-wlz-1', 'rtb-1', 'us-east-1'), 'us-east-1-wl1-bos-wlz-1'],
    ['NATAZ of any Region when the Region is not known', parseNatAz('ap-southeast-2c', 'rtb-1'), 'ap-southeast-2c'],
  ])('takes %s', (_name, parsed, expected) => {
    expect(value(parsed)).toEqual(expected);
  });
});

describe('tag validators: refused values name the tag', () => {
  it.each<[string, Parsed<unknown>, string]>([
    ['a group name with a space', parseGroupName('web 1'), "tag failover:group must be 1 to 64 of A-Z a-z 0-9 _ . : -, got 'web 1'"],
    ['a negative priority', parsePriority('-1'), "tag failover:priority must be a non-negative integer, got '-1'"],
    ['ports with shell syntax', parsePorts('22;reboot'), "tag failover:ports must be comma-separated TCP ports, got '22;reboot'"],
    ['port 0', parsePorts('0'), "tag failover:ports must be comma-separated TCP ports, got '0'"],
    ['21 ports', parsePorts(Array.from({ length: 21 }, (_, k) => 8000 + k).join(',')), "tag failover:ports lists 21 ports; at most 20 (the sensor's limit per target)"],
    ['a failback policy in capitals', parseFailback('AUTO'), "tag failover:failback must be 'auto' or 'manual', got 'AUTO'"],
    ['a cooldown with a unit', parseCooldown('90s'), "tag failover:cooldown must be a number of seconds, got '90s'"],
    ['a cooldown over a day', parseCooldown('86401'), "tag failover:cooldown must be at most 86400 seconds, got '86401'"],
    ['an unknown remediation', parseRemediation('terminate'), "tag failover:remediate must be one of off, reboot, stop-start, replace, got 'terminate'"],
    ['a VIP that is no address', parseVip('10.0.1.256'), "tag failover:vip must be an IPv4 address, got '10.0.1.256'"],
    ['an allocation ID with 3 digits', parseAllocationId('eipalloc-404'), "tag failover:eip must be an allocation ID (eipalloc- and 8 or 17 hex digits), got 'eipalloc-404'"],
    ['an allocation ID in capitals', parseAllocationId('eipalloc-0123ABCD'), "tag failover:eip must be an allocation ID (eipalloc- and 8 or 17 hex digits), got 'eipalloc-0123ABCD'"],
    ['a public address as failover:eip', parseAllocationId('203.0.113.7'), "tag failover:eip must be an allocation ID (eipalloc- and 8 or 17 hex digits), got '203.0.113.7'"],
    ['an overlay network', parseOverlayIp('100.64.0.0/24'), "tag failover:overlay-ip must be an IPv4 /32, got '100.64.0.0/24'"],
    ['NATAZ with a trailing command', parseNatAz('us-east-1a;x', 'rtb-1', 'us-east-1'), "rtb-1: tag NATAZ must be 'any' or an Availability Zone of us-east-1 (such as us-east-1a), got 'us-east-1a;x'"],
    ['NATAZ of another Region', parseNatAz('eu-west-1a', 'rtb-1', 'us-east-1'), "rtb-1: tag NATAZ must be 'any' or an Availability Zone of us-east-1 (such as us-east-1a), got 'eu-west-1a'"],
    ['NATAZ that is a Region', parseNatAz('us-east-1', 'rtb-1', 'us-east-1'), "rtb-1: tag NATAZ must be 'any' or an Availability Zone of us-east-1 (such as us-east-1a), got 'us-east-1'"],
    ['NATAZ that is an AZ ID', parseNatAz('use1-az1', 'rtb-1'), "rtb-1: tag NATAZ must be 'any' or an Availability Zone name (such as us-east-1a), got 'use1-az1'"],
    ['NATAZ ANY', parseNatAz('ANY', 'rtb-1'), "rtb-1: tag NATAZ must be 'any' or an Availability Zone name (such as us-east-1a), got 'ANY'"],
  ])('refuses %s', (_name, parsed, message) => {
    expect(problem(parsed)).toBe(message);
  });
});

describe('zone and Region names', () => {
  it.each([
    ['us-east-1a', 'us-east-1', true],
    ['us-gov-west-1b', 'us-gov-west-1', true],
    ['us-east-1ab', 'us-east-1', false],
    ['us-east-11a', 'us-east-1', false],
    ['us-east-1-lax-1a', 'us-east-1', true],
    ['us-east-1-lax-1', 'us-east-1', false],
  ])('%s is a zone of %s: %s', (zone, region, expected) => {
    expect(isZoneName(zone, region)).toBe(expected);
  });

  it.each([
    ['us-east-1', true],
    ['ap-southeast-2', true],
    ['us-gov-west-1', true],
    ['us-east-1a', false],
    ['US-EAST-1', false],
    ['', false],
  ])('%j is a Region name: %s', (name, expected) => {
    expect(isRegionName(name)).toBe(expected);
  });
});

describe('the probe budget of a group', () => {
  const ports = (n: number) => Array.from({ length: n }, (_, k) => 8000 + k);

  it.each<[string, 'vip' | 'nat', number, number, boolean]>([
    ['two VIP members with 20 ports each', 'vip', 2, 20, true],
    ['four VIP members with 20 ports each', 'vip', 4, 20, true],
    ['five VIP members with 20 ports each', 'vip', 5, 20, false],
    ['three NAT members without ports', 'nat', 3, 0, true],
    ['fifteen NAT members without ports', 'nat', 15, 0, true],
    ['sixteen NAT members without ports', 'nat', 16, 0, false],
  ])('%s: within the budget %s', (_name, kind, members, count, fits) => {
    const problem = checkProbeBudget(kind, Array.from({ length: members }, () => ports(count)));

    expect(problem === undefined).toBe(fits);
    if (!fits) expect(problem).toMatch(/^tag failover:ports: .* at most 150 per member and 300 per group/);
  });
});
