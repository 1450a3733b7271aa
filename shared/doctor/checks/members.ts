/**
 * Checks of the members themselves: tags (discovery's problems, as discovery words them), the
 * deployment's VPCs, instance state, SSM registration, the source/dest check of forwarding nodes,
 * and the private-IP quota of a VIP's ENIs.
 */
import type { Finding } from '../model.js';
import { type Check, memberEni, ok, running } from '../subject.js';
import { isOwnershipProblem } from './addresses.js';

const TAG_FIX = 'EC2 console → Instances → select the instance → Tags → Manage tags; or: aws ec2 create-tags --resources i-… --tags Key=failover:…,Value=…';

export const tagsCheck: Check = (subject) => {
  // An address the group does not own is the vip or eip check's blocker, with its own fix.
  const own = subject.problems.filter((p) => !subject.scopeProblems.includes(p) && !isOwnershipProblem(p));
  if (own.length === 0) return [ok('tags', `${subject.kind ?? 'group'} of ${subject.instances.length} member(s), tags agree`)];
  return own.map((problem): Finding => ({ check: 'tags', severity: 'blocker', detail: problem, fix: TAG_FIX }));
};

export const vpcScopeCheck: Check = (subject, facts) => {
  if (!facts.vpcIds) return [];
  if (subject.scopeProblems.length === 0) return [ok('vpc-scope', `${subject.vpcId ?? 'its VPC'} is in vpcIds`)];
  const all = [...new Set([...facts.vpcIds, ...subject.instances.map((i) => i.vpcId).filter((v) => v !== '')])].sort().join(',');
  return subject.scopeProblems.map((problem): Finding => ({
    check: 'vpc-scope',
    severity: 'blocker',
    detail: problem,
    fix: `deploy with the VPC added: npx serverless deploy --stage ${facts.stage} --param="vpcIds=${all}"`,
  }));
};

const GONE = new Set(['stopping', 'stopped', 'shutting-down', 'terminated']);

export const stateCheck: Check = (subject) => {
  const gone = subject.instances.filter((i) => GONE.has(i.state));
  const pending = subject.instances.filter((i) => i.state === 'pending');
  const up = running(subject).length;
  if (gone.length === 0 && pending.length === 0) return [ok('state', `${up} member(s) running`)];
  const findings: Finding[] = gone.map((i) => ({
    check: 'state',
    // One running member left is a group that cannot fail over.
    severity: up < 2 ? 'blocker' : 'warning',
    detail: `${i.instanceId} is ${i.state}${up < 2 ? `: ${up} running member(s) left, nothing to fail over to` : ''}`,
    fix: i.state === 'terminated' || i.state === 'shutting-down'
      ? `launch a replacement tagged failover:group=${subject.name}, or remove the member from the group`
      : `aws ec2 start-instances --instance-ids ${i.instanceId} (EC2 console → Instances → Instance state → Start)`,
  }));
  for (const i of pending) findings.push({ check: 'state', severity: 'warning', detail: `${i.instanceId} is pending`, fix: 'run doctor again once it runs' });
  return findings;
};

const SSM_FIX = (instanceId: string, profile: boolean) =>
  `${profile ? '' : `attach an instance profile whose role has AmazonSSMManagedInstanceCore (aws ec2 associate-iam-instance-profile --instance-id ${instanceId} --iam-instance-profile Name=…), `}` +
  'run the SSM agent, and give it a path to SSM (a NAT, or the ssm, ssmmessages and ec2messages VPC endpoints); Systems Manager console → Fleet Manager lists what registered';

