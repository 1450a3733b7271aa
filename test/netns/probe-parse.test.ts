import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  egressForwarding,
  forwardingResult,
  formatProbeLine,
  natForwarding,
  parseProbeOutput,
  type ProbeCheckLine,
  type ProbeLine,
} from '../../shared/probe/parse.js';

const ID = 'i-0123456789abcdef0';

describe('parseProbeOutput', () => {
  it('reads icmp, tcp, egress and end lines', () => {
    const stdout = [
      `vpcf probe id=${ID} check=icmp target=10.0.0.5 result=ok rtt_ms=0.412`,
      `vpcf probe id=${ID} check=tcp target=10.0.0.5 port=80 result=fail`,
      `vpcf probe id=${ID} check=egress target=203.0.113.9 port=443 result=unsupported`,
      `vpcf probe id=${ID} check=icmp target=10.0.0.6 result=error`,
      'vpcf probe-end checks=4',
      '',
    ].join('\n');

    expect(parseProbeOutput(stdout)).toEqual([
      { kind: 'check', id: ID, check: 'icmp', target: '10.0.0.5', result: 'ok', rttMs: 0.412 },
      { kind: 'check', id: ID, check: 'tcp', target: '10.0.0.5', port: 80, result: 'fail' },
      { kind: 'check', id: ID, check: 'egress', target: '203.0.113.9', port: 443, result: 'unsupported' },
      { kind: 'check', id: ID, check: 'icmp', target: '10.0.0.6', result: 'error' },
      { kind: 'end', checks: 4 },
    ]);
  });

  it('ignores lines that are not probe lines, including other vpcf output and CRLF endings', () => {
    const stdout = [
      'PING 10.0.0.5 (10.0.0.5) 56(84) bytes of data.',
      'vpcf result=active ip=10.0.0.9 dev=eth0',
      'vpcf probes are fun',
      ' vpcf probe id=x check=icmp target=1.1.1.1 result=ok',
      `vpcf probe id=${ID} check=icmp target=10.0.0.5 result=ok\r`,
    ].join('\n');

    expect(parseProbeOutput(stdout)).toEqual([{ kind: 'check', id: ID, check: 'icmp', target: '10.0.0.5', result: 'ok' }]);
  });

  it.each([
    ['1', 'yes', 'ok'],
    ['0', 'yes', 'fail'],
    ['1', 'no', 'fail'],
    ['0', 'unknown', 'fail'],
    ['1', 'unknown', 'unsupported'],
    ['unknown', 'yes', 'unsupported'],
    ['unknown', 'no', 'fail'],
  ] as const)('reads a forwarding line with ip_forward=%s nat_rule=%s as %s', (ipForward, natRule, result) => {
    expect(parseProbeOutput(`vpcf probe id=${ID} check=forwarding result=${result} ip_forward=${ipForward} nat_rule=${natRule}`)).toEqual([
      { kind: 'forwarding', id: ID, result, ipForward, natRule },
    ]);
  });

  it('accepts the fields in any order', () => {
    expect(parseProbeOutput(`vpcf probe result=ok port=22 target=10.0.0.5 check=tcp id=${ID}`)).toEqual([
      { kind: 'check', id: ID, check: 'tcp', target: '10.0.0.5', port: 22, result: 'ok' },
    ]);
  });

  it.each([
    ['a line cut short', `vpcf probe id=${ID} check=tc`, 'check'],
    ['an unknown check', `vpcf probe id=${ID} check=udp target=10.0.0.5 port=53 result=ok`, 'check'],
    ['an unknown result', `vpcf probe id=${ID} check=icmp target=10.0.0.5 result=maybe`, 'result'],
    ['a bad target', `vpcf probe id=${ID} check=icmp target=10.0.0.256 result=ok`, 'target'],
    ['a bad id', 'vpcf probe id=I-ABC check=icmp target=10.0.0.5 result=ok', 'id'],
    ['a tcp check without port', `vpcf probe id=${ID} check=tcp target=10.0.0.5 result=ok`, 'port'],
    ['port 0', `vpcf probe id=${ID} check=tcp target=10.0.0.5 port=0 result=ok`, 'port'],
    ['port 65536', `vpcf probe id=${ID} check=tcp target=10.0.0.5 port=65536 result=ok`, 'port'],
    ['a port with a leading zero', `vpcf probe id=${ID} check=tcp target=10.0.0.5 port=080 result=ok`, 'port'],
    ['a port on an icmp check', `vpcf probe id=${ID} check=icmp target=10.0.0.5 port=80 result=ok`, 'unexpected field'],
    ['an unknown field', `vpcf probe id=${ID} check=icmp target=10.0.0.5 result=ok extra=1`, 'unexpected field'],
    ['a duplicate field', `vpcf probe id=${ID} check=icmp target=10.0.0.5 result=ok result=fail`, 'duplicate'],
    ['a token without =', `vpcf probe id=${ID} check=icmp target=10.0.0.5 result=ok junk`, 'key=value'],
    ['a stray space', `vpcf probe id=${ID}  check=icmp target=10.0.0.5 result=ok`, 'empty field'],
    ['a non-numeric rtt', `vpcf probe id=${ID} check=icmp target=10.0.0.5 result=ok rtt_ms=fast`, 'rtt_ms'],
    ['an rtt on a failed check', `vpcf probe id=${ID} check=icmp target=10.0.0.5 result=fail rtt_ms=1.0`, 'rtt_ms'],
    ['an end line without count', 'vpcf probe-end', 'checks'],
    ['an end line with a bad count', 'vpcf probe-end checks=-1', 'checks'],
    ['an over-long line', `vpcf probe id=${ID} ${'x=1 '.repeat(200)}`, 'longer than'],
    ['a forwarding line without ip_forward', `vpcf probe id=${ID} check=forwarding result=ok nat_rule=yes`, 'ip_forward'],
    ['a forwarding line with ip_forward=2', `vpcf probe id=${ID} check=forwarding result=ok ip_forward=2 nat_rule=yes`, 'ip_forward'],
    ['a forwarding line without nat_rule', `vpcf probe id=${ID} check=forwarding result=fail ip_forward=0`, 'nat_rule'],
    ['a forwarding line with nat_rule=maybe', `vpcf probe id=${ID} check=forwarding result=ok ip_forward=1 nat_rule=maybe`, 'nat_rule'],
    ['a forwarding line whose result contradicts it (ok with ip_forward=0)', `vpcf probe id=${ID} check=forwarding result=ok ip_forward=0 nat_rule=yes`, 'result'],
    ['a forwarding line whose result contradicts it (fail for missing tools)', `vpcf probe id=${ID} check=forwarding result=fail ip_forward=1 nat_rule=unknown`, 'result'],
    ['a forwarding line with result=error', `vpcf probe id=${ID} check=forwarding result=error ip_forward=1 nat_rule=yes`, 'result'],
    ['a forwarding line without result', `vpcf probe id=${ID} check=forwarding ip_forward=1 nat_rule=yes`, 'result'],
    ['a forwarding line with a target', `vpcf probe id=${ID} check=forwarding target=10.0.0.5 result=ok ip_forward=1 nat_rule=yes`, 'unexpected field'],
    ['a forwarding line with a bad id', 'vpcf probe id=$(reboot) check=forwarding result=ok ip_forward=1 nat_rule=yes', 'id'],
    ['a forwarding line cut short', `vpcf probe id=${ID} check=forwarding result=ok ip_forward=1 nat_ru`, 'key=value'],
  ])('reports %s as an error entry instead of throwing', (_, line, reason) => {
    const parsed = parseProbeOutput(`vpcf probe id=${ID} check=icmp target=10.0.0.1 result=ok\n${line}\nvpcf probe-end checks=2`);

    expect(parsed).toHaveLength(3);
    expect(parsed[0]).toMatchObject({ kind: 'check', result: 'ok' });
    expect(parsed[1]).toMatchObject({ kind: 'error', line: line.slice(0, 512) });
    expect(parsed[1]?.kind === 'error' ? parsed[1].reason : '').toContain(reason);
    expect(parsed[2]).toEqual({ kind: 'end', checks: 2 });
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.constant('vpcf probe '), fc.constant('vpcf probe-end '))), (parts) => {
        const parsed = parseProbeOutput(parts.join(''));
        expect(Array.isArray(parsed)).toBe(true);
      }),
    );
  });
});

