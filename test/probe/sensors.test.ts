/** Placement of the sensor fleet: who probes which VPC's members, and who checks egress from behind a NAT. */
import { describe, expect, it } from 'vitest';
import type { SensorPort } from '../../shared/probe/ports.js';
import { type SensorSite, placeSensors } from '../../shared/probe/sensors.js';

const port: SensorPort = { probe: async () => ({ results: [] }) };
const site = (name: string, main: boolean, vpcId?: string, subnets: string[] = [], egress = !main): SensorSite => ({
  name,
  port,
  main,
  egress,
  ...(vpcId === undefined ? {} : { placement: { vpcId, subnets: subnets.map((subnetId) => ({ subnetId, availabilityZone: `az-${subnetId}` })) } }),
});

describe('which sensor probes the members of a VPC', () => {
  it.each<[string, SensorSite[], string, string | undefined]>([
    ['the main sensor in its own VPC', [site('main', true, 'vpc-1', ['s-1', 's-2']), site('fleet-b', false, 'vpc-1', ['s-3'])], 'vpc-1', 'main'],
    ['in another VPC, the first fleet sensor there by name', [site('main', true, 'vpc-1', ['s-1']), site('fleet-z', false, 'vpc-2', ['s-9']), site('fleet-m', false, 'vpc-2', ['s-8'])], 'vpc-2', 'fleet-m'],
    ['nobody in a VPC with no sensor: the main sensor elsewhere cannot reach it', [site('main', true, 'vpc-1', ['s-1'])], 'vpc-3', undefined],
    ['a main sensor whose placement is not known probes every group, as a single sensor does', [site('main', true), site('fleet-a', false, 'vpc-2', ['s-2'])], 'vpc-1', 'main'],
    ['even in a VPC with a fleet sensor, whose security group may not reach the members', [site('main', true), site('fleet-a', false, 'vpc-2', ['s-2'])], 'vpc-2', 'main'],
  ])('%s', (_, sites, vpc, expected) => {
    expect(placeSensors(sites).memberSensor(vpc)?.name).toBe(expected);
  });
});

describe('which sensors check egress from behind a NAT', () => {
  it('a fleet sensor in exactly one subnet, through that subnet', () => {
    const placement = placeSensors([site('main', true, 'vpc-1', ['s-1']), site('fleet-a', false, 'vpc-1', ['s-a'])]);
    expect(placement.egress).toEqual([{ name: 'fleet-a', port, vpcId: 'vpc-1', subnetId: 's-a', availabilityZone: 'az-s-a' }]);
  });

  it.each<[string, SensorSite, RegExp]>([
    ['not one in several subnets: Lambda picks one per invocation', site('fleet-x', false, 'vpc-1', ['s-a', 's-b']), /placed in 2 subnets/],
    ['not one whose placement is not known yet', site('fleet-y', false), /not known yet/],
  ])('%s', (_, s, why) => {
    const placement = placeSensors([s]);
    expect(placement.egress).toEqual([]);
    expect(placement.idle).toEqual([{ name: s.name, why: expect.stringMatching(why) }]);
  });

  it('not the main sensor, whose security group reaches private addresses only', () => {
    expect(placeSensors([site('main', true, 'vpc-1', ['s-1'])]).egress).toEqual([]);
  });
});
