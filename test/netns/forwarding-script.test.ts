/**
 * The forwarding check's shell, without namespaces: how the probe script reads a ruleset (nft and
 * iptables text fed to its readers under dash), how it builds the check line, and how it refuses a
 * bad flag. The end-to-end runs against a real NAT are in forwarding.netns.test.ts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../shared/errors.js';
import { parseProbeOutput } from '../../shared/probe/parse.js';
import { MAX_PROBE_CHECKS, probeScript, type ProbeTarget } from '../../shared/probe/script.js';

const exec = promisify(execFile);
const ID = 'i-0123456789abcdef0';
const target: ProbeTarget = { id: ID, ip: '10.0.0.5', tcpPorts: [22], forwarding: true };

/** The script's helper functions: everything before the check lines. */
const prelude = probeScript([]).lines.slice(0, -3).join('\n');

/** Feeds `text` to one of the script's ruleset readers under dash; returns what it printed. */
async function read(reader: 'vpcf_nft_nat' | 'vpcf_ipt_nat', text: string, shell = 'dash'): Promise<string> {
  const { stdout } = await exec(shell, ['-c', `${prelude}\nprintf '%s\\n' "$1" | ${reader}`, 'sh', text], { timeout: 10_000 });
  return stdout.trim();
}

const nft = (...lines: string[]) => lines.join('\n');

/** Cases as [name, ruleset, expected], reordered so test titles show the name and the answer only. */
const named = (cases: readonly (readonly [string, string, 'yes' | 'no'])[]) => cases.map(([name, text, expected]) => [name, expected, text] as const);

