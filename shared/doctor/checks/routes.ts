/**
 * Routing checks: the NATAZ tables of a NAT group, the NATs' own way out, and the sensor
 * subnets' routes to the members.
 */
import type { RouteTarget } from '../../core/model.js';
import { DEFAULT_IPV4_ROUTE, sameDestination } from '../../core/routes.js';
import type { Finding } from '../model.js';
import { groupsAdmit, isInternetGateway, rangeOf, routeFor, tableOfSubnet } from '../net.js';
import { type Check, memberEni, ok, running } from '../subject.js';

const NATAZ_FIX = 'VPC console → Route tables → select the table → Tags → Manage tags; or: aws ec2 create-tags --resources rtb-… --tags Key=NATAZ,Value=<AZ or any>';

export const natTablesCheck: Check = (subject, facts) => {
  const group = subject.group;
  if (group?.kind !== 'nat') return [];
  if (group.tables.length === 0) {
    return [{ check: 'nat-tables', severity: 'blocker', detail: `no route table in ${group.vpcId} is tagged NATAZ: the group routes nothing`, fix: NATAZ_FIX }];
  }
  const natAzs = new Set(running(subject).map((i) => i.availabilityZone));
  const memberEnis = new Set(group.members.map((m) => m.eni.networkInterfaceId));
  const memberIds = new Set(group.members.map((m) => m.instance.instanceId));
  const findings: Finding[] = [];
  for (const { table, az } of group.tables) {
    const id = table.routeTableId;
    const route = table.routes.find((r) => sameDestination(r.destination, DEFAULT_IPV4_ROUTE));
    if (!route) {
      findings.push({ check: 'nat-tables', severity: 'blocker', detail: `${id} (NATAZ=${az}) has no ${DEFAULT_IPV4_ROUTE.value} route: its subnets have no way out`, fix: `aws ec2 create-route --route-table-id ${id} --destination-cidr-block ${DEFAULT_IPV4_ROUTE.value} --network-interface-id <the ${az === 'any' ? '' : `${az} `}NAT's ENI>` });
    } else if (route.state === 'blackhole') {
      findings.push({ check: 'nat-tables', severity: 'warning', detail: `${id} (NATAZ=${az}): ${DEFAULT_IPV4_ROUTE.value} is a blackhole; the core replaces it at its first reconcile` });
    } else {
      const target = route.target;
      const gatewayIds = new Set((group.gateways ?? []).map((g) => g.natGatewayId));
      const inGroup =
        (target.kind === 'eni' && memberEnis.has(target.networkInterfaceId)) ||
        (target.kind === 'instance' && memberIds.has(target.instanceId)) ||
        (target.kind === 'nat-gateway' && gatewayIds.has(target.natGatewayId));
      if (!inGroup) {
        const what = routeTargetText(target);
        findings.push({ check: 'nat-tables', severity: 'warning', detail: `${id} (NATAZ=${az}): ${DEFAULT_IPV4_ROUTE.value} goes to ${what}, outside the group; the tag hands the route to vpc-failover, which replaces it`, fix: 'untag the table if it should keep its route' });
      }
    }
    const served = facts.routeTables.find((t) => t.routeTableId === id);
    const subnets = facts.subnets.filter((s) => served?.subnetIds.includes(s.subnetId));
    if (served && !served.main && served.subnetIds.length === 0) {
      findings.push({ check: 'nat-tables', severity: 'warning', detail: `${id} (NATAZ=${az}) is associated with no subnet: it serves nothing`, fix: `aws ec2 associate-route-table --route-table-id ${id} --subnet-id subnet-…` });
    }
    if (az === 'any') continue;
    const azs = new Set([az, ...subnets.map((s) => s.availabilityZone)]);
    for (const served of [...azs].sort()) {
      if (natAzs.has(served)) continue;
      findings.push({
        check: 'nat-tables',
        severity: 'warning',
        detail: `${id} serves ${served}${served === az ? '' : ` (tagged NATAZ=${az})`}, where no NAT of the group runs: its traffic crosses AZs, and fails over with no NAT of its own`,
        fix: `run a NAT in ${served}, or tag the table NATAZ=any if that is intended (${NATAZ_FIX})`,
      });
    }
  }
  return findings.length > 0 ? findings : [ok('nat-tables', `${group.tables.length} NATAZ table(s), each with a default route to the group and a NAT in its AZ`)];
};

