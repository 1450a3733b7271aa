/** What people are told: which results are news, how a notice reads, and that telling never gets in the way. */
import { describe, expect, it } from 'vitest';
import type { GroupResult, RemediationResult } from '../../shared/core/engine.js';
import { MAX_SUBJECT, guardedNotifier, isNoteworthy, noticeOf, remediationNotice } from '../../shared/core/notice.js';
import type { Notice, NotifierPort } from '../../shared/core/ports.js';
import { manualClock } from '../../sim/clock.js';
import { memoryLog } from '../support/harness.js';

const A = 'i-0a1b2c3d4e5f60718';
const B = 'i-0b2c3d4e5f6071829';
const PREFIX = 'vpc-failover prod';

function result(over: Partial<GroupResult> = {}, moves: { from?: string; to: string }[] = [{ from: A, to: B }]): GroupResult {
  return {
    group: 'web',
    kind: 'vip',
    trigger: 'probe',
    dryRun: false,
    outcome: 'changed',
    reason: 'no TCP on 443; confirmed by 1 peer',
    before: [],
    after: [],
    actions: [{ summary: `assign 10.0.1.100 to the ENI of ${B}`, status: 'applied' }],
    plan: { group: 'web', kind: 'vip', outcome: 'change', reason: 'r', moves: moves.map((m) => ({ scope: '10.0.1.100', reason: 'r', ...m })), repairs: [], actions: [] },
    durationMs: 1_840,
    ...over,
  };
}

describe('which results are news', () => {
  it.each<[string, Partial<GroupResult>, boolean]>([
    ['a move', { outcome: 'changed' }, true],
    ['a partial move', { outcome: 'partial' }, true],
    ['a failed move', { outcome: 'failed' }, true],
    ['a dry run', { dryRun: true }, false],
    ['a reconcile that changed nothing', { outcome: 'unchanged' }, false],
    ['a lease held by another decider', { outcome: 'busy' }, false],
    ['an automatic decision refused', { outcome: 'refused', plan: { ...result().plan!, outcome: 'refused' } }, true],
    ['a manual request refused (the operator sees the answer)', { outcome: 'refused', trigger: 'manual', plan: { ...result().plan!, outcome: 'refused' } }, false],
    ['a misconfigured group refused on every run', { outcome: 'refused', kind: 'unknown' }, false],
  ])('%s: %s', (_name, over, expected) => {
    expect(isNoteworthy(result(over))).toBe(expected);
  });
});

