/**
 * The first deploy's command, from what doctor found: the groups' VPCs for `vpcIds`, and for the
 * sensor the subnets it was given, else one private subnet in each AZ where members run (the one
 * with the most members: no network ACL stands between the sensor and the members of its own subnet).
 * Without security groups given, the stack creates the sensor's own, in `sensorVpcId` (passed when
 * it is not the first of `vpcIds`): the command names only IDs doctor found.
 */
import type { Subnet } from '../core/model.js';
import type { DeployPlan, DoctorFacts } from './model.js';
import { isInternetGateway, routeFor, tableOfSubnet } from './net.js';
import type { Subject } from './subject.js';

const quote = (value: string) => `--param="${value}"`;

export function deployPlan(subjects: readonly Subject[], facts: DoctorFacts): DeployPlan {
  const instances = subjects.flatMap((s) => s.instances).filter((i) => i.vpcId !== '');
  const vpcIds = [...new Set(instances.map((i) => i.vpcId))].sort();
  const notes: string[] = [];
  // The sensor is one Lambda function, in one VPC: the one with the most groups.
  const count = (vpc: string) => subjects.filter((s) => s.vpcId === vpc).length;
  const sensorVpcId = [...vpcIds].sort((a, b) => count(b) - count(a) || a.localeCompare(b))[0];
  if (sensorVpcId === undefined) {
    return { vpcIds, sensorSubnetIds: [], commands: [], notes: ['no group found: tag the members first (README, "Tag contract")'] };
  }
  for (const other of vpcIds.filter((v) => v !== sensorVpcId)) {
    notes.push(`the sensor runs in ${sensorVpcId}; the groups in ${other} need a route from its subnets (VPC peering or a transit gateway), or a stage of their own`);
  }
  const isPrivate = (subnet: Subnet) => !isInternetGateway(routeFor(tableOfSubnet(facts.routeTables, subnet.subnetId, subnet.vpcId)?.routes ?? [], '0.0.0.0'));
  // How many members each subnet holds: the sensor best sits where most members are.
  const members = new Map<string, number>();
  for (const i of instances) members.set(i.subnetId, (members.get(i.subnetId) ?? 0) + 1);
  const azs = [...new Set(instances.filter((i) => i.vpcId === sensorVpcId && i.state === 'running').map((i) => i.availabilityZone))].sort();
  const sensorSubnetIds: string[] = [...(facts.sensor?.subnetIds ?? [])];
  for (const az of facts.sensor ? [] : azs) {
    const inAz = facts.subnets.filter((s) => s.vpcId === sensorVpcId && s.availabilityZone === az);
    const rank = (s: Subnet) => (isPrivate(s) ? 0 : 1_000_000) - (members.get(s.subnetId) ?? 0);
    const [best] = [...inAz].sort((a, b) => rank(a) - rank(b) || a.subnetId.localeCompare(b.subnetId));
    if (!best) continue;
    if (!isPrivate(best)) notes.push(`no private subnet in ${az}: the sensor gets ${best.subnetId}, which routes to an internet gateway (it needs no internet: it only opens TCP connections to the members)`);
    sensorSubnetIds.push(best.subnetId);
  }
  const given = facts.sensor?.securityGroupIds ?? [];
  const params = [quote(`vpcIds=${vpcIds.join(',')}`), quote(`sensorSubnetIds=${sensorSubnetIds.join(',')}`)];
  if (given.length > 0) params.push(quote(`sensorSecurityGroupIds=${given.join(',')}`));
  else {
    // The stack creates the sensor's own security group, in sensorVpcId: by default the first of vpcIds.
    if (sensorVpcId !== vpcIds[0]) params.push(quote(`sensorVpcId=${sensorVpcId}`));
    notes.push(
      `the stack creates the sensor's own security group in ${sensorVpcId} (no inbound rule, TCP out to the private ranges); after the deploy, let it into the members' security groups on their failover:ports: the stack's SensorSecurityGroupId output (see sensor-access)`,
    );
  }
  const commands = [[`npx serverless deploy --stage ${facts.stage} --region ${facts.region}`, ...params].join(' \\\n    ')];
  return { vpcIds, sensorVpcId, sensorSubnetIds, commands, notes };
}
