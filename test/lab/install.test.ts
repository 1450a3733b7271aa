/** The lab on a fresh machine: when it installs its missing packages itself, and when it only says what is missing. */
import { describe, expect, it } from 'vitest';
import { installPlan } from '../../lab/install.js';

const fresh = { missing: ['ping', 'nc', 'nft'], root: true, apt: true, allowed: true };

describe('the lab installs what it lacks', () => {
  it('installs the Debian packages of the missing tools, as root with apt, and says what and why', () => {
    const plan = installPlan(fresh);

    expect(plan).toMatchObject({ kind: 'install', packages: ['iputils-ping', 'netcat-openbsd', 'nftables'] });
    if (plan.kind !== 'install') throw new Error('expected an install plan');
    expect(plan.commands).toEqual([
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update'],
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '--no-install-recommends', 'iputils-ping', 'netcat-openbsd', 'nftables'],
    ]);
    expect(plan.announce).toBe(
      'installing iputils-ping netcat-openbsd nftables with apt-get: the lab runs ping, nc, nft inside its namespaces ' +
        '(the simulated instances, routers and clients) and this machine lacks them; --no-install skips this',
    );
  });

  it('names a package once when several missing tools come from it', () => {
    expect(installPlan({ ...fresh, missing: ['iptables', 'iptables-save', 'ip', 'ss'] })).toMatchObject({ packages: ['iproute2', 'iptables'] });
  });

  it.each([
    ['nothing is missing', { missing: [] }, 'nothing-missing'],
    ['--no-install was given', { allowed: false }, 'not-allowed'],
    ['it does not run as root', { root: false }, 'not-root'],
    ['the system has no apt', { apt: false }, 'no-apt'],
    ['--no-install was given on a machine that could install', { allowed: false, root: true, apt: true }, 'not-allowed'],
  ] as const)('installs nothing when %s', (_, change, why) => {
    expect(installPlan({ ...fresh, ...change })).toEqual({ kind: 'none', why });
  });
});
