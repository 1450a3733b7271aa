/**
 * What a machine needs before namespaces can be built on it: Linux, root, `ip netns`, and the
 * tools the instance-side shell and the lab use. One check, one line that says what is missing
 * and how to get it, shared by `npm run lab` and the namespace test suites.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** The command that installs every tool below on Debian or Ubuntu. */
export const INSTALL_COMMAND = 'sudo sh scripts/ci-netns-deps.sh';

/** Tools the lab and the namespace suites run, with the Debian package that has each. */
export const TOOLS: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  ss: 'iproute2',
  ping: 'iputils-ping',
  nc: 'netcat-openbsd',
  nft: 'nftables',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  'iptables-legacy': 'iptables',
  'iptables-legacy-save': 'iptables',
  timeout: 'coreutils',
  setpriv: 'util-linux',
  sysctl: 'procps',
  dash: 'dash',
  bash: 'bash',
};

export type HostCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly missingTools: readonly string[] };

/** Tools of `wanted` that are not on PATH. */
export function missingTools(wanted: readonly string[] = Object.keys(TOOLS)): string[] {
  return wanted.filter((tool) => {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'pipe', timeout: 5_000 });
      return false;
    } catch {
      return true;
    }
  });
}

/** Whether `ip netns` works for this (root) process: a container may forbid it. */
function namespaceProblem(): string | undefined {
  const probe = `vpcf-${process.pid}-check-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe', timeout: 5_000 });
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe', timeout: 5_000 });
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return `'ip netns' does not work here (${detail})`;
  }
  return undefined;
}

/**
 * Checks the machine once. Missing tools are named with the command that installs them; without
 * root nothing else is checked, because the fix comes first.
 */
export function checkHost(tools: readonly string[] = Object.keys(TOOLS)): HostCheck {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux', missingTools: [] };
  const missing = missingTools(tools);
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not running as root (network namespaces need root)');
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => TOOLS[t] ?? t))].join(' ');
    problems.push(`missing ${missing.join(', ')} (Debian packages ${packages}; install with: ${INSTALL_COMMAND})`);
  }
  if (problems.length > 0) return { ok: false, reason: problems.join('; '), missingTools: missing };
  const problem = namespaceProblem();
  return problem === undefined ? { ok: true } : { ok: false, reason: problem, missingTools: [] };
}
