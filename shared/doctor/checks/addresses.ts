/**
 * The addresses a group moves. Whether the group owns its address (nobody outside holds it, no
 * other group claims it, an Elastic IP carries the group's own tag) is discovery's verdict
 * (shared/core/ownership.ts): doctor reports discovery's problem as discovery words it, as a
 * blocker, and adds the command that fixes it. What discovery does not judge (an address AWS
 * reserves, an address no member holds yet) doctor checks itself, on the groups discovery kept.
 */
import type { Instance } from '../../core/model.js';
import { TAG } from '../../core/tags.js';
import { ipv4ToInt, parseCidr } from '../../core/validate.js';
import type { DoctorFacts, Finding } from '../model.js';
import { type Check, type Subject, ok } from '../subject.js';

/** AWS reserves the first four addresses of every subnet and the last one. */
function reservedInSubnet(cidr: string, ip: string): boolean {
  const parsed = parseCidr(cidr);
  if (!parsed) return false;
  const size = 2 ** (32 - parsed.prefixLength);
  const offset = ipv4ToInt(ip) - Math.floor(ipv4ToInt(parsed.base) / size) * size;
  return offset < 4 || offset === size - 1;
}

/** The phrases ownership's problems carry (shared/core/ownership.ts), one per kind of refusal. */
const HELD_OUTSIDE = 'an address held outside the group is never taken';
const OWN_TAG = 'an Elastic IP is used only by the group its own tag names';
const SHARED = 'two groups never share an address';

/** Whether a discovery problem is an ownership refusal, reported by the vip or eip check. */
export function isOwnershipProblem(problem: string): boolean {
  return problem.includes(HELD_OUTSIDE) || problem.includes(OWN_TAG) || problem.includes(SHARED);
}

const tagOf = (instances: readonly Instance[], key: string) => instances.map((i) => i.tags[key]?.trim()).find((v) => v !== undefined && v !== '');
const EIP_TAG_CONSOLE = 'EC2 console → Elastic IPs → select the address → Tags → Manage tags';

/** The command that fixes one ownership refusal of a vip group. */
function vipFix(subject: Subject, problem: string, facts: DoctorFacts): string {
  const vip = tagOf(subject.instances, TAG.vip) ?? '<address>';
  const members = subject.instances.map((i) => i.instanceId).join(' ');
  const retag = `aws ec2 create-tags --resources ${members} --tags Key=${TAG.vip},Value=<an address nobody holds>`;
  if (problem.includes(SHARED)) return `give one of the groups another ${TAG.vip}: ${retag}`;
  const holder = facts.snapshot.addressHolders.find((h) => problem.includes(h.networkInterfaceId));
  const primary = holder?.privateIps.some((ip) => ip.address === vip && ip.primary) === true;
  if (!holder || primary) return `${holder ? `${vip} is ${holder.networkInterfaceId}'s primary address and can never move: ` : ''}${retag}`;
  return `if it is not in use there: aws ec2 unassign-private-ip-addresses --network-interface-id ${holder.networkInterfaceId} --private-ip-addresses ${vip}; else ${retag}`;
}

/** The command that fixes one ownership refusal of an eip group. */
function eipFix(subject: Subject, problem: string, facts: DoctorFacts): string {
  const allocationId = tagOf(subject.instances, TAG.eip) ?? 'eipalloc-…';
  const members = subject.instances.map((i) => i.instanceId).join(' ');
  const retag = `aws ec2 create-tags --resources ${members} --tags Key=${TAG.eip},Value=<an allocation of ${subject.name}'s own>`;
  if (problem.includes(SHARED)) return `give one of the groups another ${TAG.eip}: ${retag}`;
  if (problem.includes(OWN_TAG)) {
    return `if the address belongs to ${subject.name}: aws ec2 create-tags --resources ${allocationId} --tags Key=${TAG.group},Value=${subject.name} (${EIP_TAG_CONSOLE}); else ${retag}`;
  }
  const association = facts.snapshot.addresses.find((a) => a.allocationId === allocationId)?.association;
  return `if it is not in use there: aws ec2 disassociate-address --association-id ${association?.associationId ?? 'eipassoc-…'}; else ${retag}`;
}

/** Discovery refused the group for an address it does not own: its words, doctor's fix. */
function ownershipFindings(subject: Subject, facts: DoctorFacts, kind: 'vip' | 'eip'): Finding[] {
  if (subject.group || subject.kind !== kind) return [];
  return subject.problems.filter(isOwnershipProblem).map((problem): Finding => ({
    check: kind,
    severity: 'blocker',
    detail: problem,
    fix: kind === 'vip' ? vipFix(subject, problem, facts) : eipFix(subject, problem, facts),
  }));
}

export const vipCheck: Check = (subject, facts) => {
  const group = subject.group;
  if (group?.kind !== 'vip') return ownershipFindings(subject, facts, 'vip');
  const findings: Finding[] = [];
  const { vip, subnet } = group;
  if (reservedInSubnet(subnet.cidrBlock, vip)) {
    findings.push({ check: 'vip', severity: 'blocker', detail: `${vip} is one of the addresses AWS reserves in ${subnet.subnetId} (${subnet.cidrBlock}): the first four and the last`, fix: `choose another address in ${subnet.cidrBlock} and retag: aws ec2 create-tags --resources <members> --tags Key=failover:vip,Value=<address>` });
  }
  const holders = group.members.filter((m) => m.eni.privateIps.some((ip) => ip.address === vip));
  if (holders.length === 0 && findings.length === 0) {
    const [best] = [...group.members].sort((a, b) => a.priority - b.priority);
    findings.push({
      check: 'vip',
      severity: 'warning',
      detail: `no member holds ${vip}: the core assigns it to the best healthy member at its first reconcile`,
      fix: best ? `to place it now: aws ec2 assign-private-ip-addresses --network-interface-id ${best.eni.networkInterfaceId} --private-ip-addresses ${vip}` : 'add members',
    });
  }
  if (findings.length > 0) return findings;
  return [ok('vip', `${vip} in ${subnet.subnetId} (${subnet.cidrBlock}), held by ${holders.map((h) => h.instance.instanceId).join(', ')}, and by nobody outside ${subject.name}`)];
};

export const eipCheck: Check = (subject, facts) => {
  const group = subject.group;
  if (group?.kind !== 'eip') return ownershipFindings(subject, facts, 'eip');
  const { address } = group;
  const association = address.association;
  if (!association) {
    return [{ check: 'eip', severity: 'warning', detail: `${address.publicIp} (${group.allocationId}) is associated with nothing: the core associates it at its first reconcile`, fix: `to place it now: aws ec2 associate-address --allocation-id ${group.allocationId} --network-interface-id <a member's ENI>` }];
  }
  return [ok('eip', `${address.publicIp} (${group.allocationId}, tagged ${TAG.group}=${subject.name}) in ${facts.region}, on ${association.instanceId ?? association.networkInterfaceId}`)];
};