describe('probeScript with a forwarding target', () => {
  it('runs the forwarding check once, in the background, credited to the target, and counts it', () => {
    const { lines } = probeScript([target]);

    expect(lines.filter((line) => line.endsWith(' &'))).toEqual([`vpcf_icmp '${ID}' '10.0.0.5' &`, `vpcf_tcp '${ID}' tcp '10.0.0.5' 22 &`, `vpcf_forwarding '${ID}' &`]);
    expect(lines.at(-2)).toBe("printf 'vpcf probe-end checks=%s\\n' 3");
  });

  it('leaves the check out unless asked', () => {
    expect(probeScript([{ ...target, forwarding: false }]).lines.some((line) => line.startsWith('vpcf_forwarding '))).toBe(false);
    expect(probeScript([{ id: ID, ip: '10.0.0.5', tcpPorts: [] }]).lines.some((line) => line.startsWith('vpcf_forwarding '))).toBe(false);
  });

  it.each([['yes'], [1], [null]])('refuses forwarding=%j, which is not a boolean', (value) => {
    const bad = { ...target, forwarding: value } as unknown as ProbeTarget;
    let error: unknown;
    try {
      probeScript([bad]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FailoverError);
    expect((error as FailoverError).context).toEqual({ field: 'targets[0].forwarding' });
  });

  it('counts the forwarding check against the limit', () => {
    const many = Array.from({ length: MAX_PROBE_CHECKS / 2 }, (_, i) => ({ id: `i-${i}`, ip: '10.0.0.5', tcpPorts: [80] }));

    expect(() => probeScript(many)).not.toThrow();
    expect(() => probeScript([...many.slice(1), { ...many[0]!, forwarding: true }])).toThrow(FailoverError);
  });

  it.each(['dash', 'bash'])('is valid %s syntax', async (shell) => {
    await expect(exec(shell, ['-n', '-c', probeScript([target]).lines.join('\n')])).resolves.toBeDefined();
  });

  it('prints one well-formed forwarding line wherever it runs, whatever the host has', async () => {
    const { stdout } = await exec('dash', ['-c', probeScript([{ id: ID, ip: '127.0.0.1', tcpPorts: [], forwarding: true }], { pingCount: 1 }).lines.join('\n')], { timeout: 15_000 });

    const lines = parseProbeOutput(stdout);
    expect(lines.filter((l) => l.kind === 'error')).toEqual([]);
    expect(lines.filter((l) => l.kind === 'forwarding')).toEqual([expect.objectContaining({ kind: 'forwarding', id: ID })]);
  });
});

describe('reading an nft ruleset', () => {
  it.each(named([
    [
      'a masquerade in a nat postrouting chain (as iptables-nft writes it)',
      nft('table ip nat {', '\tchain POSTROUTING {', '\t\ttype nat hook postrouting priority srcnat; policy accept;', '\t\toifname "eth0" counter packets 0 bytes 0 masquerade ', '\t}', '}'),
      'yes',
    ],
    ['an snat in an inet table', nft('table inet nat {', '\tchain post {', '\t\ttype nat hook postrouting priority 100; policy accept;', '\t\toifname "eth0" snat ip to 10.0.0.9', '\t}', '}'), 'yes'],
    ['no rule at all', '', 'no'],
    ['a nat postrouting chain without source NAT', nft('table ip nat {', '\tchain POSTROUTING {', '\t\ttype nat hook postrouting priority srcnat; policy accept;', '\t\tcounter', '\t}', '}'), 'no'],
    ['a masquerade on the prerouting hook only', nft('table ip nat {', '\tchain pre {', '\t\ttype nat hook prerouting priority dstnat;', '\t\tmasquerade', '\t}', '}'), 'no'],
    ['an IPv6 masquerade only', nft('table ip6 nat {', '\tchain post {', '\t\ttype nat hook postrouting priority srcnat;', '\t\tmasquerade', '\t}', '}'), 'no'],
    [
      'a conntrack match on snat, which translates nothing',
      nft('table ip nat {', '\tchain post {', '\t\ttype nat hook postrouting priority srcnat;', '\t\tct status snat counter accept', '\t}', '}'),
      'no',
    ],
    [
      'a masquerade in a regular chain nothing jumps to',
      nft('table ip nat {', '\tchain post {', '\t\ttype nat hook postrouting priority srcnat;', '\t}', '\tchain orphan {', '\t\tmasquerade', '\t}', '}'),
      'no',
    ],
    [
      'a masquerade two jumps away, as firewalld builds its zones (vmap included)',
      nft(
        'table inet firewalld {',
        '\tset allowed { type ipv4_addr; elements = { 10.0.0.1 } }',
        '\tchain nat_POSTROUTING {',
        '\t\ttype nat hook postrouting priority srcnat + 10; policy accept;',
        '\t\toifname vmap { "eth0" : jump nat_POST_public, "lo" : accept }',
        '\t}',
        '\tchain nat_POST_public {',
        '\t\tjump nat_POST_public_allow',
        '\t}',
        '\tchain nat_POST_public_allow {',
        '\t\toifname != "lo" masquerade',
        '\t}',
        '}',
      ),
      'yes',
    ],
    [
      'a jump to a chain of the same name in another table does not count',
      nft(
        'table ip a {',
        '\tchain post {',
        '\t\ttype nat hook postrouting priority srcnat;',
        '\t\tjump snatting',
        '\t}',
        '\tchain snatting {',
        '\t}',
        '}',
        'table ip b {',
        '\tchain snatting {',
        '\t\tmasquerade',
        '\t}',
        '}',
      ),
      'no',
    ],
    [
      'an iptables-nft rule nft cannot translate',
      nft('table ip nat {', '\tchain POSTROUTING {', '\t\ttype nat hook postrouting priority srcnat; policy accept;', '\t\tcounter packets 0 bytes 0 xt target "MASQUERADE"', '\t}', '}'),
      'yes',
    ],
  ]))('%s: %s', async (_name, expected, ruleset) => {
    expect(await read('vpcf_nft_nat', ruleset)).toBe(expected);
  });

  it('reads the same under bash', async () => {
    expect(await read('vpcf_nft_nat', nft('table ip nat {', '\tchain p {', '\t\ttype nat hook postrouting priority 100;', '\t\tmasquerade', '\t}', '}'), 'bash')).toBe('yes');
  });
});

describe('reading iptables rules', () => {
  const save = (...rules: string[]) => ['*nat', ':PREROUTING ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...rules, 'COMMIT'].join('\n');

  it.each(named([
    ['a MASQUERADE in POSTROUTING', save('-A POSTROUTING -s 10.0.0.0/16 -o eth0 -j MASQUERADE'), 'yes'],
    ['an SNAT in POSTROUTING (iptables -S form)', ['-P POSTROUTING ACCEPT', '-A POSTROUTING -o eth0 -j SNAT --to-source 10.0.1.10'].join('\n'), 'yes'],
    ['no rule', save(), 'no'],
    ['nothing at all (the nat table is empty)', '', 'no'],
    ['a DNAT in PREROUTING only', save('-A PREROUTING -p tcp --dport 80 -j DNAT --to-destination 10.0.1.5'), 'no'],
    ['a MASQUERADE in a chain POSTROUTING jumps to', save(':KUBE-POST - [0:0]', '-A POSTROUTING -j KUBE-POST', '-A KUBE-POST -m mark --mark 0x4000 -j MASQUERADE'), 'yes'],
    ['a MASQUERADE in a chain nothing jumps to', save(':SPARE - [0:0]', '-A SPARE -j MASQUERADE'), 'no'],
    ['a jump loop without source NAT', save(':A - [0:0]', ':B - [0:0]', '-A POSTROUTING -j A', '-A A -j B', '-A B -j A'), 'no'],
  ]))('%s: %s', async (_name, expected, rules) => {
    expect(await read('vpcf_ipt_nat', rules)).toBe(expected);
  });
});