describe('how a notice reads', () => {
  it.each<[string, GroupResult, string]>([
    ['a move', result(), `${PREFIX}: web moved i-0a1b2c3… → i-0b2c3d4… (probe: no TCP on 443)`],
    ['a partial move', result({ outcome: 'partial' }), `${PREFIX}: web partly moved i-0a1b2c3… → i-0b2c3d4… (probe: no TCP on 443)`],
    ['a failed move', result({ outcome: 'failed' }), `${PREFIX}: web failed to move i-0a1b2c3… → i-0b2c3d4… (probe: no TCP on 443)`],
    ['a claim of a VIP nobody held', result({}, [{ to: B }]), `${PREFIX}: web moved nothing → i-0b2c3d4… (probe: no TCP on 443)`],
    ['a refusal', result({ outcome: 'refused', reason: 'no healthy member to move to' }), `${PREFIX}: web cannot move off i-0a1b2c3… (probe: no healthy member to move to)`],
  ])('gives %s a subject that reads at a glance', (_name, r, subject) => {
    expect(noticeOf(r, PREFIX).subject).toBe(subject);
  });

  it('names an OS-side repair in the subject', () => {
    const repair = result({ reason: 'the VIP is missing from the holder OS' }, []);
    const withRepair = { ...repair, plan: { ...repair.plan!, repairs: [{ scope: '10.0.1.100', instanceId: A, change: 'bring-up' as const, reason: 'missing' }] } };

    expect(noticeOf(withRepair, PREFIX).subject).toBe(`${PREFIX}: web repaired up on i-0a1b2c3… (probe: the VIP is missing from the holder OS)`);
  });

  it('gives the group and kind, from and to, outcome and duration, trigger, why, actions and journal key in the body', () => {
    const notice = noticeOf(result(), PREFIX, 'journal#web#2026-12-01T06:00:00.000Z');

    expect(notice.message.split('\n')).toEqual([
      'Group: web (vip)',
      'Outcome: changed, in 1.8 s',
      'Trigger: probe',
      `From: ${A}`,
      `To: ${B}`,
      'Why: no TCP on 443; confirmed by 1 peer',
      'Actions:',
      `  applied: assign 10.0.1.100 to the ENI of ${B}`,
      'Journal: journal#web#2026-12-01T06:00:00.000Z',
    ]);
    expect(notice).toMatchObject({ group: 'web', kind: 'vip', outcome: 'changed', trigger: 'probe' });
  });

  it('keeps the subject on one line and under SNS’s 100 characters', () => {
    const notice = noticeOf(result({ group: 'g'.repeat(64), reason: `line one\nline two ${'x'.repeat(80)}` }), PREFIX);

    expect(notice.subject).toHaveLength(MAX_SUBJECT);
    expect(notice.subject.endsWith('…')).toBe(true);
    expect(notice.subject).not.toMatch(/[\r\n\t]/);
  });

  it.each<[RemediationResult['step'], RemediationResult['outcome'], string]>([
    ['reboot', 'applied', `${PREFIX}: web rebooted i-0a1b2c3… (remediation)`],
    ['stop', 'failed', `${PREFIX}: web could not stop i-0a1b2c3… (remediation)`],
    ['give-up', 'gave-up', `${PREFIX}: web gave up on i-0a1b2c3… (remediation)`],
  ])('tells a remediation step (%s, %s) with the group’s kind', (step, outcome, subject) => {
    const notice = remediationNotice({ group: 'web', kind: 'nat', instanceId: A, step, outcome, reason: 'hung' }, PREFIX);

    expect(notice.subject).toBe(subject);
    expect(notice).toMatchObject({ kind: 'nat', outcome: `remediation-${outcome}`, trigger: 'probe' });
    expect(notice.message).toContain(`Instance: ${A}`);
  });
});

describe('telling never gets in the way', () => {
  const refusal: Notice = { subject: 's', message: 'm', group: 'web', kind: 'vip', outcome: 'refused', trigger: 'probe' };

  function guarded(inner: NotifierPort) {
    const clock = manualClock();
    const log = memoryLog();
    let failures = 0;
    const notifier = guardedNotifier(inner, { clock, log, quietMs: 3_600_000, onFailure: () => (failures += 1) });
    return { notifier, clock, log, failures: () => failures };
  }

  it('logs and counts a notice it could not send, and returns normally', async () => {
    const { notifier, log, failures } = guarded({ notify: () => Promise.reject(new Error('AuthorizationError')) });

    await notifier.notify({ ...refusal, outcome: 'changed' });

    expect(failures()).toBe(1);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'notification not sent; the move goes on' }));
  });

  it('tells the same refusal once an hour per group, and again after something else happened', async () => {
    const sent: Notice[] = [];
    const { notifier, clock } = guarded({ notify: async (n) => void sent.push(n) });

    await notifier.notify(refusal);
    clock.advance(3_599_999);
    await notifier.notify(refusal);
    await notifier.notify({ ...refusal, group: 'api' });
    await notifier.notify({ ...refusal, outcome: 'changed' });
    await notifier.notify(refusal);

    expect(sent.map((n) => [n.group, n.outcome])).toEqual([
      ['web', 'refused'],
      ['api', 'refused'],
      ['web', 'changed'],
      ['web', 'refused'],
    ]);
  });

  it('tries a refusal again next time when it could not be sent', async () => {
    let attempts = 0;
    const { notifier } = guarded({
      notify: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('Throttling');
      },
    });

    await notifier.notify(refusal);
    await notifier.notify(refusal);

    expect(attempts).toBe(2);
  });
});
