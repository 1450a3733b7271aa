/**
 * One sweep script, as SSM sends it to every prober of a command, run for real on several hosts:
 * each runs only the block of the address it has, and a host that has none of them runs no check.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { HostScript } from '../../shared/core/ports.js';
import { parseProbeOutput, type ProbeLine } from '../../shared/probe/parse.js';
import { type ProbeBlock, probeBlocksScript } from '../../shared/probe/script.js';
import { describeNetns, must, useLab, type Lab } from './support/netns.js';

const A = { name: 'a', cidr: '10.236.0.1/24', mac: '02:00:0a:ec:00:01' };
const B = { name: 'b', cidr: '10.236.0.2/24', mac: '02:00:0a:ec:00:02' };
const C = { name: 'c', cidr: '10.236.0.3/24', mac: '02:00:0a:ec:00:03' };
const D = { name: 'd', cidr: '10.236.0.4/24', mac: '02:00:0a:ec:00:04' };
/** A host on the same segment that is no block's prober. */
const U = { name: 'u', cidr: '10.236.0.9/24', mac: '02:00:0a:ec:00:09' };
const PORT = 8080;
const ipOf = (node: { cidr: string }): string => node.cidr.split('/')[0] ?? '';

const ID_A = 'i-0aaaaaaaaaaaaaaaa';
const ID_B = 'i-0bbbbbbbbbbbbbbbb';
const ID_C = 'i-0cccccccccccccccc';
const ID_D = 'i-0dddddddddddddddd';

/** Two groups: A and C, B and D. A and B are the probers; each has its own group's peer. */
const BLOCKS: readonly ProbeBlock[] = [
  { proberId: ID_A, proberIp: ipOf(A), targets: [{ id: ID_C, ip: ipOf(C), tcpPorts: [PORT] }] },
  { proberId: ID_B, proberIp: ipOf(B), targets: [{ id: ID_D, ip: ipOf(D), tcpPorts: [PORT] }] },
];
const script = probeBlocksScript(BLOCKS, { pingCount: 1, timeoutSeconds: 1 });

async function run(lab: Lab, host: string, shell: 'dash' | 'bash' = 'dash', sweep: HostScript = script): Promise<ProbeLine[]> {
  const result = await lab.runScript(host, sweep, shell);
  expect(result.code, result.stderr).toBe(0);
  return parseProbeOutput(result.stdout);
}

/** The whole output in one value: `self=…`, then `id check result` per check (sorted: they run in parallel), then `end=…`. */
function summary(lines: readonly ProbeLine[]): string[] {
  const text = (l: ProbeLine): string => {
    if (l.kind === 'self') return `self=${l.prober ?? 'unknown'}`;
    if (l.kind === 'end') return `end=${l.checks}`;
    if (l.kind === 'check') return `${l.id} ${l.check} ${l.result}`;
    return l.kind;
  };
  const checks = lines.filter((l) => l.kind !== 'self' && l.kind !== 'end').map(text).sort();
  return [...lines.filter((l) => l.kind === 'self').map(text), ...checks, ...lines.filter((l) => l.kind === 'end').map(text)];
}

describeNetns('one sweep script on several probers in network namespaces', () => {
  const lab = useLab(async (l) => {
    await l.lan('lan', [A, B, C, D, U]);
    await l.listen('c', ipOf(C), PORT);
    await l.listen('d', ipOf(D), PORT);
  });

  it.each(['dash', 'bash'] as const)('runs only the block of the host it runs on (%s)', async (shell) => {
    const [onA, onB] = [await run(lab(), 'a', shell), await run(lab(), 'b', shell)];

    expect(summary(onA)).toEqual([`self=${ID_A}`, `${ID_C} icmp ok`, `${ID_C} tcp ok`, 'end=2']);
    expect(summary(onB)).toEqual([`self=${ID_B}`, `${ID_D} icmp ok`, `${ID_D} tcp ok`, 'end=2']);
  });

  it('runs no check on a host that is no block\'s prober, and says it was not identified', async () => {
    expect(summary(await run(lab(), 'u'))).toEqual(['self=unknown', 'end=0']);
  });

  it('runs only the first matching block on a host that has two blocks\' addresses', async () => {
    await must('ip', ['-n', lab().ns('u'), 'addr', 'add', `${ipOf(A)}/32`, 'dev', 'lo']);
    await must('ip', ['-n', lab().ns('u'), 'addr', 'add', `${ipOf(B)}/32`, 'dev', 'lo']);
    try {
      const lines = await run(lab(), 'u');

      expect(lines.filter((l) => l.kind === 'self')).toEqual([{ kind: 'self', prober: ID_A }]);
      expect(lines.filter((l) => l.kind === 'check').every((l) => l.kind === 'check' && l.id === ID_C)).toBe(true);
    } finally {
      await must('ip', ['-n', lab().ns('u'), 'addr', 'del', `${ipOf(A)}/32`, 'dev', 'lo']);
      await must('ip', ['-n', lab().ns('u'), 'addr', 'del', `${ipOf(B)}/32`, 'dev', 'lo']);
    }
  });

  /** Runs the script on `host` with a PATH holding only the named tools (a minimal AMI). */
  async function selfWithTools(host: string, tools: readonly string[]): Promise<ProbeLine[]> {
    const dir = await mkdtemp(join(tmpdir(), 'vpcf-path-'));
    try {
      for (const tool of tools) await symlink((await must('sh', ['-c', `command -v ${tool}`])).trim(), join(dir, tool));
      const result = await lab().exec(host, ['env', `PATH=${dir}`, '/bin/dash', '-c', script.lines.join('\n')]);
      expect(result.code, result.stderr).toBe(0);
      return parseProbeOutput(result.stdout).filter((l) => l.kind === 'self');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it.each([
    ['iproute2', ['ip', 'sed']],
    ['hostname -I, without iproute2', ['hostname']],
    ['the kernel FIB in /proc, without iproute2 or hostname', ['awk']],
  ])('finds its own address through %s', async (_, tools) => {
    expect(await selfWithTools('b', tools)).toEqual([{ kind: 'self', prober: ID_B }]);
  });

  it('is not identified, and runs nothing, when it has no way to list its addresses', async () => {
    expect(await selfWithTools('b', [])).toEqual([{ kind: 'self' }]);
  });
});

describeNetns('a prober reporting its group’s VIP from its own address list, in network namespaces', () => {
  const VIP = '10.236.0.100';
  const blocks: readonly ProbeBlock[] = [
    { proberId: ID_A, proberIp: ipOf(A), targets: [], addresses: [VIP] },
    { proberId: ID_B, proberIp: ipOf(B), targets: [], addresses: [VIP] },
  ];
  const sweep = probeBlocksScript(blocks, { pingCount: 1, timeoutSeconds: 1 });
  const lab = useLab(async (l) => {
    await l.lan('lan', [A, B]);
    await must('ip', ['-n', l.ns('a'), 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
  });

  it.each(['dash', 'bash'] as const)('says up where the VIP is on an interface and down where it is not, with no extra command (%s)', async (shell) => {
    const onA = await run(lab(), 'a', shell, sweep);
    const onB = await run(lab(), 'b', shell, sweep);

    expect(onA.filter((l) => l.kind === 'address')).toEqual([{ kind: 'address', id: ID_A, target: VIP, present: true }]);
    expect(onB.filter((l) => l.kind === 'address')).toEqual([{ kind: 'address', id: ID_B, target: VIP, present: false }]);
    expect(onA.filter((l) => l.kind === 'end')).toEqual([{ kind: 'end', checks: 1 }]);
  });
});
