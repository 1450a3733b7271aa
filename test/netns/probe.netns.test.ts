/**
 * The probe script run for real: prober A probes B and C on one bridged segment, and the lines it
 * prints are read back with the production parser.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { formatProbeLine, parseProbeOutput, type ProbeCheckLine, type ProbeLine } from '../../shared/probe/parse.js';
import { probeScript, type ProbeTarget } from '../../shared/probe/script.js';
import { describeNetns, must, useLab, type Lab } from './support/netns.js';

const A = { name: 'a', cidr: '10.231.0.1/24', mac: '02:00:0a:e7:00:01' };
const B = { name: 'b', cidr: '10.231.0.2/24', mac: '02:00:0a:e7:00:02' };
const C = { name: 'c', cidr: '10.231.0.3/24', mac: '02:00:0a:e7:00:03' };
/** Holds many addresses and drops everything: a stand-in for hung instances. */
const D = { name: 'd', cidr: '10.231.0.4/24', mac: '02:00:0a:e7:00:04' };
const PORT = 8080;
/** An address of C's that A has no route to: probing it fails locally, before any packet is sent. */
const UNROUTED = '10.232.0.3';
const BLACKHOLES = Array.from({ length: 10 }, (_, i) => `10.231.0.${50 + i}`);

const ID_B = 'i-0bbbbbbbbbbbbbbbb';
const ID_C = 'i-0cccccccccccccccc';
const ipOf = (node: { cidr: string }): string => node.cidr.split('/')[0] ?? '';

const targetB: ProbeTarget = { id: ID_B, ip: ipOf(B), tcpPorts: [PORT] };
const targetC: ProbeTarget = { id: ID_C, ip: ipOf(C), tcpPorts: [PORT] };
const fast = { pingCount: 2, timeoutSeconds: 1 };

function checks(lines: readonly ProbeLine[]): ProbeCheckLine[] {
  return lines.filter((line): line is ProbeCheckLine => line.kind === 'check');
}

/** `id check[:port]` → result, for compact expectations. */
function results(lines: readonly ProbeLine[]): Record<string, string> {
  return Object.fromEntries(checks(lines).map((l) => [`${l.id} ${l.check}${l.port === undefined ? '' : `:${l.port}`} ${l.target}`, l.result]));
}

async function probe(lab: Lab, targets: readonly ProbeTarget[], shell: 'dash' | 'bash' = 'dash'): Promise<ProbeLine[]> {
  const result = await lab.runScript('a', probeScript(targets, fast), shell);
  expect(result.code, result.stderr).toBe(0);
  return parseProbeOutput(result.stdout);
}