describe('parseProbeOutput: whose block the host ran', () => {
  it.each([
    [`vpcf probe self=${ID}`, { kind: 'self', prober: ID }],
    ['vpcf probe self=unknown', { kind: 'self' }],
    ['vpcf probe self=I-0ABC', { kind: 'error', line: 'vpcf probe self=I-0ABC', reason: "bad self 'I-0ABC'" }],
    ['vpcf probe self=', { kind: 'error', line: 'vpcf probe self=', reason: "bad self ''" }],
    [`vpcf probe self=${ID} id=${ID}`, { kind: 'error', line: `vpcf probe self=${ID} id=${ID}`, reason: 'expected exactly self=<id>' }],
    ['vpcf probe self=$(reboot)', { kind: 'error', line: 'vpcf probe self=$(reboot)', reason: "bad self '$(reboot)'" }],
  ])('reads %j', (line, expected) => {
    expect(parseProbeOutput(`${line}\n`)).toEqual([expected]);
  });

  it.each([[{ kind: 'self', prober: ID } as const], [{ kind: 'self' } as const]])('renders %o so that it parses back', (line) => {
    expect(parseProbeOutput(formatProbeLine(line))).toEqual([line]);
  });
});

describe('formatProbeLine', () => {
  const line = fc.oneof(
    fc.record({
      kind: fc.constant('check' as const),
      id: fc.constantFrom(ID, 'i-0abcdef12', 'nat-a'),
      check: fc.constant('icmp' as const),
      target: fc.ipV4(),
      result: fc.constantFrom('fail' as const, 'error' as const, 'unsupported' as const),
    }),
    fc.record({
      kind: fc.constant('check' as const),
      id: fc.constant(ID),
      check: fc.constant('icmp' as const),
      target: fc.ipV4(),
      result: fc.constant('ok' as const),
      rttMs: fc.integer({ min: 0, max: 10_000_000 }).map((n) => n / 1000),
    }),
    fc.record({
      kind: fc.constant('check' as const),
      id: fc.constant(ID),
      check: fc.constantFrom('tcp' as const, 'egress' as const),
      target: fc.ipV4(),
      port: fc.integer({ min: 1, max: 65535 }),
      result: fc.constantFrom('ok' as const, 'fail' as const, 'error' as const, 'unsupported' as const),
    }),
    fc.record({ kind: fc.constant('end' as const), checks: fc.nat({ max: 150 }) }),
    fc
      .record({ id: fc.constantFrom(ID, 'nat-a'), ipForward: fc.constantFrom('0' as const, '1' as const, 'unknown' as const), natRule: fc.constantFrom('yes' as const, 'no' as const, 'unknown' as const) })
      .map(({ id, ipForward, natRule }) => ({ kind: 'forwarding' as const, id, result: forwardingResult(ipForward, natRule), ipForward, natRule })),
  );

  it('renders lines that parse back to the same value', () => {
    fc.assert(
      fc.property(fc.array(line), (lines) => {
        expect(parseProbeOutput(lines.map(formatProbeLine).join('\n'))).toEqual(lines);
      }),
    );
  });
});

