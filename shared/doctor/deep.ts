/**
 * `doctor --deep`: one harmless command per running member through SSM Run Command: is `ip`
 * there (the core brings a VIP up with it), and does one ping reach each peer (the peers' probes
 * use ICMP). It changes nothing on the instance. Peers are validated IPv4 addresses before they
 * reach the shell.
 */
import type { HostResult, HostScript } from '../core/ports.js';
import { isIpv4 } from '../core/validate.js';
import { FailoverError } from '../errors.js';
import type { DeepResult, Finding } from './model.js';
import { type Check, ok, running } from './subject.js';

/** What --deep runs on a member whose peers are at `peers`. */
export function deepScript(peers: readonly string[]): HostScript {
  for (const peer of peers) if (!isIpv4(peer)) throw new FailoverError(`refusing to build a script: '${peer}' is not an IPv4 address`, { context: { field: 'peer' } });
  return {
    name: 'doctor-deep',
    lines: [
      'if command -v ip >/dev/null 2>&1; then echo "vpcf-deep ip=ok"; else echo "vpcf-deep ip=missing"; fi',
      ...peers.map((peer) => `if ping -c 1 -W 1 ${peer} >/dev/null 2>&1; then echo "vpcf-deep peer=${peer} ok"; else echo "vpcf-deep peer=${peer} fail"; fi`),
    ],
  };
}

/** Reads a member's answer; anything but a complete report is `no-answer`, never a verdict. */
export function parseDeep(result: HostResult, peers: readonly string[]): DeepResult {
  if (result.status !== 'success') return { status: 'no-answer', why: `the command ${result.status === 'undeliverable' ? 'could not be delivered (not managed by SSM)' : result.status}` };
  const ip = /^vpcf-deep ip=(ok|missing)$/m.exec(result.stdout)?.[1];
  const seen = new Map([...result.stdout.matchAll(/^vpcf-deep peer=(\S+) (ok|fail)$/gm)].map((m) => [m[1] ?? '', m[2] === 'ok']));
  if (ip === undefined || peers.some((p) => !seen.has(p))) return { status: 'no-answer', why: 'its output has no report' };
  return { status: 'answered', ip: ip === 'ok', peers: Object.fromEntries(peers.map((p) => [p, seen.get(p) === true])) };
}

export const deepCheck: Check = (subject, facts) => {
  if (!facts.deep) return [];
  const members = running(subject);
  const findings: Finding[] = [];
  for (const instance of members) {
    const result = facts.deep[instance.instanceId];
    if (!result) continue;
    if (result.status === 'no-answer') {
      findings.push({ check: 'deep', severity: 'warning', detail: `${instance.instanceId}: the --deep command got no answer: ${result.why}`, fix: 'see the ssm check; aws ssm list-command-invocations --instance-id ' + instance.instanceId + ' --details' });
      continue;
    }
    if (!result.ip) {
      findings.push({ check: 'deep', severity: subject.kind === 'vip' ? 'blocker' : 'warning', detail: `${instance.instanceId} has no 'ip' command: the core brings a VIP up with it`, fix: 'install iproute2 (dnf install iproute, apt-get install iproute2)' });
    }
    for (const [peer, reached] of Object.entries(result.peers)) {
      if (reached) continue;
      findings.push({
        check: 'deep',
        severity: 'warning',
        detail: `${instance.instanceId} cannot ping its peer ${peer}: the peers' ICMP probe fails, and a hang is confirmed by TCP alone`,
        fix: 'let the members ping each other: aws ec2 authorize-security-group-ingress --group-id sg-… --ip-permissions IpProtocol=icmp,FromPort=-1,ToPort=-1,UserIdGroupPairs=[{GroupId=sg-…}]',
      });
    }
  }
  if (findings.length > 0) return findings;
  return members.some((i) => facts.deep?.[i.instanceId]) ? [ok('deep', `every member has 'ip' and pings its peers`)] : [];
};