describeNetns('probe script in network namespaces', () => {
  const lab = useLab(async (l) => {
    await l.lan('lan', [A, B, C, D]);
    await must('ip', ['-n', l.ns('c'), 'addr', 'add', `${UNROUTED}/32`, 'dev', 'lo']);
    for (const ip of BLACKHOLES) await must('ip', ['-n', l.ns('d'), 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    await l.nft('d', 'table inet vpcf {\n chain input {\n type filter hook input priority 0; policy drop;\n }\n}');
    await l.listen('b', ipOf(B), PORT);
    await l.listen('c', ipOf(C), PORT);
  });

  beforeEach(async () => {
    await must('ip', ['-n', lab().ns('b'), 'link', 'set', 'eth0', 'up']);
    await lab().clearNft('c');
  });

  it.each(['dash', 'bash'] as const)('reports every check ok when all nodes are healthy (%s)', async (shell) => {
    const lines = await probe(lab(), [targetB, targetC], shell);

    expect(results(lines)).toEqual({
      [`${ID_B} icmp 10.231.0.2`]: 'ok',
      [`${ID_B} tcp:${PORT} 10.231.0.2`]: 'ok',
      [`${ID_C} icmp 10.231.0.3`]: 'ok',
      [`${ID_C} tcp:${PORT} 10.231.0.3`]: 'ok',
    });
    for (const line of checks(lines).filter((l) => l.check === 'icmp')) expect(line.rttMs).toBeGreaterThan(0);
    expect(lines.filter((l) => l.kind === 'end')).toEqual([{ kind: 'end', checks: 4 }]);
    expect(lines.filter((l) => l.kind === 'error')).toEqual([]);
  });

  it('reports icmp and tcp fail for a node whose link is down, and the others still ok', async () => {
    await must('ip', ['-n', lab().ns('b'), 'link', 'set', 'eth0', 'down']);

    const lines = await probe(lab(), [targetB, targetC]);

    expect(results(lines)).toEqual({
      [`${ID_B} icmp 10.231.0.2`]: 'fail',
      [`${ID_B} tcp:${PORT} 10.231.0.2`]: 'fail',
      [`${ID_C} icmp 10.231.0.3`]: 'ok',
      [`${ID_C} tcp:${PORT} 10.231.0.3`]: 'ok',
    });
  });

  it('reports fail for a node that drops the prober\'s packets', async () => {
    await lab().nft('c', `table inet vpcf {\n chain input {\n type filter hook input priority 0;\n ip saddr ${ipOf(A)} drop\n }\n}`);

    const lines = await probe(lab(), [targetB, targetC]);

    expect(results(lines)).toEqual({
      [`${ID_B} icmp 10.231.0.2`]: 'ok',
      [`${ID_B} tcp:${PORT} 10.231.0.2`]: 'ok',
      [`${ID_C} icmp 10.231.0.3`]: 'fail',
      [`${ID_C} tcp:${PORT} 10.231.0.3`]: 'fail',
    });
  });

  it('reports tcp fail for a closed port while icmp stays ok', async () => {
    const lines = await probe(lab(), [{ id: ID_B, ip: ipOf(B), tcpPorts: [PORT, PORT + 1] }]);

    expect(results(lines)).toEqual({
      [`${ID_B} icmp 10.231.0.2`]: 'ok',
      [`${ID_B} tcp:${PORT} 10.231.0.2`]: 'ok',
      [`${ID_B} tcp:${PORT + 1} 10.231.0.2`]: 'fail',
    });
  });

  it('reports icmp error, not fail, when the prober itself has no route', async () => {
    const lines = await probe(lab(), [{ id: ID_C, ip: UNROUTED, tcpPorts: [] }]);

    expect(results(lines)).toEqual({ [`${ID_C} icmp ${UNROUTED}`]: 'error' });
  });

  it('prints lines that parse and render back to the same lines', async () => {
    await must('ip', ['-n', lab().ns('b'), 'link', 'set', 'eth0', 'down']);
    const result = await lab().runScript('a', probeScript([targetB, targetC], fast));

    const parsed = parseProbeOutput(result.stdout);
    const rendered = parsed.map((line) => (line.kind === 'error' ? line.line : formatProbeLine(line)));

    expect(parsed.length).toBe(result.stdout.trim().split('\n').length);
    expect(parseProbeOutput(rendered.join('\n'))).toEqual(parsed);
  });

  it('finishes with a line per check when many targets never answer', async () => {
    const targets: ProbeTarget[] = [
      targetB,
      ...BLACKHOLES.map((ip, i) => ({ id: `i-0d00000000000000${i}`, ip, tcpPorts: [PORT, 443], egress: [{ kind: 'egress' as const, host: ip, port: 80 }] })),
    ];

    const lines = await probe(lab(), targets);

    const blackholed = checks(lines).filter((l) => l.id.startsWith('i-0d'));
    expect(blackholed).toHaveLength(BLACKHOLES.length * 4);
    expect(blackholed.every((l) => l.result === 'fail')).toBe(true);
    expect(results(lines)[`${ID_B} tcp:${PORT} 10.231.0.2`]).toBe('ok');
    expect(lines.at(-1)).toEqual({ kind: 'end', checks: 2 + BLACKHOLES.length * 4 });
  });

  /** Runs the script with a PATH holding only the named tools, to stand in for a minimal AMI. */
  async function probeWithTools(tools: readonly string[]): Promise<Record<string, string>> {
    const dir = await mkdtemp(join(tmpdir(), 'vpcf-path-'));
    try {
      for (const tool of tools) {
        const path = (await must('sh', ['-c', `command -v ${tool}`])).trim();
        await symlink(path, join(dir, tool));
      }
      const script = probeScript([{ id: ID_B, ip: ipOf(B), tcpPorts: [PORT, PORT + 1] }], fast).lines.join('\n');
      const result = await lab().exec('a', ['env', `PATH=${dir}`, '/bin/dash', '-c', script]);
      expect(result.code, result.stderr).toBe(0);
      return results(parseProbeOutput(result.stdout));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('falls back to bash /dev/tcp when there is no nc', async () => {
    expect(await probeWithTools(['ping', 'sed', 'head', 'timeout', 'bash'])).toEqual({
      [`${ID_B} icmp 10.231.0.2`]: 'ok',
      [`${ID_B} tcp:${PORT} 10.231.0.2`]: 'ok',
      [`${ID_B} tcp:${PORT + 1} 10.231.0.2`]: 'fail',
    });
  });

  it('reports unsupported instead of fail when the prober has no way to check', async () => {
    expect(await probeWithTools(['sed', 'head'])).toEqual({
      [`${ID_B} icmp 10.231.0.2`]: 'unsupported',
      [`${ID_B} tcp:${PORT} 10.231.0.2`]: 'unsupported',
      [`${ID_B} tcp:${PORT + 1} 10.231.0.2`]: 'unsupported',
    });
  });
});
