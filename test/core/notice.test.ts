/** What people are told: which results are news, how a notice reads, and that telling never gets in the way. */
import { describe, expect, it } from 'vitest';
import type { Repair } from '../../shared/core/decide.js';
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

const C = 'i-0c3d4e5f607182930';

const bringUp = (instanceId: string): Repair => ({ scope: '10.0.1.100', instanceId, change: 'bring-up', reason: 'missing' });
const takeDown = (instanceId: string): Repair => ({ scope: '10.0.1.100', instanceId, change: 'take-down', reason: 'stray' });
const withRepairs = (r: GroupResult, repairs: Repair[]): GroupResult => ({ ...r, plan: { ...r.plan!, repairs } });

const remediation = (over: Partial<RemediationResult> = {}): RemediationResult => ({
  group: 'web',
  kind: 'vip',
  instanceId: A,
  step: 'reboot',
  outcome: 'applied',
  reason: 'hung',
  ...over,
});

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
    ['a misconfigured group refused on every run (no plan)', { outcome: 'refused', kind: 'unknown', plan: undefined }, false],
    ['a group refused for an address it does not own', { outcome: 'refused', plan: undefined, notify: true }, true],
    ['a group refused for an address it does not own, asked for by hand', { outcome: 'refused', trigger: 'manual', plan: undefined, notify: true }, false],
    ['a group refused for an address it does not own, in a dry run', { outcome: 'refused', dryRun: true, plan: undefined, notify: true }, false],
    ['a round that changed nothing, whatever its plan said', { outcome: 'unchanged', plan: { ...result().plan!, outcome: 'refused' } }, false],
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
    ['a refusal before any plan', result({ outcome: 'refused', reason: 'the group changed', plan: undefined }), `${PREFIX}: web cannot move (probe: the group changed)`],
    ['a failure before any plan', result({ outcome: 'failed', reason: 'the world could not be seen', plan: undefined }), `${PREFIX}: web failed to move nothing → nothing (probe: the world could not be seen)`],
    ['a move that also takes the VIP down on the old holder', withRepairs(result(), [takeDown(A)]), `${PREFIX}: web moved i-0a1b2c3… → i-0b2c3d4… (probe: no TCP on 443)`],
  ])('gives %s a subject that reads at a glance', (_name, r, subject) => {
    expect(noticeOf(r, PREFIX).subject).toBe(subject);
  });

  it.each<[string, GroupResult['outcome'], Repair[], string]>([
    ['a repair', 'changed', [bringUp(A)], 'repaired up on i-0a1b2c3…'],
    ['a partial repair', 'partial', [bringUp(A)], 'partly repaired up on i-0a1b2c3…'],
    ['a failed repair', 'failed', [bringUp(A)], 'could not repair up on i-0a1b2c3…'],
    ['a take-down', 'changed', [takeDown(B)], 'repaired down on i-0b2c3d4…'],
    ['several repairs in order', 'changed', [bringUp(A), takeDown(B)], 'repaired up on i-0a1b2c3…, down on i-0b2c3d4…'],
  ])('names %s without a move, with what it did where, in the subject', (_name, outcome, repairs, what) => {
    const repair = withRepairs(result({ outcome, reason: 'VIP missing' }, []), repairs);

    expect(noticeOf(repair, PREFIX).subject).toBe(`${PREFIX}: web ${what} (probe: VIP missing)`);
  });

  it.each<[string, string]>([
    ['i-01234567', 'i-01234567'],
    ['i-012345678', 'i-0123456…'],
    [A, 'i-0a1b2c3…'],
  ])('shows instance ID %s in the subject as %s: cut to 9 characters and “…” only when longer than 10', (id, shown) => {
    expect(noticeOf(result({}, [{ from: id, to: B }]), PREFIX).subject).toBe(`${PREFIX}: web moved ${shown} → i-0b2c3d4… (probe: no TCP on 443)`);
  });

  it.each<[string, string, string]>([
    ['only the first clause', 'no TCP on 443; confirmed by 1 peer; 2 of 3 probes', 'no TCP on 443'],
    ['a run of whitespace as one space', 'no TCP\n\non  443', 'no TCP on 443'],
    ['no space at either end', '  no TCP on 443 ; confirmed by 1 peer', 'no TCP on 443'],
  ])('gives the reason in the subject as %s', (_name, reason, why) => {
    expect(noticeOf(result({ reason }), PREFIX).subject).toBe(`${PREFIX}: web moved i-0a1b2c3… → i-0b2c3d4… (probe: ${why})`);
  });

  it.each<[string, { from?: string; to: string }[], string[]]>([
    ['two route tables moved together', [{ from: A, to: B }, { from: A, to: B }], [`From: ${A}`, `To: ${B}`]],
    ['route tables moved off two members', [{ from: A, to: B }, { from: C, to: B }], [`From: ${A},${C}`, `To: ${B}`]],
    ['a route table that had no route', [{ from: A, to: B }, { to: B }], [`From: ${A}`, `To: ${B}`]],
    ['routes created where there were none', [{ to: B }, { to: B }], [`To: ${B}`]],
  ])('names each holder once, comma-separated, for %s', (_name, moves, endpoints) => {
    const lines = noticeOf(result({}, moves), PREFIX).message.split('\n');

    expect(lines.filter((line) => /^(From|To): /.test(line))).toEqual(endpoints);
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

  it.each<[string, GroupResult, string | undefined, string[]]>([
    [
      'a repair: no from or to, no actions, no journal key',
      withRepairs(result({ actions: [], reason: 'the VIP is missing from the holder OS' }, []), [bringUp(A), takeDown(B)]),
      undefined,
      ['Group: web (vip)', 'Outcome: changed, in 1.8 s', 'Trigger: probe', `Repair: bring up 10.0.1.100 on ${A}`, `Repair: take down 10.0.1.100 on ${B}`, 'Why: the VIP is missing from the holder OS'],
    ],
    [
      'a failed move: each action with its error, when it has one',
      result({
        outcome: 'failed',
        actions: [
          { summary: `assign 10.0.1.100 to the ENI of ${B}`, status: 'failed', error: 'UnauthorizedOperation' },
          { summary: `bring up 10.0.1.100 on ${B}`, status: 'skipped' },
        ],
      }),
      'journal#web#2026-12-01T06:00:00.000Z',
      [
        'Group: web (vip)',
        'Outcome: failed, in 1.8 s',
        'Trigger: probe',
        `From: ${A}`,
        `To: ${B}`,
        'Why: no TCP on 443; confirmed by 1 peer',
        'Actions:',
        `  failed: assign 10.0.1.100 to the ENI of ${B} (UnauthorizedOperation)`,
        `  skipped: bring up 10.0.1.100 on ${B}`,
        'Journal: journal#web#2026-12-01T06:00:00.000Z',
      ],
    ],
  ])('writes only the body lines that apply to %s', (_name, r, journalKey, lines) => {
    expect(noticeOf(r, PREFIX, journalKey).message.split('\n')).toEqual(lines);
  });

  it('keeps the subject on one line and under SNS’s 100 characters', () => {
    const notice = noticeOf(result({ group: 'g'.repeat(64), reason: `line one\nline two ${'x'.repeat(80)}` }), PREFIX);

    expect(notice.subject).toHaveLength(MAX_SUBJECT);
    expect(notice.subject.endsWith('…')).toBe(true);
    expect(notice.subject).not.toMatch(/[\r\n\t]/);
  });

  it.each<[string, (prefix: string) => string, string]>([
    ['a decision', (prefix) => noticeOf(result(), prefix).subject, 'vpc-failover prod: web moved i-0a1b2c3… → i-0b2c3d4… (probe: no TCP on 443)'],
    ['a remediation', (prefix) => remediationNotice(remediation(), prefix).subject, 'vpc-failover prod: web rebooted i-0a1b2c3… (remediation)'],
  ])('writes a line break in the subject of %s as one space', (_name, subjectWith, subject) => {
    expect(subjectWith('vpc-failover\r\nprod')).toBe(subject);
  });

  const decisionSubject = (pad: string) => noticeOf(result({ reason: pad }), PREFIX).subject;
  const decisionInFull = (pad: string) => `${PREFIX}: web moved i-0a1b2c3… → i-0b2c3d4… (probe: ${pad})`;
  const remediationSubject = (pad: string) => remediationNotice(remediation({ group: pad }), PREFIX).subject;
  const remediationInFull = (pad: string) => `${PREFIX}: ${pad} rebooted i-0a1b2c3… (remediation)`;

  it.each<[string, number, (pad: string) => string, (pad: string) => string]>([
    ['a decision', MAX_SUBJECT, decisionSubject, decisionInFull],
    ['a decision', MAX_SUBJECT + 1, decisionSubject, decisionInFull],
    ['a remediation', MAX_SUBJECT, remediationSubject, remediationInFull],
    ['a remediation', MAX_SUBJECT + 1, remediationSubject, remediationInFull],
  ])('keeps the subject of %s whole up to 99 characters and cuts a longer one to 98 and “…” (%d in full)', (_name, length, subjectOf, full) => {
    const pad = 'x'.repeat(length - full('').length);
    const whole = full(pad);

    const subject = subjectOf(pad);

    expect(whole).toHaveLength(length);
    expect(subject).toBe(length <= MAX_SUBJECT ? whole : `${whole.slice(0, MAX_SUBJECT - 1)}…`);
  });

  it.each<[RemediationResult['step'], RemediationResult['outcome'], string]>([
    ['reboot', 'applied', `${PREFIX}: web rebooted i-0a1b2c3… (remediation)`],
    ['stop', 'applied', `${PREFIX}: web stopped i-0a1b2c3… (remediation)`],
    ['force-stop', 'applied', `${PREFIX}: web force-stopped i-0a1b2c3… (remediation)`],
    ['start', 'applied', `${PREFIX}: web started i-0a1b2c3… (remediation)`],
    ['terminate', 'applied', `${PREFIX}: web terminated i-0a1b2c3… (remediation)`],
    ['stop', 'failed', `${PREFIX}: web could not stop i-0a1b2c3… (remediation)`],
    ['start', 'failed', `${PREFIX}: web could not start i-0a1b2c3… (remediation)`],
    ['give-up', 'failed', `${PREFIX}: web could not remediate i-0a1b2c3… (remediation)`],
    ['give-up', 'gave-up', `${PREFIX}: web gave up on i-0a1b2c3… (remediation)`],
    ['started', 'applied', `${PREFIX}: web confirmed i-0a1b2c3… running again (remediation)`],
  ])('tells a remediation step (%s, %s) with the group’s kind', (step, outcome, subject) => {
    const notice = remediationNotice({ group: 'web', kind: 'nat', instanceId: A, step, outcome, reason: 'hung' }, PREFIX);

    expect(notice.subject).toBe(subject);
    expect(notice).toMatchObject({ kind: 'nat', outcome: `remediation-${outcome}`, trigger: 'probe' });
    expect(notice.message).toContain(`Instance: ${A}`);
  });

  it('says in the subject that a reboot was done instead of the stop-start asked for, and why in the body', () => {
    const why = 'it is a Spot instance of one-time request sir-1: only Spot instances of persistent requests can be stopped';
    const notice = remediationNotice(remediation({ fallback: { from: 'stop-start', to: 'reboot', why } }), PREFIX);

    expect(notice.subject).toBe(`${PREFIX}: web rebooted i-0a1b2c3… instead of stop-start (remediation)`);
    expect(notice.message.split('\n')).toContain(`Instead of: stop-start, because ${why}`);
  });

  it('tells a node left stopped loudly: a failed outcome, a subject that says so and names the likely cause', () => {
    const detail = 'EC2 says Client.InternalError (Client.InternalError: Client error on launch): most often ... kms:CreateGrant on that key';
    const notice = remediationNotice(
      remediation({ step: 'give-up', outcome: 'failed', error: detail, leftStopped: { cause: "likely missing kms:CreateGrant", detail }, reason: 'gave up: still stopped' }),
      'vpc-failover production-eu',
    );

    expect(notice.subject).toBe("vpc-failover production-eu: web left i-0a1b2c3… STOPPED (likely missing kms:CreateGrant)");
    expect(notice.subject.length).toBeLessThanOrEqual(MAX_SUBJECT);
    expect(notice.outcome).toBe('remediation-failed');
    expect(notice.message.split('\n')).toEqual(['Group: web', `Instance: ${A}`, 'Step: give-up, failed', `Left stopped: ${detail}`, 'Why: gave up: still stopped']);
  });

  it.each<[string, Partial<RemediationResult>, string[]]>([
    ['an attempt that went through, not journaled', {}, ['Group: web', `Instance: ${A}`, 'Step: reboot, applied', 'Why: hung']],
    [
      'a failed attempt, journaled',
      { step: 'start', outcome: 'failed', error: 'InsufficientInstanceCapacity', journalKey: 'journal#web#2026-12-01T06:00:00.000Z' },
      ['Group: web', `Instance: ${A}`, 'Step: start, failed', 'Why: hung', 'Error: InsufficientInstanceCapacity', 'Journal: journal#web#2026-12-01T06:00:00.000Z'],
    ],
  ])('writes only the remediation body lines that apply to %s: the error and journal key when there are some', (_name, over, lines) => {
    expect(remediationNotice(remediation(over), PREFIX).message.split('\n')).toEqual(lines);
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
    expect(log.lines).toContainEqual({
      level: 'error',
      message: 'notification not sent; the move goes on',
      extra: [{ group: 'web', subject: 's', error: 'Error: AuthorizationError' }],
    });
  });

  it('returns normally from a notice it could not send when nothing counts failures', async () => {
    const log = memoryLog();
    const notifier = guardedNotifier({ notify: () => Promise.reject(new Error('AuthorizationError')) }, { clock: manualClock(), log, quietMs: 3_600_000 });

    await expect(notifier.notify(refusal)).resolves.toBeUndefined();
    expect(log.lines).toHaveLength(1);
  });

  it.each<[string, Partial<Notice>, number, boolean]>([
    ['keeps quiet about the same refusal of a group within the quiet time', {}, 3_599_999, false],
    ['tells the same refusal again once the quiet time has passed', {}, 3_600_000, true],
    ['tells another refusal of the same group at once', { subject: 't' }, 0, true],
    ['tells the same refusal of another group at once', { group: 'api' }, 0, true],
  ])('%s', async (_name, over, laterMs, told) => {
    const sent: Notice[] = [];
    const { notifier, clock } = guarded({ notify: async (n) => void sent.push(n) });
    await notifier.notify(refusal);
    clock.advance(laterMs);

    await notifier.notify({ ...refusal, ...over });

    expect(sent).toHaveLength(told ? 2 : 1);
  });

  it('keeps quiet about a refusal told while another notice of the group was failing', async () => {
    const sent: Notice[] = [];
    let fail: (error: Error) => void = () => undefined;
    const { notifier } = guarded({
      notify: (n) => (n.outcome === 'refused' ? Promise.resolve(void sent.push(n)) : new Promise((_resolve, reject) => (fail = reject))),
    });
    const failing = notifier.notify({ ...refusal, outcome: 'changed' });
    await notifier.notify(refusal);
    fail(new Error('Throttling'));
    await failing;

    await notifier.notify(refusal);

    expect(sent).toHaveLength(1);
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
