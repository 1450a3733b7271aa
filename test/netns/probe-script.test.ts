/**
 * The probe script's shape and its validation, without namespaces: syntax under dash and bash, and
 * a run with no targets (which sends no packet).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FailoverError } from '../../shared/errors.js';
import { parseProbeOutput } from '../../shared/probe/parse.js';
import { MAX_PROBE_CHECKS, probeScript, type ProbeTarget } from '../../shared/probe/script.js';

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