export const ssmCheck: Check = (subject, facts) => {
  const members = running(subject);
  if (members.length === 0) return [];
  if (!facts.ssm.ok) {
    return [{ check: 'ssm', severity: 'warning', detail: `SSM registration not read: ${facts.ssm.error}`, fix: 'allow ssm:DescribeInstanceInformation to whoever runs doctor, and run it again' }];
  }
  const ping = facts.ssm.pingStatus;
  const findings: Finding[] = [];
  for (const instance of members) {
    const status = ping[instance.instanceId];
    const profile = facts.instances[instance.instanceId]?.profileArn !== undefined;
    if (status === 'Online') continue;
    findings.push({
      check: 'ssm',
      // Peer probes and `ip addr` on a VIP's new holder go through SSM Run Command.
      severity: 'blocker',
      detail: status === undefined
        ? `${instance.instanceId} is not registered with SSM${profile ? '' : ' and has no instance profile'}: no peer probes, no OS-side address moves`
        : `${instance.instanceId}'s SSM agent is ${status}, not Online`,
      fix: SSM_FIX(instance.instanceId, profile),
    });
  }
  return findings.length > 0 ? findings : [ok('ssm', `${members.length} member(s) Online in SSM`)];
};

export const sourceDestCheck: Check = (subject) => {
  if (subject.kind !== 'nat' && subject.kind !== 'overlay') return [];
  const group = subject.group;
  const routed = new Set(
    (group?.kind === 'nat' ? group.tables.map((t) => t.table) : group?.kind === 'overlay' ? group.tables : [])
      .flatMap((t) => t.routes)
      .flatMap((r) => (r.target.kind === 'eni' ? [r.target.networkInterfaceId] : [])),
  );
  const findings: Finding[] = [];
  for (const instance of running(subject)) {
    const eni = memberEni(subject, instance);
    if (!eni || !eni.sourceDestCheck) continue;
    const holds = routed.has(eni.networkInterfaceId);
    findings.push({
      check: 'source-dest',
      // The core turns it off before routing to a standby; on the node routes point at now, traffic is dropped today.
      severity: holds ? 'blocker' : 'warning',
      detail: `${instance.instanceId} (${eni.networkInterfaceId}) has its source/dest check on${holds ? ' and routes point at it: forwarded traffic is dropped now' : '; the core turns it off when it routes to it (ec2:ModifyNetworkInterfaceAttribute)'}`,
      fix: `aws ec2 modify-network-interface-attribute --network-interface-id ${eni.networkInterfaceId} --no-source-dest-check (EC2 console → Instances → Actions → Networking → Change source/destination check → Stop)`,
    });
  }
  return findings.length > 0 ? findings : [ok('source-dest', 'source/dest check off on every running member')];
};

/** A VIP's standby must have room for one more private IPv4 on its ENI (Ipv4AddressesPerInterface). */
export const quotaCheck: Check = (subject, facts) => {
  const group = subject.group;
  if (group?.kind !== 'vip') return [];
  const findings: Finding[] = [];
  for (const member of group.members) {
    const type = facts.instances[member.instance.instanceId]?.instanceType;
    const limit = type === undefined ? undefined : facts.ipv4PerInterface[type];
    const holds = member.eni.privateIps.some((ip) => ip.address === group.vip);
    const needed = member.eni.privateIps.length + (holds ? 0 : 1);
    if (limit === undefined) {
      const why = facts.unread?.instanceTypes;
      findings.push({ check: 'quota', severity: 'warning', detail: `${member.instance.instanceId}: the private-IP limit of ${type ?? 'its instance type'} is unknown${why ? `: ${why}` : ''}`, fix: `aws ec2 describe-instance-types --instance-types ${type ?? '…'} --query 'InstanceTypes[].NetworkInfo.Ipv4AddressesPerInterface'` });
    } else if (needed > limit) {
      findings.push({
        check: 'quota',
        severity: 'blocker',
        detail: `${member.instance.instanceId} (${type}): ${member.eni.networkInterfaceId} has ${member.eni.privateIps.length} of ${limit} private IPv4s, no room for ${group.vip}`,
        fix: `free one: aws ec2 unassign-private-ip-addresses --network-interface-id ${member.eni.networkInterfaceId} --private-ip-addresses <an unused secondary IP>; or use a larger instance type`,
      });
    }
  }
  return findings.length > 0 ? findings : [ok('quota', `every member's ENI has room for ${group.vip}`)];
};
