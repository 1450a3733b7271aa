/**
 * Whether the in-VPC sensor can open TCP connections to each member on its failover:ports: the
 * members' security groups let the sensor in, the sensor's let it out, and where the sensor and
 * the member are in different subnets, both subnets' network ACLs pass the connection and its
 * replies (to the ephemeral ports). Before a first deploy, it says which rule will be needed.
 */
import type { Instance, NetworkInterface } from '../../core/model.js';
import type { DoctorFacts, Finding, NetworkAclFacts, SecurityGroupFacts } from '../model.js';
import { type AddressRange, EPHEMERAL, evaluateAcl, groupsAdmit, rangeOf } from '../net.js';
import { type Check, memberEni, ok, portsOf, running } from '../subject.js';

const aclOf = (facts: DoctorFacts, subnetId: string, vpcId: string): NetworkAclFacts | undefined =>
  facts.networkAcls.find((a) => a.subnetIds.includes(subnetId)) ?? facts.networkAcls.find((a) => a.isDefault && a.vpcId === vpcId);

/** The largest free rule number below the one that denied, so the new allow is evaluated first. */
function freeRuleBelow(acl: NetworkAclFacts, egress: boolean, below: number): number {
  const used = new Set(acl.entries.filter((e) => e.egress === egress).map((e) => e.ruleNumber));
  for (let n = Math.min(below - 1, 32766); n >= 1; n -= 1) if (!used.has(n)) return n;
  return 1;
}

interface Side {
  readonly subnetId: string;
  readonly cidr: string;
  readonly range: AddressRange;
}

/** NACL findings for one sensor subnet and one member address on one port. */
function aclFindings(facts: DoctorFacts, sensor: Side & { vpcId: string }, member: { instance: Instance; ip: string; subnetId: string }, port: number): Finding[] {
  if (sensor.subnetId === member.subnetId) return [];
  const memberRange = rangeOf(member.ip);
  const memberAcl = aclOf(facts, member.subnetId, member.instance.vpcId);
  const sensorAcl = aclOf(facts, sensor.subnetId, sensor.vpcId);
  if (!memberRange) return [];
  const legs = [
    { acl: memberAcl, egress: false, peer: sensor.range, peerCidr: sensor.cidr, ports: { from: port, to: port }, what: `into ${member.subnetId} from ${sensor.cidr} on tcp ${port}` },
    { acl: memberAcl, egress: true, peer: sensor.range, peerCidr: sensor.cidr, ports: EPHEMERAL, what: `replies out of ${member.subnetId} to ${sensor.cidr} on tcp 1024-65535` },
    { acl: sensorAcl, egress: true, peer: memberRange, peerCidr: `${member.ip}/32`, ports: { from: port, to: port }, what: `out of the sensor's ${sensor.subnetId} to ${member.ip} on tcp ${port}` },
    { acl: sensorAcl, egress: false, peer: memberRange, peerCidr: `${member.ip}/32`, ports: EPHEMERAL, what: `replies into the sensor's ${sensor.subnetId} from ${member.ip} on tcp 1024-65535` },
  ];
  return legs.flatMap(({ acl, egress, peer, peerCidr, ports, what }): Finding[] => {
    if (!acl) return [];
    const verdict = evaluateAcl(acl.entries, egress, peer, ports);
    if (verdict.verdict === 'allow') return [];
    const rule = verdict.ruleNumber === 32767 ? 'its final * rule' : `rule ${verdict.ruleNumber}`;
    return [{
      check: 'sensor-access',
      severity: 'blocker',
      detail: `network ACL ${acl.networkAclId} ${verdict.verdict === 'partial' ? 'drops some traffic' : 'drops traffic'} ${what} (${rule})`,
      fix: `aws ec2 create-network-acl-entry --network-acl-id ${acl.networkAclId} ${egress ? '--egress' : '--ingress'} --rule-number ${freeRuleBelow(acl, egress, verdict.ruleNumber)} --protocol tcp --port-range From=${ports.from},To=${ports.to} --cidr-block ${peerCidr} --rule-action allow`,
    }];
  });
}

