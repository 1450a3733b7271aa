/**
 * The probe script's shape and its validation, without namespaces: syntax under dash and bash, and
 * a run with no targets (which sends no packet).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../shared/errors.js';
import { parseProbeOutput } from '../../shared/probe/parse.js';
import { MAX_PROBE_CHECKS, MAX_SCRIPT_CHECKS, probeBlocksScript, probeScript, type ProbeBlock, type ProbeTarget } from '../../shared/probe/script.js';

const exec = promisify(execFile);
const ID = 'i-0123456789abcdef0';
const target: ProbeTarget = { id: ID, ip: '10.0.0.5', tcpPorts: [22, 80], egress: [{ kind: 'egress', host: '203.0.113.9', port: 443 }] };

function thrown(build: () => unknown): FailoverError {
  try {
    build();
  } catch (error) {
    if (error instanceof FailoverError) return error;
    throw error;
  }
  throw new Error('expected the builder to throw');
}

describe('probeScript', () => {
  it('starts one background job per check, waits for all, then prints the end line', () => {
    const { name, lines } = probeScript([target]);

    expect(name).toBe('probe');
    expect(lines.filter((line) => line.endsWith(' &'))).toEqual([
      `vpcf_icmp '${ID}' '10.0.0.5' &`,
      `vpcf_tcp '${ID}' tcp '10.0.0.5' 22 &`,
      `vpcf_tcp '${ID}' tcp '10.0.0.5' 80 &`,
      `vpcf_tcp '${ID}' egress '203.0.113.9' 443 &`,
    ]);
    expect(lines.slice(-3)).toEqual(['wait', "printf 'vpcf probe-end checks=%s\\n' 4", 'exit 0']);
  });

  it('never sets -e, so one failing command cannot stop the other lines', () => {
    expect(probeScript([target]).lines.some((line) => /^\s*set\s+-\w*e/.test(line))).toBe(false);
  });

  it('checks a port listed twice only once', () => {
    const { lines } = probeScript([{ ...target, tcpPorts: [80, 80], egress: [] }]);

    expect(lines.filter((line) => line.startsWith('vpcf_tcp '))).toEqual([`vpcf_tcp '${ID}' tcp '10.0.0.5' 80 &`]);
  });

  it('uses the defaults of 2 echo requests and a 1 second timeout', () => {
    const script = probeScript([target]).lines.join('\n');

    expect(script).toContain('ping -n -q -c 2 -i 0.2 -W 1 ');
    expect(script).toContain('nc -n -z -w 1 ');
  });

  it('passes the options through', () => {
    const script = probeScript([target], { pingCount: 3, timeoutSeconds: 4 }).lines.join('\n');

    expect(script).toContain('ping -n -q -c 3 -i 0.2 -W 4 ');
    expect(script).toContain('nc -n -z -w 4 ');
    expect(script).toContain("timeout 4 bash -c '</dev/tcp/$0/$1'");
  });

  it.each([
    ['pingCount', { pingCount: 0 }],
    ['pingCount', { pingCount: 11 }],
    ['pingCount', { pingCount: 1.5 }],
    ['timeoutSeconds', { timeoutSeconds: 0 }],
    ['timeoutSeconds', { timeoutSeconds: 31 }],
    ['timeoutSeconds', { timeoutSeconds: Number.NaN }],
  ])('refuses options.%s out of range (%o)', (field, options) => {
    expect(thrown(() => probeScript([target], options)).context).toEqual({ field: `options.${field}` });
  });

  it(`refuses more than ${MAX_PROBE_CHECKS} checks, which SSM could cut off`, () => {
    const many = Array.from({ length: MAX_PROBE_CHECKS / 2 + 1 }, (_, i) => ({ id: `i-${i}`, ip: '10.0.0.5', tcpPorts: [80] }));

    expect(thrown(() => probeScript(many)).context).toEqual({ field: 'targets' });
    expect(() => probeScript(many.slice(1))).not.toThrow();
  });

  it.each(['dash', 'bash'])('is valid %s syntax', async (shell) => {
    const script = probeScript([target, { id: 'i-0fedcba9876543210', ip: '10.0.0.6', tcpPorts: [] }]).lines.join('\n');

    await expect(exec(shell, ['-n', '-c', script])).resolves.toBeDefined();
  });

  it('prints just the end line when there is nothing to probe', async () => {
    const { stdout } = await exec('dash', ['-c', probeScript([]).lines.join('\n')], { timeout: 10_000 });

    expect(parseProbeOutput(stdout)).toEqual([{ kind: 'end', checks: 0 }]);
  });
});

describe('probeBlocksScript', () => {
  const blockA: ProbeBlock = { proberId: 'i-0aaaaaaaaaaaaaaaa', proberIp: '10.0.0.4', targets: [target] };
  const blockB: ProbeBlock = {
    proberId: 'i-0bbbbbbbbbbbbbbbb',
    proberIp: '10.0.1.4',
    targets: [{ id: ID, ip: '10.0.1.5', tcpPorts: [443] }],
    egress: [{ kind: 'egress', host: '198.51.100.7', port: 443 }],
    forwarding: true,
  };
  /** The lines between each block's header and its `fi`. */
  const blocksIn = (lines: readonly string[]): string[][] => {
    const out: string[][] = [];
    let current: string[] | undefined;
    for (const line of lines) {
      if (line.startsWith('if [ $vpcf_self = unknown ] && vpcf_is_local ')) out.push((current = [line]));
      else if (current && line === 'fi') current = undefined;
      else current?.push(line);
    }
    return out;
  };

  it("guards each prober's checks by its IP, names it, and credits its own egress and forwarding checks to it", () => {
    const { name, lines } = probeBlocksScript([blockA, blockB]);

    expect(name).toBe('probe');
    expect(blocksIn(lines)).toEqual([
      [
        "if [ $vpcf_self = unknown ] && vpcf_is_local '10.0.0.4'; then",
        "vpcf_self='i-0aaaaaaaaaaaaaaaa'; vpcf_checks=4; printf 'vpcf probe self=%s\\n' \"$vpcf_self\"",
        `vpcf_icmp '${ID}' '10.0.0.5' &`,
        `vpcf_tcp '${ID}' tcp '10.0.0.5' 22 &`,
        `vpcf_tcp '${ID}' tcp '10.0.0.5' 80 &`,
        `vpcf_tcp '${ID}' egress '203.0.113.9' 443 &`,
      ],
      [
        "if [ $vpcf_self = unknown ] && vpcf_is_local '10.0.1.4'; then",
        "vpcf_self='i-0bbbbbbbbbbbbbbbb'; vpcf_checks=4; printf 'vpcf probe self=%s\\n' \"$vpcf_self\"",
        `vpcf_icmp '${ID}' '10.0.1.5' &`,
        `vpcf_tcp '${ID}' tcp '10.0.1.5' 443 &`,
        "vpcf_tcp 'i-0bbbbbbbbbbbbbbbb' egress '198.51.100.7' 443 &",
        "vpcf_forwarding 'i-0bbbbbbbbbbbbbbbb' &",
      ],
    ]);
    expect(lines.slice(-4)).toEqual(["[ $vpcf_self = unknown ] && printf 'vpcf probe self=unknown\\n'", 'wait', 'printf \'vpcf probe-end checks=%s\\n\' "$vpcf_checks"', 'exit 0']);
  });

  it('starts no check outside a block', () => {
    const { lines } = probeBlocksScript([blockA, blockB]);
    const inside = new Set(blocksIn(lines).flat());

    expect(lines.filter((line) => line.endsWith(' &') && !inside.has(line))).toEqual([]);
  });

  it.each(['dash', 'bash'])('is valid %s syntax', async (shell) => {
    await expect(exec(shell, ['-n', '-c', probeBlocksScript([blockA, blockB]).lines.join('\n')])).resolves.toBeDefined();
  });

  it('runs nothing and says so on a host that is no prober (none of the blocks is on this machine)', async () => {
    const { stdout } = await exec('dash', ['-c', probeBlocksScript([{ ...blockA, proberIp: '192.0.2.254' }]).lines.join('\n')], { timeout: 10_000 });

    expect(parseProbeOutput(stdout)).toEqual([{ kind: 'self' }, { kind: 'end', checks: 0 }]);
  });

  it('runs the block of an address the host has (loopback here)', async () => {
    const local: ProbeBlock = { proberId: 'i-0aaaaaaaaaaaaaaaa', proberIp: '127.0.0.1', targets: [{ id: ID, ip: '127.0.0.1', tcpPorts: [] }] };
    const { stdout } = await exec('dash', ['-c', probeBlocksScript([{ ...blockB, proberIp: '192.0.2.254' }, local], { pingCount: 1 }).lines.join('\n')], { timeout: 10_000 });

    const lines = parseProbeOutput(stdout);
    expect(lines[0]).toEqual({ kind: 'self', prober: 'i-0aaaaaaaaaaaaaaaa' });
    expect(lines.filter((l) => l.kind === 'check').map((l) => l.kind === 'check' && `${l.id} ${l.check}`)).toEqual([`${ID} icmp`]);
    expect(lines.at(-1)).toEqual({ kind: 'end', checks: 1 });
  });

  it(`refuses a block of more than ${MAX_PROBE_CHECKS} checks, whose output SSM could cut off`, () => {
    const many = Array.from({ length: MAX_PROBE_CHECKS / 2 + 1 }, (_, i) => ({ id: `i-${i}`, ip: '10.0.0.5', tcpPorts: [80] }));

    expect(thrown(() => probeBlocksScript([{ ...blockA, targets: many }])).context).toEqual({ field: 'blocks[0].targets' });
    expect(() => probeBlocksScript([{ ...blockA, targets: many.slice(1) }])).not.toThrow();
  });

  it(`refuses more than ${MAX_SCRIPT_CHECKS} checks in all blocks, and stays under 32 KB at that size`, () => {
    const block = (n: number): ProbeBlock => ({
      proberId: `i-0${n.toString(16).padStart(16, '0')}`,
      proberIp: `10.0.${n}.4`,
      targets: Array.from({ length: 3 }, (_, k) => ({ id: `i-0${(n * 10 + k).toString(16).padStart(16, 'f')}`, ip: `10.0.${n}.${k + 10}`, tcpPorts: [443] })),
    });
    // 50 blocks × 6 checks = 300.
    const full = Array.from({ length: 50 }, (_, n) => block(n));

    expect(new TextEncoder().encode(probeBlocksScript(full).lines.join('\n')).length).toBeLessThan(32_000);
    expect(thrown(() => probeBlocksScript([...full, { ...blockA, targets: [{ id: ID, ip: '10.0.0.5', tcpPorts: [] }] }])).context).toEqual({ field: 'blocks' });
  });

  it.each([
    ['proberId', { proberId: 'unknown' }],
    ['proberId', { proberId: 'I-0ABC' }],
    ['proberIp', { proberIp: '10.0.0' }],
    ['targets', { targets: 'i-1' }],
    ['forwarding', { forwarding: 'yes' }],
  ])('refuses a bad %s (%o)', (field, patch) => {
    expect(thrown(() => probeBlocksScript([{ ...blockA, ...(patch as Partial<ProbeBlock>) }])).context).toEqual({ field: `blocks[0].${field}` });
  });
});
