/**
 * The lab's first run on a fresh Debian or Ubuntu machine: run as root with apt, it installs the
 * packages of the tools it lacks (the ones scripts/ci-netns-deps.sh installs) instead of stopping
 * with a list. The decision is pure (`installPlan`); the apt-get run is `runInstall`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { TOOLS } from './host.js';

/** What the decision looks at. */
export interface InstallSituation {
  /** Tools the lab needs and this machine lacks. */
  readonly missing: readonly string[];
  readonly root: boolean;
  /** apt-get and dpkg-query are on PATH (a Debian-family system). */
  readonly apt: boolean;
  /** False with `--no-install`. */
  readonly allowed: boolean;
}

export type InstallPlan =
  | {
      readonly kind: 'install';
      /** Debian packages, sorted, each once. */
      readonly packages: readonly string[];
      /** The commands to run, in order (argv). */
      readonly commands: readonly (readonly string[])[];
      /** One line for the user: what is installed, and why. */
      readonly announce: string;
    }
  | { readonly kind: 'none'; readonly why: 'nothing-missing' | 'not-root' | 'no-apt' | 'not-allowed' };

/** Decides whether to install, and what. Anything but root + apt + allowed leaves the machine alone. */
export function installPlan(situation: InstallSituation): InstallPlan {
  if (situation.missing.length === 0) return { kind: 'none', why: 'nothing-missing' };
  if (!situation.allowed) return { kind: 'none', why: 'not-allowed' };
  if (!situation.root) return { kind: 'none', why: 'not-root' };
  if (!situation.apt) return { kind: 'none', why: 'no-apt' };
  const packages = [...new Set(situation.missing.map((tool) => TOOLS[tool] ?? tool))].sort();
  // The same flags as scripts/ci-netns-deps.sh: no prompt, no recommended extras.
  const env = ['env', 'DEBIAN_FRONTEND=noninteractive'];
  return {
    kind: 'install',
    packages,
    commands: [
      [...env, 'apt-get', 'update'],
      [...env, 'apt-get', 'install', '-y', '--no-install-recommends', ...packages],
    ],
    announce:
      `installing ${packages.join(' ')} with apt-get: the lab runs ${situation.missing.join(', ')} inside its namespaces ` +
      '(the simulated instances, routers and clients) and this machine lacks them; --no-install skips this',
  };
}

/** Whether this is a Debian-family system whose package tools the lab can use. */
export function hasApt(): boolean {
  const found = spawnSync('sh', ['-c', 'command -v apt-get && command -v dpkg-query'], { stdio: 'pipe', timeout: 5_000 });
  return found.status === 0;
}

/** Runs the plan's commands with their output on stderr; throws on the first that fails. */
export function runInstall(plan: Extract<InstallPlan, { kind: 'install' }>): void {
  for (const [command = '', ...args] of plan.commands) {
    execFileSync(command, args, { stdio: ['ignore', process.stderr, process.stderr], timeout: 600_000 });
  }
}