function sgFindings(facts: DoctorFacts, sensorSgs: readonly SecurityGroupFacts[], sensor: Side, instance: Instance, eni: NetworkInterface, port: number): Finding[] {
  const sgIds = facts.instances[instance.instanceId]?.eniSecurityGroups[eni.networkInterfaceId] ?? [];
  const memberSgs = facts.securityGroups.filter((g) => sgIds.includes(g.groupId));
  const sensorIds = sensorSgs.map((g) => g.groupId);
  const ip = eni.privateIps.find((p) => p.primary)?.address ?? instance.privateIp;
  const findings: Finding[] = [];
  if (!groupsAdmit(memberSgs, 'ingress', port, { groupIds: sensorIds, range: sensor.range })) {
    findings.push({
      check: 'sensor-access',
      severity: 'blocker',
      detail: `${instance.instanceId}'s security groups (${sgIds.join(', ') || 'none'}) do not let the sensor in on tcp ${port}`,
      fix: `aws ec2 authorize-security-group-ingress --group-id ${sgIds[0] ?? 'sg-…'} --protocol tcp --port ${port} --source-group ${sensorIds[0] ?? 'sg-…'} (EC2 console → Security Groups → ${sgIds[0] ?? 'the member\'s group'} → Edit inbound rules)`,
    });
  }
  const range = rangeOf(ip);
  if (range && !groupsAdmit(sensorSgs, 'egress', port, { groupIds: sgIds, range })) {
    findings.push({
      check: 'sensor-access',
      severity: 'blocker',
      detail: `the sensor's security groups (${sensorIds.join(', ')}) do not let it out to ${ip} on tcp ${port}`,
      fix: `aws ec2 authorize-security-group-egress --group-id ${sensorIds[0] ?? 'sg-…'} --ip-permissions IpProtocol=tcp,FromPort=${port},ToPort=${port},IpRanges=[{CidrIp=${ip}/32}]`,
    });
  }
  return findings;
}

export const sensorAccessCheck: Check = (subject, facts) => {
  const members = running(subject);
  if (members.length === 0) return [];
  const ports = [...new Set(members.flatMap((i) => portsOf(subject, i.instanceId)))].sort((a, b) => a - b);
  if (ports.length === 0) {
    if (!subject.group) return [];
    return [{
      check: 'sensor-access',
      severity: 'warning',
      detail: 'no member has failover:ports: the sensor cannot probe them, so a hung member is never detected (only EC2 state and status checks count)',
      fix: `aws ec2 create-tags --resources ${members.map((i) => i.instanceId).join(' ')} --tags Key=failover:ports,Value=22`,
    }];
  }
  const sensor = facts.sensor;
  if (!sensor) {
    const sgIds = [...new Set(members.flatMap((i) => { const eni = memberEni(subject, i); return (eni && facts.instances[i.instanceId]?.eniSecurityGroups[eni.networkInterfaceId]) ?? []; }))].sort();
    return [{
      check: 'sensor-access',
      severity: 'warning',
      detail: `the sensor is not deployed yet: the members' security groups (${sgIds.join(', ') || 'none'}) will need to let its security group (the stack creates it) in on tcp ${ports.join(',')}`,
      fix: sgIds.map((sg) => ports.map((p) => `aws ec2 authorize-security-group-ingress --group-id ${sg} --protocol tcp --port ${p} --source-group <the stack's SensorSecurityGroupId output>`).join('; ')).join('; '),
    }];
  }
  const sensorSgs = facts.securityGroups.filter((g) => sensor.securityGroupIds.includes(g.groupId));
  const findings = new Map<string, Finding>();
  const { securityGroups: sgUnread, networkAcls: aclUnread } = facts.unread ?? {};
  for (const [what, why, action] of [['security groups', sgUnread, 'ec2:DescribeSecurityGroups'], ['network ACLs', aclUnread, 'ec2:DescribeNetworkAcls']] as const) {
    if (why !== undefined) findings.set(what, { check: 'sensor-access', severity: 'warning', detail: `${what} not read, not checked: ${why}`, fix: `allow ${action} to whoever runs doctor, and run it again` });
  }
  for (const subnetId of sensor.subnetIds) {
    const subnet = facts.subnets.find((s) => s.subnetId === subnetId);
    const range = subnet && rangeOf(subnet.cidrBlock);
    if (!subnet || !range) continue; // sensor-route names a missing subnet
    const side = { subnetId, cidr: subnet.cidrBlock, range, vpcId: subnet.vpcId };
    for (const instance of members) {
      const eni = memberEni(subject, instance);
      if (!eni) continue;
      const ip = eni.privateIps.find((p) => p.primary)?.address ?? instance.privateIp;
      for (const port of portsOf(subject, instance.instanceId)) {
        const sg = sgUnread === undefined ? sgFindings(facts, sensorSgs, side, instance, eni, port) : [];
        const acl = aclUnread === undefined ? aclFindings(facts, side, { instance, ip, subnetId: eni.subnetId }, port) : [];
        for (const f of [...sg, ...acl]) {
          findings.set(`${f.detail}|${f.fix ?? ''}`, f);
        }
      }
    }
  }
  if (findings.size > 0) return [...findings.values()];
  return [ok('sensor-access', `the sensor reaches every running member on tcp ${ports.join(',')} (security groups and network ACLs)`)];
};
