/** The remediation rules, as a pure function of the groups, the probe verdicts, the journal and the clock. */
import { describe, expect, it } from 'vitest';
import { discover, type Group } from '../../shared/core/groups.js';
import type { InstanceState, Verdict } from '../../shared/core/model.js';
import type { JournalEntry } from '../../shared/core/ports.js';
import { DEFAULT_REMEDIATION, planRemediation, remediationCandidates } from '../../shared/core/remediate.js';
import { DEFAULTS, node, snapshot } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const VIP = '10.0.1.100';
const NOW = 10_000_000;
const ROSTER = { web: [A, B] };

function group(remediate: string, o: { aState?: InstanceState; bState?: InstanceState; holder?: 'A' | 'B'; asg?: boolean } = {}): Group {
  const tags = (p: string) => ({ 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': VIP, 'failover:priority': p, 'failover:remediate': remediate, ...(o.asg ? { 'aws:autoscaling:groupName': 'web-asg' } : {}) });
  const holder = o.holder ?? 'B';
  const world = snapshot({
    instances: [
      node({ id: A, tags: tags('1'), state: o.aState ?? 'running', secondary: holder === 'A' ? [VIP] : [] }),
      node({ id: B, tags: tags('2'), state: o.bState ?? 'running', secondary: holder === 'B' ? [VIP] : [] }),
    ],
  });
  const { groups, misconfigured } = discover(world, DEFAULTS);
  expect(misconfigured).toEqual([]);
  return groups[0]!;
}

const entry = (at: number, step: JournalEntry['step'], outcome: JournalEntry['outcome'] = 'applied', over: Partial<JournalEntry> = {}): JournalEntry => ({
  group: 'web',
  at,
  trigger: 'probe',
  kind: 'remediation',
  ...(step ? { step } : {}),
  from: A,
  reason: 'r',
  actions: [],
  outcome,
  durationMs: 1,
  ...over,
});

const plan = (g: Group, probes: Record<string, Verdict>, history: JournalEntry[] = []) =>
  planRemediation({ groups: [g], probes, history, now: NOW, settings: DEFAULT_REMEDIATION }).map((p) => [p.instanceId, p.step, p.action?.type ?? '-']);

describe('remediation', () => {
  it.each([
    { policy: 'reboot', expected: [[A, 'reboot', 'reboot-instance']] },
    { policy: 'stop-start', expected: [[A, 'stop', 'stop-instance']] },
    { policy: 'off', expected: [] },
  ])('fences a running member the probes judged down, once traffic is off it ($policy)', ({ policy, expected }) => {
    expect(plan(group(policy), { [A]: 'unhealthy' })).toEqual(expected);
  });

  it.each([
    { name: 'probes inconclusive', probes: { [A]: 'unknown' as Verdict }, o: {} },
    { name: 'probes healthy', probes: { [A]: 'healthy' as Verdict }, o: {} },
    { name: 'it still holds the VIP', probes: { [A]: 'unhealthy' as Verdict }, o: { holder: 'A' as const } },
    { name: 'someone stopped it', probes: { [A]: 'unhealthy' as Verdict }, o: { aState: 'stopped' as const } },
  ])('leaves a member alone when $name', ({ probes, o }) => {
    expect(plan(group('reboot', o), probes)).toEqual([]);
  });

  it('remediates an instance at most once per interval, counting attempts that failed', () => {
    expect(plan(group('reboot'), { [A]: 'unhealthy' }, [entry(NOW - DEFAULT_REMEDIATION.intervalMs + 1, 'reboot', 'failed')])).toEqual([]);
    expect(plan(group('reboot'), { [A]: 'unhealthy' }, [entry(NOW - DEFAULT_REMEDIATION.intervalMs, 'reboot')])).toEqual([[A, 'reboot', 'reboot-instance']]);
  });

  it.each([
    { name: 'another group', over: { group: 'api' } },
    { name: 'another member', over: { from: B } },
    { name: 'a move', over: { kind: 'move' as const } },
  ])('counts only its own remediations towards the interval, not an entry of $name', ({ over }) => {
    const history = [entry(NOW - 1_000, 'reboot', 'applied', over)];

    expect(plan(group('reboot'), { [A]: 'unhealthy' }, history)).toEqual([[A, 'reboot', 'reboot-instance']]);
  });

  it.each([
    { name: 'fences it again once the interval since the stop has passed, however recent the start', stopAgo: DEFAULT_REMEDIATION.intervalMs, expected: [[A, 'stop', 'stop-instance']] },
    { name: 'waits out the interval since the stop', stopAgo: DEFAULT_REMEDIATION.intervalMs - 1, expected: [] },
  ])('counts the interval of a stop-start from its stop, not from the start that ended it: $name', ({ stopAgo, expected }) => {
    const history = [entry(NOW - 60_000, 'start'), entry(NOW - stopAgo, 'stop')];

    expect(plan(group('stop-start'), { [A]: 'unhealthy' }, history)).toEqual(expected);
  });

  it.each([
    { name: 'the probes’ reason', reasons: { [A]: 'no TCP on 443' }, says: `${A} is running but the probes judged it down (no TCP on 443): reboot` },
    { name: 'a stand-in when the probes gave none', reasons: undefined, says: `${A} is running but the probes judged it down (health probes failed): reboot` },
  ])('says why it fences a member: $name', ({ reasons, says }) => {
    const [only] = planRemediation({ groups: [group('reboot')], probes: { [A]: 'unhealthy' }, ...(reasons ? { reasons } : {}), history: [], now: NOW, settings: DEFAULT_REMEDIATION });

    expect(only?.reason).toBe(says);
  });

  it('replaces only Auto Scaling members, and says why it will not replace another', () => {
    expect(plan(group('replace', { asg: true }), { [A]: 'unhealthy' })).toEqual([[A, 'terminate', 'terminate-instance']]);
    const [refusal] = planRemediation({ groups: [group('replace')], probes: { [A]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION });
    expect(refusal).toMatchObject({ step: 'give-up', reason: expect.stringContaining('not in an Auto Scaling group') });
    expect(refusal?.action).toBeUndefined();
  });

  describe('a stop-start carried on over several runs', () => {
    it.each([
      { name: 'starts it once it has stopped', state: 'stopped' as const, since: 60_000, expected: [[A, 'start', 'start-instance']] },
      { name: 'waits while it is stopping', state: 'stopping' as const, since: 60_000, expected: [] },
      { name: 'forces a stop that hangs', state: 'stopping' as const, since: DEFAULT_REMEDIATION.forceAfterMs, expected: [[A, 'force-stop', 'stop-instance']] },
      { name: 'gives up when it never stops', state: 'stopping' as const, since: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [[A, 'give-up', '-']] },
      { name: 'is done once it runs again', state: 'running' as const, since: 120_000, expected: [] },
      { name: 'is done once it runs again, however long that took', state: 'running' as const, since: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [] },
      { name: 'is done once it is starting again, however long that took', state: 'pending' as const, since: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [] },
      { name: 'does not force a member that is shutting down (someone terminated it)', state: 'shutting-down' as const, since: DEFAULT_REMEDIATION.forceAfterMs, expected: [] },
    ])('$name', ({ state, since, expected }) => {
      expect(plan(group('stop-start', { aState: state }), {}, [entry(NOW - since, 'stop')])).toEqual(expected);
    });

    it.each([
      { name: 'forces the stop with a force flag, and says how long it hung', since: DEFAULT_REMEDIATION.forceAfterMs, expected: { step: 'force-stop', action: { type: 'stop-instance', instanceId: A, force: true }, reason: `${A} is still stopping 300 s after its remediation stop: force it` } },
      { name: 'gives up, and says how long it waited', since: DEFAULT_REMEDIATION.giveUpAfterMs, expected: { step: 'give-up', reason: `${A} is still stopping 900 s after its remediation stop: giving up` } },
    ])('on a stop that hangs, $name', ({ since, expected }) => {
      const [only] = planRemediation({ groups: [group('stop-start', { aState: 'stopping' })], probes: {}, history: [entry(NOW - since, 'stop')], now: NOW, settings: DEFAULT_REMEDIATION });

      expect(only).toEqual({ group: 'web', kind: 'vip', instanceId: A, ...expected });
    });

    it.each([
      { name: 'starts it once the forced stop has stopped it', state: 'stopped' as const, stopAgo: 700_000, expected: [[A, 'start', 'start-instance']] },
      { name: 'waits while it is stopping, without forcing it again', state: 'stopping' as const, stopAgo: 700_000, expected: [] },
      { name: 'gives up when even the forced stop does not stop it', state: 'stopping' as const, stopAgo: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [[A, 'give-up', '-']] },
    ])('after forcing the stop, $name', ({ state, stopAgo, expected }) => {
      const history = [entry(NOW - 400_000, 'force-stop'), entry(NOW - stopAgo, 'stop')];

      expect(plan(group('stop-start', { aState: state }), {}, history)).toEqual(expected);
    });

    it.each([
      { name: 'gives up at the give-up time after it', forcedAgo: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [[A, 'give-up', '-']] },
      { name: 'waits until then', forcedAgo: DEFAULT_REMEDIATION.giveUpAfterMs - 1, expected: [] },
    ])('counts from the forced stop when the stop is no longer in the journal: $name', ({ forcedAgo, expected }) => {
      expect(plan(group('stop-start', { aState: 'stopping' }), {}, [entry(NOW - forcedAgo, 'force-stop')])).toEqual(expected);
    });

    it('reads the journal newest first, whatever order it is handed in', () => {
      const oldestFirst = [entry(NOW - 200_000, 'stop'), entry(NOW - DEFAULT_REMEDIATION.retryStartAfterMs + 1, 'start', 'failed')];

      expect(plan(group('stop-start', { aState: 'stopped' }), {}, oldestFirst)).toEqual([]);
    });

    it.each(['reboot', 'replace'])('starts a member it stopped though the group has turned to %s since', (policy) => {
      expect(plan(group(policy, { aState: 'stopped' }), {}, [entry(NOW - 60_000, 'stop')])).toEqual([[A, 'start', 'start-instance']]);
    });

    it.each([
      { name: 'a stop that failed', history: [entry(NOW - 60_000, 'stop', 'failed')] },
      { name: 'a stop whose start went through (stopped again since, by someone else)', history: [entry(NOW - 120_000, 'start'), entry(NOW - 200_000, 'stop')] },
      { name: 'a stop journaled while the group was stop-start, now that remediation is off', history: [entry(NOW - 60_000, 'stop')], policy: 'off' },
    ])('does not carry on $name', ({ history, policy }) => {
      expect(plan(group(policy ?? 'stop-start', { aState: 'stopped' }), {}, history)).toEqual([]);
    });

    it('starts an instance it stopped even when the start comes after the give-up time', () => {
      expect(plan(group('stop-start', { aState: 'stopped' }), {}, [entry(NOW - DEFAULT_REMEDIATION.giveUpAfterMs - 60_000, 'stop')])).toEqual([[A, 'start', 'start-instance']]);
    });

    it.each([
      { name: 'tries a failed start again once the retry spacing has passed', failedAgo: DEFAULT_REMEDIATION.retryStartAfterMs, stopAgo: 200_000, expected: [[A, 'start', 'start-instance']] },
      { name: 'waits out the retry spacing after a failed start', failedAgo: DEFAULT_REMEDIATION.retryStartAfterMs - 1, stopAgo: 200_000, expected: [] },
      { name: 'gives up a start that keeps failing past the give-up time', failedAgo: DEFAULT_REMEDIATION.retryStartAfterMs, stopAgo: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [[A, 'give-up', '-']] },
    ])('$name', ({ failedAgo, stopAgo, expected }) => {
      const history = [entry(NOW - failedAgo, 'start', 'failed'), entry(NOW - stopAgo, 'stop')];

      expect(plan(group('stop-start', { aState: 'stopped' }), {}, history)).toEqual(expected);
    });

    it('stops carrying on after it gave up', () => {
      expect(plan(group('stop-start', { aState: 'stopped' }), {}, [entry(NOW - 1_000, undefined, 'failed'), entry(NOW - 200_000, 'start', 'failed'), entry(NOW - 1_000_000, 'stop')])).toEqual([]);
    });

    it('never starts an instance that this journal did not stop', () => {
      expect(plan(group('stop-start', { aState: 'stopped' }), {})).toEqual([]);
    });
  });

  it("names the group's kind in each plan, for the notice", () => {
    const [only] = planRemediation({ groups: [group('reboot')], probes: { [A]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION });

    expect(only).toMatchObject({ group: 'web', kind: 'vip', instanceId: A });
  });

  it('reads the journal only for groups with something to do', () => {
    expect(remediationCandidates([group('reboot')], { [A]: 'healthy' }, ROSTER)).toEqual([]);
    expect(remediationCandidates([group('off')], { [A]: 'unhealthy' }, ROSTER)).toEqual([]);
    expect(remediationCandidates([group('reboot')], { [A]: 'unhealthy' }, ROSTER)).toHaveLength(1);
    expect(remediationCandidates([group('stop-start', { aState: 'stopped' })], {}, ROSTER)).toHaveLength(1);
  });

  it.each([
    { name: 'reads it for a stop-start group with a member stopping (a stop to carry on)', policy: 'stop-start', aState: 'stopping' as const, probes: {} as Record<string, Verdict>, expected: true },
    { name: 'reads it for a reboot group with a member stopped (a stop-start it may have begun)', policy: 'reboot', aState: 'stopped' as const, probes: {} as Record<string, Verdict>, expected: true },
    { name: 'skips a group with remediation off whose member is stopped', policy: 'off', aState: 'stopped' as const, probes: { [A]: 'unhealthy' as Verdict }, expected: false },
    { name: 'skips a stop-start group whose members all run and pass', policy: 'stop-start', aState: 'running' as const, probes: { [A]: 'healthy' as Verdict }, expected: false },
  ])('reads the journal only for groups with something to do: $name', ({ policy, aState, probes, expected }) => {
    expect(remediationCandidates([group(policy, { aState })], probes, ROSTER)).toHaveLength(expected ? 1 : 0);
  });
});

describe('remediation scope: the roster', () => {
  it.each<[string, Record<string, readonly string[]>, string[]]>([
    ['a member on the roster', { web: [A, B] }, [A]],
    ['a member that joined after the roster was recorded (a newcomer)', { web: [B] }, []],
    ['a group with no roster at all', {}, []],
  ])('remediates %s only if confirmed', (_name, rosters, expected) => {
    const candidates = remediationCandidates([group('stop-start')], { [A]: 'unhealthy' }, rosters);

    const plans = planRemediation({ groups: candidates, probes: { [A]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION });

    expect(plans.map((p) => p.instanceId)).toEqual(expected);
  });

  it('keeps the confirmed holder in view, so a confirmed member that holds traffic is still never fenced', () => {
    const [scoped] = remediationCandidates([group('reboot', { holder: 'A' })], { [A]: 'unhealthy', [B]: 'unhealthy' }, { web: [A, B] });

    const plans = planRemediation({ groups: [scoped!], probes: { [A]: 'unhealthy', [B]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION });

    expect(plans.map((p) => p.instanceId)).toEqual([B]);
  });
});
