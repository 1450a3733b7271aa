/**
 * Values that would be shell syntax never reach a script: every builder refuses them, naming the
 * field, before any shell exists. Table tests for known payloads, properties for everything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { activateIpScript, deactivateIpScript, type IpOnInterface } from '../../shared/core/scripts.js';
import { FailoverError } from '../../shared/errors.js';
import { probeBlocksScript, probeScript, type ProbeBlock, type ProbeTarget } from '../../shared/probe/script.js';

const PAYLOADS = [
  '1.2.3.4; rm -rf /',
  '$(reboot)',
  '`reboot`',
  '10.0.0.5\nreboot',
  '10.0.0.5\rreboot',
  "10.0.0.5' ; reboot ; '",
  '10.0.0.5"; reboot; "',
  '10.0.0.5 && reboot',
  '10.0.0.5 | sh',
  '10.0.0.5 > /etc/passwd',
  '${IFS}reboot',
  '-oProxyCommand=reboot',
  '10.0.0.5\u0000',
  '１０.0.0.5',
  ' 10.0.0.5',
  '10.0.0.5 ',
  '',
];

const ID = 'i-0123456789abcdef0';
const good: ProbeTarget = { id: ID, ip: '10.0.0.5', tcpPorts: [80], egress: [{ kind: 'egress', host: '203.0.113.9', port: 443 }] };
const block: ProbeBlock = { proberId: 'i-0fedcba9876543210', proberIp: '10.0.0.4', targets: [good], egress: [{ kind: 'egress', host: '203.0.113.9', port: 443 }], forwarding: true };
const vip: IpOnInterface = { ip: '10.0.0.100', prefixLength: 24, macAddress: '02:00:00:00:00:01' };

/** The field a builder names when it refuses, or `accepted`. */
function refusal(build: () => unknown): string {
  try {
    build();
    return 'accepted';
  } catch (error) {
    if (!(error instanceof FailoverError)) throw error;
    return error.context['field'] ?? 'no field';
  }
}

/** Builds with a value of any type in a typed slot: the payloads are what a confused caller might pass. */
const as = <T>(value: unknown): T => value as T;