/** A NAT instance needs its own way out: a public address, a subnet routed to an internet gateway, and SGs that let the private subnets in. */
export const natEgressCheck: Check = (subject, facts) => {
  const group = subject.group;
  if (group?.kind !== 'nat') return [];
  const findings: Finding[] = [];
  const privateCidrs = facts.subnets
    .filter((s) => group.tables.some((t) => facts.routeTables.find((f) => f.routeTableId === t.table.routeTableId)?.subnetIds.includes(s.subnetId)))
    .map((s) => s.cidrBlock);
  if (facts.unread?.securityGroups !== undefined) {
    findings.push({ check: 'nat-egress', severity: 'warning', detail: `the NATs' security groups not read, not checked: ${facts.unread.securityGroups}`, fix: 'allow ec2:DescribeSecurityGroups to whoever runs doctor, and run it again' });
  }
  for (const instance of running(subject)) {
    const eni = memberEni(subject, instance);
    const table = tableOfSubnet(facts.routeTables, eni?.subnetId ?? instance.subnetId, instance.vpcId);
    const route = table && routeFor(table.routes, '0.0.0.0');
    if (!isInternetGateway(route)) {
      const where = route ? routeTargetText(route.target) : 'nothing';
      findings.push({ check: 'nat-egress', severity: 'blocker', detail: `${instance.instanceId}'s subnet ${instance.subnetId} sends ${DEFAULT_IPV4_ROUTE.value} to ${where}, not an internet gateway`, fix: `aws ec2 create-route --route-table-id ${table?.routeTableId ?? 'rtb-…'} --destination-cidr-block ${DEFAULT_IPV4_ROUTE.value} --gateway-id igw-… (or move the NAT to a public subnet)` });
    }
    if (facts.instances[instance.instanceId]?.publicIp === undefined) {
      findings.push({ check: 'nat-egress', severity: 'blocker', detail: `${instance.instanceId} has no public IPv4: it cannot translate to the internet`, fix: `aws ec2 allocate-address, then aws ec2 associate-address --allocation-id eipalloc-… --network-interface-id ${eni?.networkInterfaceId ?? 'eni-…'}` });
    }
    const sgIds = (eni && facts.instances[instance.instanceId]?.eniSecurityGroups[eni.networkInterfaceId]) ?? [];
    const sgs = facts.securityGroups.filter((g) => sgIds.includes(g.groupId));
    for (const cidr of facts.unread?.securityGroups === undefined ? privateCidrs : []) {
      const range = rangeOf(cidr);
      if (range && !groupsAdmit(sgs, 'ingress', 443, { groupIds: [], range })) {
        findings.push({ check: 'nat-egress', severity: 'warning', detail: `${instance.instanceId}'s security groups (${sgIds.join(', ') || 'none'}) do not let ${cidr} in (checked on tcp 443): that subnet's traffic stops at the NAT`, fix: `aws ec2 authorize-security-group-ingress --group-id ${sgIds[0] ?? 'sg-…'} --protocol -1 --cidr ${cidr}` });
      }
    }
    if (facts.unread?.securityGroups === undefined && sgs.length > 0 && !groupsAdmit(sgs, 'egress', 443, { groupIds: [], range: { first: 0, last: 2 ** 32 - 1 } })) {
      findings.push({ check: 'nat-egress', severity: 'warning', detail: `${instance.instanceId}'s security groups do not let it out to 0.0.0.0/0 (checked on tcp 443)`, fix: `aws ec2 authorize-security-group-egress --group-id ${sgIds[0] ?? 'sg-…'} --ip-permissions IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]` });
    }
  }
  return findings.length > 0 ? findings : [ok('nat-egress', 'every NAT has a public address, an internet gateway route, and lets the private subnets in')];
};

export const sensorRouteCheck: Check = (subject, facts) => {
  const sensor = facts.sensor;
  const members = running(subject);
  if (!sensor || members.length === 0) return [];
  const findings: Finding[] = [];
  for (const subnetId of sensor.subnetIds) {
    const subnet = facts.subnets.find((s) => s.subnetId === subnetId);
    if (!subnet) {
      findings.push({ check: 'sensor-route', severity: 'blocker', detail: `the sensor's subnet ${subnetId} was not found in ${facts.region}`, fix: 'deploy with sensorSubnetIds from this Region (doctor prints them before a first deploy)' });
      continue;
    }
    const table = tableOfSubnet(facts.routeTables, subnetId, subnet.vpcId);
    for (const instance of members) {
      const ip = memberEni(subject, instance)?.privateIps.find((p) => p.primary)?.address ?? instance.privateIp;
      const route = table && routeFor(table.routes, ip);
      if (route && route.state === 'active') continue;
      findings.push({
        check: 'sensor-route',
        severity: 'blocker',
        detail: `the sensor's subnet ${subnetId} (${subnet.vpcId}) has ${route ? 'a blackhole route' : 'no route'} to ${instance.instanceId} at ${ip}`,
        fix: subnet.vpcId === instance.vpcId
          ? `aws ec2 describe-route-tables --filters Name=association.subnet-id,Values=${subnetId}`
          : `peer the VPCs (or attach both to a transit gateway) and add: aws ec2 create-route --route-table-id ${table?.routeTableId ?? 'rtb-…'} --destination-cidr-block <${instance.vpcId} CIDR> --vpc-peering-connection-id pcx-…; or put the sensor in ${instance.vpcId}`,
      });
    }
  }
  return findings.length > 0 ? findings : [ok('sensor-route', `the sensor's subnets (${sensor.subnetIds.join(', ')}) route to every member`)];
};

/** Where a route goes, for people: the ID EC2 shows for it. */
function routeTargetText(target: RouteTarget): string {
  switch (target.kind) {
    case 'other':
      return target.description;
    case 'eni':
      return target.networkInterfaceId;
    case 'instance':
      return target.instanceId;
    case 'nat-gateway':
      return target.natGatewayId;
  }
}