describe('egressForwarding', () => {
  const egress = (result: ProbeCheckLine['result'], id = ID): ProbeLine => ({ kind: 'check', id, check: 'egress', target: '203.0.113.9', port: 443, result });

  it.each([
    ['ok when any endpoint answered', [egress('fail'), egress('ok')], 'ok'],
    ['fail when every endpoint failed', [egress('fail'), egress('fail')], 'fail'],
    ['fail when one failed and the others could not be tried', [egress('error'), egress('fail')], 'fail'],
    ['unknown when no endpoint could be tried', [egress('unsupported'), egress('error')], 'unknown'],
    ['unknown without egress lines', [{ kind: 'check', id: ID, check: 'icmp', target: '10.0.0.1', result: 'ok' } as ProbeLine], 'unknown'],
    ['unknown when only another NAT forwarded', [egress('ok', 'i-0ffffffffffffffff')], 'unknown'],
  ] as const)('is %s', (_, lines, expected) => {
    expect(egressForwarding(lines, ID)).toBe(expected);
  });
});

describe('natForwarding', () => {
  const line = (ipForward: '0' | '1' | 'unknown', natRule: 'yes' | 'no' | 'unknown', id = ID): ProbeLine => ({
    kind: 'forwarding',
    id,
    result: forwardingResult(ipForward, natRule),
    ipForward,
    natRule,
  });

  it.each([
    ['ok when ip_forward is on and a NAT rule exists', [line('1', 'yes')], 'ok'],
    ['fail when ip_forward is off', [line('0', 'yes')], 'fail'],
    ['fail when no NAT rule exists', [line('1', 'no')], 'fail'],
    ['unknown when the tools could not tell', [line('1', 'unknown')], 'unknown'],
    ['unknown without a forwarding line', [{ kind: 'check', id: ID, check: 'egress', target: '203.0.113.9', port: 443, result: 'fail' } as ProbeLine], 'unknown'],
    ['unknown when the line is credited to another id', [line('0', 'no', 'i-0ffffffffffffffff')], 'unknown'],
    ['fail when one of two lines failed', [line('1', 'yes'), line('1', 'no')], 'fail'],
    ['unknown for a malformed line', parseProbeOutput(`vpcf probe id=${ID} check=forwarding result=ok ip_forward=0 nat_rule=yes`), 'unknown'],
  ] as const)('is %s', (_, lines, expected) => {
    expect(natForwarding(lines, ID)).toBe(expected);
  });
});

describe('parseProbeOutput: a prober’s report of its own addresses', () => {
  it.each([
    ['up', true],
    ['down', false],
  ] as const)('reads result=%s', (result, present) => {
    expect(parseProbeOutput(`vpcf probe id=${ID} check=address target=10.0.1.100 result=${result}`)).toEqual([{ kind: 'address', id: ID, target: '10.0.1.100', present }]);
  });

  it.each([
    ['vpcf probe id=i-0abc check=address target=10.0.1.100 result=ok', /bad or missing result 'ok'/],
    ['vpcf probe id=i-0abc check=address target=10.0.1 result=up', /bad or missing target/],
    ['vpcf probe id=i-0abc check=address target=10.0.1.100 result=up port=80', /unexpected field 'port'/],
  ])('reports %s as an error line, never as an address', (line, reason) => {
    expect(parseProbeOutput(line)).toEqual([{ kind: 'error', line, reason: expect.stringMatching(reason) }]);
  });

  it('renders an address line that parses back to the same value', () => {
    const line = { kind: 'address', id: ID, target: '10.0.1.100', present: false } as const;

    expect(parseProbeOutput(formatProbeLine(line))).toEqual([line]);
  });
});
