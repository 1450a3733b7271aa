/**
 * The addresses a group moves: a VIP inside its subnet's usable range, held by a member, and
 * claimed by no other group or ENI; an Elastic IP associated with a member or with nothing.
 */
import { ipv4ToInt, parseCidr } from '../../core/validate.js';
import type { Finding } from '../model.js';
import { type Check, ok } from '../subject.js';

/** AWS reserves the first four addresses of every subnet and the last one. */
function reservedInSubnet(cidr: string, ip: string): boolean {
  const parsed = parseCidr(cidr);
  if (!parsed) return false;
  const size = 2 ** (32 - parsed.prefixLength);
  const offset = ipv4ToInt(ip) - Math.floor(ipv4ToInt(parsed.base) / size) * size;
  return offset < 4 || offset === size - 1;
}

export const vipCheck: Check = (subject, facts, all) => {
  const group = subject.group;
  if (group?.kind !== 'vip') return [];
  const findings: Finding[] = [];
  const { vip, subnet } = group;
  if (reservedInSubnet(subnet.cidrBlock, vip)) {
    findings.push({ check: 'vip', severity: 'blocker', detail: `${vip} is one of the addresses AWS reserves in ${subnet.subnetId} (${subnet.cidrBlock}): the first four and the last`, fix: `choose another address in ${subnet.cidrBlock} and retag: aws ec2 create-tags --resources <members> --tags Key=failover:vip,Value=<address>` });
  }
  const others = all.filter((s) => s.name !== subject.name && s.group?.kind === 'vip' && s.group.vip === vip && s.group.subnet.vpcId === subnet.vpcId);
  for (const other of others) {
    findings.push({ check: 'vip', severity: 'blocker', detail: `group ${other.name} claims ${vip} too: each would take it from the other`, fix: `give one of the groups another failover:vip` });
  }
  const memberEnis = new Set(group.members.map((m) => m.eni.networkInterfaceId));
  const unread = facts.unread?.addressHolders;
  if (unread !== undefined) {
    findings.push({ check: 'vip', severity: 'warning', detail: `the subnet's interfaces not read, so an ENI outside the group holding ${vip} would go unseen: ${unread}`, fix: 'allow ec2:DescribeNetworkInterfaces to whoever runs doctor, and run it again' });
  }
  for (const holder of facts.addressHolders.filter((h) => h.ip === vip && !memberEnis.has(h.networkInterfaceId))) {
    const what = `${holder.networkInterfaceId}${holder.instanceId ? ` (${holder.instanceId})` : ''}${holder.description ? ` "${holder.description}"` : ''}`;
    findings.push({
      check: 'vip',
      severity: 'blocker',
      detail: holder.primary
        ? `${vip} is the primary address of ${what}, outside the group: it can never move`
        : `${vip} is held by ${what}, outside the group: a failover would take it away from it`,
      fix: holder.primary
        ? 'choose another failover:vip'
        : `if it is not in use there: aws ec2 unassign-private-ip-addresses --network-interface-id ${holder.networkInterfaceId} --private-ip-addresses ${vip}; else choose another failover:vip`,
    });
  }
  const holders = group.members.filter((m) => m.eni.privateIps.some((ip) => ip.address === vip));
  if (holders.length === 0 && findings.every((f) => f.severity !== 'blocker')) {
    const [best] = [...group.members].sort((a, b) => a.priority - b.priority);
    findings.push({
      check: 'vip',
      severity: 'warning',
      detail: `no member holds ${vip}: the core assigns it to the best healthy member at its first reconcile`,
      fix: best ? `to place it now: aws ec2 assign-private-ip-addresses --network-interface-id ${best.eni.networkInterfaceId} --private-ip-addresses ${vip}` : 'add members',
    });
  }
  if (findings.length > 0) return findings;
  return [ok('vip', `${vip} in ${subnet.subnetId} (${subnet.cidrBlock}), held by ${holders.map((h) => h.instance.instanceId).join(', ')}`)];
};

export const eipCheck: Check = (subject, facts, all) => {
  const group = subject.group;
  if (group?.kind !== 'eip') return [];
  const findings: Finding[] = [];
  const { address } = group;
  for (const other of all.filter((s) => s.name !== subject.name && s.group?.kind === 'eip' && s.group.allocationId === group.allocationId)) {
    findings.push({ check: 'eip', severity: 'blocker', detail: `group ${other.name} claims ${group.allocationId} too`, fix: 'give one of the groups another failover:eip' });
  }
  const association = address.association;
  const memberEnis = new Set(group.members.map((m) => m.eni.networkInterfaceId));
  const memberIds = new Set(group.members.map((m) => m.instance.instanceId));
  if (!association) {
    findings.push({ check: 'eip', severity: 'warning', detail: `${address.publicIp} (${group.allocationId}) is associated with nothing: the core associates it at its first reconcile` , fix: `to place it now: aws ec2 associate-address --allocation-id ${group.allocationId} --network-interface-id <a member's ENI>` });
  } else if (!(association.networkInterfaceId && memberEnis.has(association.networkInterfaceId)) && !(association.instanceId && memberIds.has(association.instanceId))) {
    const where = association.networkInterfaceId ?? association.instanceId ?? association.associationId;
    findings.push({
      check: 'eip',
      severity: 'blocker',
      detail: `${address.publicIp} (${group.allocationId}) is associated with ${where}, outside the group: a failover would take it away from it`,
      fix: `if it is not in use there: aws ec2 disassociate-address --association-id ${association.associationId}; else tag the group with another allocation`,
    });
  }
  return findings.length > 0 ? findings : [ok('eip', `${address.publicIp} in ${facts.region}, on ${association?.instanceId ?? association?.networkInterfaceId}`)];
};
