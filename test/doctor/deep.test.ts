/** `doctor --deep`: the command each member runs, how its answer is read, and what it reports. */
import { describe, expect, it } from 'vitest';
import type { HostResult } from '../../shared/core/ports.js';
import { deepScript, parseDeep } from '../../shared/doctor/deep.js';
import { diagnose } from '../../shared/doctor/diagnose.js';
import type { DoctorFacts } from '../../shared/doctor/model.js';
import { renderReport } from '../../shared/doctor/report.js';
import { DEFAULTS, ID, healthyFacts } from './support/facts.js';

const result = (stdout: string, status: HostResult['status'] = 'success'): HostResult => ({ instanceId: ID.webA, status, exitCode: 0, stdout, stderr: '' });

describe('the --deep command', () => {
  it('asks for ip and pings each peer once, changing nothing', () => {
    expect(deepScript(['10.0.1.11']).lines).toEqual([
      'if command -v ip >/dev/null 2>&1; then echo "vpcf-deep ip=ok"; else echo "vpcf-deep ip=missing"; fi',
      'if ping -c 1 -W 1 10.0.1.11 >/dev/null 2>&1; then echo "vpcf-deep peer=10.0.1.11 ok"; else echo "vpcf-deep peer=10.0.1.11 fail"; fi',
    ]);
  });

  it('refuses a peer that is not an IPv4 address before it reaches a shell', () => {
    expect(() => deepScript(['10.0.1.11; reboot'])).toThrow(/not an IPv4 address/);
  });

  it.each([
    ['a full report', result('vpcf-deep ip=ok\nvpcf-deep peer=10.0.1.11 fail\n'), { status: 'answered', ip: true, peers: { '10.0.1.11': false } }],
    ['no ip', result('vpcf-deep ip=missing\nvpcf-deep peer=10.0.1.11 ok\n'), { status: 'answered', ip: false, peers: { '10.0.1.11': true } }],
    ['an empty output (moto runs nothing)', result(''), { status: 'no-answer', why: 'its output has no report' }],
    ['a peer missing from the report', result('vpcf-deep ip=ok\n'), { status: 'no-answer', why: 'its output has no report' }],
    ['a command that timed out', result('', 'timed-out'), { status: 'no-answer', why: 'the command timed-out' }],
    ['an instance SSM does not manage', result('', 'undeliverable'), { status: 'no-answer', why: 'the command could not be delivered (not managed by SSM)' }],
  ] as const)('reads %s', (_title, answer, expected) => {
    expect(parseDeep(answer, ['10.0.1.11'])).toEqual(expected);
  });
});

describe('what --deep reports', () => {
  const run = (deep: DoctorFacts['deep']) => diagnose({ ...(healthyFacts() as DoctorFacts), ...(deep ? { deep } : {}) }, { defaults: DEFAULTS, group: 'web' });

  it('is a blocker when a VIP member has no ip, and a warning when a peer cannot be pinged or nothing answered', () => {
    const report = run({
      [ID.webA]: { status: 'answered', ip: false, peers: { '10.0.1.11': false } },
      [ID.webB]: { status: 'no-answer', why: 'the command timed-out' },
    });
    const deep = report.groups[0]?.findings.filter((f) => f.check === 'deep');

    expect(deep?.map((f) => [f.severity, f.detail])).toEqual([
      ['blocker', `${ID.webA} has no 'ip' command: the core brings a VIP up with it`],
      ['warning', `${ID.webA} cannot ping its peer 10.0.1.11: the peers' ICMP probe fails, and a hang is confirmed by TCP alone`],
      ['warning', `${ID.webB}: the --deep command got no answer: the command timed-out`],
    ]);
    expect(renderReport(report)).toContain("--deep: one SSM command (AWS-RunShellScript: 'command -v ip', one ping to each peer) was sent to each running member");
  });

  it('is ok when every member has ip and reaches its peers, and absent without --deep', () => {
    const ok = run({ [ID.webA]: { status: 'answered', ip: true, peers: { '10.0.1.11': true } }, [ID.webB]: { status: 'answered', ip: true, peers: { '10.0.1.10': true } } });

    expect(ok.groups[0]?.findings.filter((f) => f.check === 'deep')).toEqual([{ check: 'deep', severity: 'ok', detail: "every member has 'ip' and pings its peers" }]);
    expect(run(undefined).groups[0]?.findings.some((f) => f.check === 'deep')).toBe(false);
    expect(run(undefined).deep).toBe(false);
  });
});