describe('shell builders refuse injection', () => {
  describe.each(PAYLOADS)('payload %j', (payload) => {
    it.each([
      ['targets[0].id', () => probeScript([{ ...good, id: payload }])],
      ['targets[0].ip', () => probeScript([{ ...good, ip: payload }])],
      ['targets[0].tcpPorts[1]', () => probeScript([{ ...good, tcpPorts: [80, as<number>(payload)] }])],
      ['targets[0].egress[0].host', () => probeScript([{ ...good, egress: [{ kind: 'egress', host: payload, port: 443 }] }])],
      ['targets[0].egress[0].port', () => probeScript([{ ...good, egress: [{ kind: 'egress', host: '203.0.113.9', port: as<number>(payload) }] }])],
      ['targets[0].egress[0].kind', () => probeScript([{ ...good, egress: [{ kind: as<'egress'>(payload), host: '203.0.113.9', port: 443 }] }])],
      ['blocks[0].proberId', () => probeBlocksScript([{ ...block, proberId: payload }])],
      ['blocks[0].proberIp', () => probeBlocksScript([{ ...block, proberIp: payload }])],
      ['blocks[0].targets[0].id', () => probeBlocksScript([{ ...block, targets: [{ ...good, id: payload }] }])],
      ['blocks[0].targets[0].ip', () => probeBlocksScript([{ ...block, targets: [{ ...good, ip: payload }] }])],
      ['blocks[0].egress[0].host', () => probeBlocksScript([{ ...block, egress: [{ kind: 'egress', host: payload, port: 443 }] }])],
      ['blocks[0].addresses[0]', () => probeBlocksScript([{ ...block, addresses: [payload] }])],
      ['blocks[0].egress[0].port', () => probeBlocksScript([{ ...block, egress: [{ kind: 'egress', host: '203.0.113.9', port: as<number>(payload) }] }])],
      ['options.pingCount', () => probeScript([good], { pingCount: as<number>(payload) })],
      ['options.timeoutSeconds', () => probeScript([good], { timeoutSeconds: as<number>(payload) })],
      ['ip', () => activateIpScript({ ...vip, ip: payload })],
      ['ip', () => deactivateIpScript({ ...vip, ip: payload })],
      ['macAddress', () => activateIpScript({ ...vip, macAddress: payload })],
      ['macAddress', () => deactivateIpScript({ ...vip, macAddress: payload })],
      ['prefixLength', () => activateIpScript({ ...vip, prefixLength: as<number>(payload) })],
    ])('in %s', (field, build) => {
      expect(refusal(build)).toBe(field);
    });
  });

  it('accepts the same inputs without the payload (so the table tests the payload, not the fixture)', () => {
    expect(refusal(() => probeScript([good], { pingCount: 2, timeoutSeconds: 1 }))).toBe('accepted');
    expect(refusal(() => probeBlocksScript([block], { pingCount: 2, timeoutSeconds: 1 }))).toBe('accepted');
    expect(refusal(() => activateIpScript(vip))).toBe('accepted');
    expect(refusal(() => deactivateIpScript(vip))).toBe('accepted');
  });

  it.each([
    ['a port that is a float', { ...good, tcpPorts: [80.5] }, 'targets[0].tcpPorts[0]'],
    ['port 0', { ...good, tcpPorts: [0] }, 'targets[0].tcpPorts[0]'],
    ['port 65536', { ...good, tcpPorts: [65536] }, 'targets[0].tcpPorts[0]'],
    ['tcpPorts that is a string', { ...good, tcpPorts: as<number[]>('80; reboot') }, 'targets[0].tcpPorts'],
    ['egress that is a string', { ...good, egress: as<[]>('$(reboot)') }, 'targets[0].egress'],
    ['an upper-case id', { ...good, id: 'I-0ABC' }, 'targets[0].id'],
  ])('refuses %s', (_, target, field) => {
    expect(refusal(() => probeScript([target]))).toBe(field);
  });

  const shellMeta = fc.constantFrom(';', '$(', '`', '\n', '|', '&', ' ', "'", '"', '\\', '<', '>', '*', '?', '{', '~', '#');
  const ipv4 = fc.ipV4();

  it('refuses any value with shell syntax spliced into a valid address', () => {
    fc.assert(
      fc.property(ipv4, shellMeta, fc.string(), fc.boolean(), (ip, meta, tail, before) => {
        const bad = before ? `${meta}${tail}${ip}` : `${ip}${meta}${tail}`;
        expect(refusal(() => probeScript([{ ...good, ip: bad }]))).toBe('targets[0].ip');
        expect(refusal(() => probeScript([{ ...good, id: bad }]))).toBe('targets[0].id');
        expect(refusal(() => probeBlocksScript([{ ...block, proberIp: bad }]))).toBe('blocks[0].proberIp');
        expect(refusal(() => probeBlocksScript([{ ...block, proberId: bad }]))).toBe('blocks[0].proberId');
        expect(refusal(() => activateIpScript({ ...vip, ip: bad }))).toBe('ip');
        expect(refusal(() => deactivateIpScript({ ...vip, macAddress: bad }))).toBe('macAddress');
      }),
    );
  });

  it('accepts a string as address, id or MAC only if it is made of inert characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), ipv4, fc.mixedCase(fc.constant('02:00:0a:eb:00:ff'))), (value) => {
        if (refusal(() => probeScript([{ ...good, ip: value }])) === 'accepted') expect(value).toMatch(/^[0-9.]+$/);
        if (refusal(() => probeScript([{ ...good, egress: [{ kind: 'egress', host: value, port: 443 }] }])) === 'accepted') expect(value).toMatch(/^[0-9.]+$/);
        if (refusal(() => probeScript([{ ...good, id: value }])) === 'accepted') expect(value).toMatch(/^[a-z0-9-]+$/);
        if (refusal(() => activateIpScript({ ...vip, macAddress: value })) === 'accepted') expect(value).toMatch(/^[0-9a-fA-F:]+$/);
      }),
    );
  });

  it('puts only inert characters into the lines built from any accepted target', () => {
    const target = fc.record({
      id: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
      ip: ipv4,
      tcpPorts: fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
      egress: fc.array(fc.record({ kind: fc.constant('egress' as const), host: ipv4, port: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 2 }),
    });
    const empty = probeScript([]).lines;
    const prelude = empty.slice(0, -3);
    fc.assert(
      fc.property(fc.array(target, { maxLength: 5 }), (targets) => {
        const { lines } = probeScript(targets);
        expect(lines.slice(0, prelude.length)).toEqual(prelude);
        for (const line of lines.slice(prelude.length, -3)) expect(line).toMatch(/^vpcf_(icmp|tcp) '[a-z0-9-]+' ((tcp|egress) )?'[0-9.]+'( \d+)? &$/);
        expect(lines.slice(-3, -1)).toEqual(['wait', `printf 'vpcf probe-end checks=%s\\n' ${lines.length - empty.length}`]);
      }),
    );
  });

  it('puts only inert characters into the lines built from any accepted blocks', () => {
    const target = fc.record({
      id: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
      ip: ipv4,
      tcpPorts: fc.array(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
    });
    const blocks = fc.array(
      fc.record({
        proberId: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/).filter((id) => id !== 'unknown'),
        proberIp: ipv4,
        targets: fc.array(target, { maxLength: 3 }),
        egress: fc.array(fc.record({ kind: fc.constant('egress' as const), host: ipv4, port: fc.integer({ min: 1, max: 65535 }) }), { maxLength: 2 }),
        forwarding: fc.boolean(),
        addresses: fc.array(ipv4, { maxLength: 2 }),
      }),
      { maxLength: 4 },
    );
    const empty = probeBlocksScript([]).lines;
    const prelude = empty.slice(0, -4);
    fc.assert(
      fc.property(blocks, (list) => {
        const { lines } = probeBlocksScript(list);
        expect(lines.slice(0, prelude.length)).toEqual(prelude);
        expect(lines.slice(-4)).toEqual(empty.slice(-4));
        for (const line of lines.slice(prelude.length, -4)) {
          expect(line).toMatch(
            /^(vpcf_(icmp|tcp) '[a-z0-9-]+' ((tcp|egress) )?'[0-9.]+'( \d+)? &|vpcf_forwarding '[a-z0-9-]+' &|vpcf_address '[a-z0-9-]+' '[0-9.]+'|if \[ \$vpcf_self = unknown \] && vpcf_is_local '[0-9.]+'; then|vpcf_self='[a-z0-9-]+'; vpcf_checks=\d+; printf 'vpcf probe self=%s\\n' "\$vpcf_self"|fi)$/,
          );
        }
      }),
    );
  });
});
