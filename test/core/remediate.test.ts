/** The remediation rules, as a pure function of the groups, the probe verdicts, the journal and the clock. */
import { describe, expect, it } from 'vitest';
import { discover, type Group } from '../../shared/core/groups.js';
import type { InstanceState, StatusChecks, Verdict } from '../../shared/core/model.js';
import type { JournalEntry } from '../../shared/core/ports.js';
import { DEFAULT_REMEDIATION, type RemediationInput, planRemediation, remediationCandidates, spotRequestsToCheck } from '../../shared/core/remediate.js';
import { DEFAULTS, type NodeSpec, node, snapshot } from '../support/snapshot.js';

const A = 'i-0000000000000001a';
const B = 'i-0000000000000002b';
const VIP = '10.0.1.100';
const NOW = 10_000_000;
const ROSTER = { web: [A, B] };

function group(remediate: string, o: { aState?: InstanceState; bState?: InstanceState; holder?: 'A' | 'B'; asg?: boolean; a?: NodeSpec['extra'] } = {}): Group {
  const tags = (p: string) => ({ 'failover:group': 'web', 'failover:kind': 'vip', 'failover:vip': VIP, 'failover:priority': p, 'failover:remediate': remediate, ...(o.asg ? { 'aws:autoscaling:groupName': 'web-asg' } : {}) });
  const holder = o.holder ?? 'B';
  const world = snapshot({
    instances: [
      node({ id: A, tags: tags('1'), state: o.aState ?? 'running', secondary: holder === 'A' ? [VIP] : [], ...(o.a ? { extra: o.a } : {}) }),
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

const plan = (g: Group, probes: Record<string, Verdict>, history: JournalEntry[] = [], more: Partial<RemediationInput> = {}) =>
  planRemediation({ groups: [g], probes, history, now: NOW, settings: DEFAULT_REMEDIATION, ...more }).map((p) => [p.instanceId, p.step, p.action?.type ?? '-']);

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
    const history = [entry(NOW - 30_000, 'started'), entry(NOW - 60_000, 'start'), entry(NOW - stopAgo, 'stop')];

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
    const [replace] = planRemediation({ groups: [group('replace', { asg: true })], probes: { [A]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION });
    expect(replace?.reason).toContain('terminate it through Auto Scaling group web-asg, which launches a fresh one');
    const [refusal] = planRemediation({ groups: [group('replace')], probes: { [A]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION });
    expect(refusal).toMatchObject({ step: 'give-up', reason: expect.stringContaining('not in an Auto Scaling group') });
    expect(refusal?.action).toBeUndefined();
  });

  describe('a stop-start the instance cannot take', () => {
    const asked = `${A} is running but the probes judged it down (health probes failed)`;
    it.each([
      { name: 'a Spot instance of a one-time request', a: { lifecycle: 'spot' as const, spotInstanceRequestId: 'sir-1' }, spotTypes: { 'sir-1': 'one-time' as const }, why: 'it is a Spot instance of one-time request sir-1' },
      { name: 'an instance-store root', a: { rootDeviceType: 'instance-store' as const }, why: 'its root device is instance store' },
      { name: 'an Auto Scaling member', a: { autoScalingGroup: 'web-asg' }, why: 'it is in Auto Scaling group web-asg' },
      { name: 'a Spot instance whose request type is not known', a: { lifecycle: 'spot' as const, spotInstanceRequestId: 'sir-1' }, why: 'whose request type is not known (sir-1)' },
    ])('reboots $name instead, and says so', ({ a, spotTypes, why }) => {
      const [only] = planRemediation({ groups: [group('stop-start', { a })], probes: { [A]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION, ...(spotTypes ? { spotTypes } : {}) });

      expect(only).toMatchObject({ step: 'reboot', action: { type: 'reboot-instance', instanceId: A }, fallback: { from: 'stop-start', to: 'reboot', why: expect.stringContaining(why) } });
      expect(only?.reason).toMatch(new RegExp(`^${asked.replace(/[()]/g, '\\$&')}: reboot instead of stop-start, as `));
    });

    it('asks for the type of a Spot request only when a stop-start waits on it, and stops a persistent one once it knows', () => {
      const spot = group('stop-start', { a: { lifecycle: 'spot', spotInstanceRequestId: 'sir-1' } });
      const first = planRemediation({ groups: [spot], probes: { [A]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION });

      expect(spotRequestsToCheck(first)).toEqual(['sir-1']);
      expect(plan(spot, { [A]: 'unhealthy' }, [], { spotTypes: { 'sir-1': 'persistent' } })).toEqual([[A, 'stop', 'stop-instance']]);
      expect(spotRequestsToCheck(planRemediation({ groups: [group('reboot', { a: { lifecycle: 'spot', spotInstanceRequestId: 'sir-1' } })], probes: { [A]: 'unhealthy' }, history: [], now: NOW, settings: DEFAULT_REMEDIATION }))).toEqual([]);
    });
  });

  describe('a start followed until the node runs and passes', () => {
    const kms = { code: 'Client.InternalError', message: 'Client.InternalError: Client error on launch' };
    const started = (startAgo: number, stopAgo = 200_000) => [entry(NOW - startAgo, 'start'), entry(NOW - stopAgo, 'stop')];

    it.each([
      { name: 'the probes judge it healthy', probes: { [A]: 'healthy' } as Record<string, Verdict>, statusChecks: {} as Record<string, StatusChecks> },
      { name: 'no probe verdict, and EC2 status checks are ok', probes: {} as Record<string, Verdict>, statusChecks: { [A]: 'ok' } as Record<string, StatusChecks> },
    ])('confirms the start once $name, with a final `started` entry', ({ probes, statusChecks }) => {
      const [only] = planRemediation({ groups: [group('stop-start')], probes, statusChecks, history: started(60_000), now: NOW, settings: DEFAULT_REMEDIATION });

      expect(only).toEqual({ group: 'web', kind: 'vip', instanceId: A, step: 'started', reason: `${A} is running and passing its checks 200 s after its remediation stop: started` });
    });

    it.each([
      { name: 'the probes still judge it down', probes: { [A]: 'unhealthy' } as Record<string, Verdict>, statusChecks: { [A]: 'ok' } as Record<string, StatusChecks> },
      { name: 'its status checks are still initializing', probes: {} as Record<string, Verdict>, statusChecks: { [A]: 'initializing' } as Record<string, StatusChecks> },
    ])('waits while $name', ({ probes, statusChecks }) => {
      expect(plan(group('stop-start'), probes, started(60_000), { statusChecks })).toEqual([]);
    });

    it.each([
      { name: 'waits out the retry spacing after a start that fell back to stopped', startAgo: DEFAULT_REMEDIATION.retryStartAfterMs - 1, expected: [] },
      { name: 'starts it again once the spacing has passed', startAgo: DEFAULT_REMEDIATION.retryStartAfterMs, expected: [[A, 'start', 'start-instance']] },
    ])('$name', ({ startAgo, expected }) => {
      expect(plan(group('stop-start', { aState: 'stopped', a: { stateReason: kms } }), {}, started(startAgo))).toEqual(expected);
    });

    it('names the state reason when it starts a node again', () => {
      const [only] = planRemediation({ groups: [group('stop-start', { aState: 'stopped', a: { stateReason: kms } })], probes: {}, history: started(60_000), now: NOW, settings: DEFAULT_REMEDIATION });

      expect(only?.reason).toContain('start it again (the last start fell back to stopped: EC2 says Client.InternalError');
    });

    it('gives up loudly on a node whose starts keep falling back, saying it is left stopped and naming kms:CreateGrant', () => {
      const history = [entry(NOW - 60_000, 'start'), entry(NOW - 300_000, 'start'), entry(NOW - DEFAULT_REMEDIATION.giveUpAfterMs, 'stop')];

      const [only] = planRemediation({ groups: [group('stop-start', { aState: 'stopped', a: { stateReason: kms } })], probes: {}, history, now: NOW, settings: DEFAULT_REMEDIATION });

      expect(only).toMatchObject({ step: 'give-up', leftStopped: { cause: "likely missing kms:CreateGrant", detail: expect.stringContaining('kms:CreateGrant') } });
      expect(only?.action).toBeUndefined();
      expect(only?.reason).toMatch(/^gave up: .* is still stopped 900 s after its remediation stop \(2 starts; the last start fell back to stopped: .*\): it is left stopped$/);
    });

    it('gives up loudly on a node found stopping again after its start at the give-up time', () => {
      const history = [entry(NOW - 60_000, 'start'), entry(NOW - DEFAULT_REMEDIATION.giveUpAfterMs, 'stop')];

      const [only] = planRemediation({ groups: [group('stop-start', { aState: 'stopping', a: { stateReason: kms } })], probes: {}, history, now: NOW, settings: DEFAULT_REMEDIATION });

      expect(only).toMatchObject({ step: 'give-up', leftStopped: { cause: 'likely missing kms:CreateGrant' }, reason: expect.stringContaining('is stopping again') });
    });

    it('gives the last start its retry spacing before giving up, however late it came', () => {
      const history = [entry(NOW - 10_000, 'start'), entry(NOW - DEFAULT_REMEDIATION.giveUpAfterMs - 100_000, 'stop')];

      expect(plan(group('stop-start', { aState: 'stopped', a: { stateReason: kms } }), {}, history)).toEqual([]);
    });

    it('ends quietly, without starting it again, when the node ran after the start and someone stopped it since', () => {
      const history = started(120_000);
      const [only] = planRemediation({
        groups: [group('stop-start', { aState: 'stopped', a: { stateReason: { code: 'Client.UserInitiatedShutdown', message: 'User initiated shutdown' }, launchedAt: NOW - 119_000 } })],
        probes: {},
        history,
        now: NOW,
        settings: DEFAULT_REMEDIATION,
      });

      expect(only).toMatchObject({ step: 'give-up', reason: `${A} ran again after its remediation start, then was stopped by someone (Client.UserInitiatedShutdown): not started again` });
      expect(only?.leftStopped).toBeUndefined();
    });

    it('starts it again when EC2 does not show the start yet (LaunchTime before it), whatever the old state reason says', () => {
      const a = { stateReason: { code: 'Client.UserInitiatedShutdown', message: 'User initiated shutdown' }, launchedAt: NOW - 3_600_000 };

      expect(plan(group('stop-start', { aState: 'stopped', a }), {}, started(120_000))).toEqual([[A, 'start', 'start-instance']]);
    });

    it('does not start a new remediation while a start is being followed', () => {
      const fast = { ...DEFAULT_REMEDIATION, intervalMs: 1_000 };

      expect(planRemediation({ groups: [group('stop-start')], probes: { [A]: 'unhealthy' }, history: started(60_000), now: NOW, settings: fast })).toEqual([]);
    });

    it.each([
      { name: 'reads the journal for a group whose member started recently (a start to confirm)', launchedAgo: 60_000, expected: 1 },
      { name: 'not for one whose members started long ago', launchedAgo: DEFAULT_REMEDIATION.giveUpAfterMs + DEFAULT_REMEDIATION.retryStartAfterMs + 1, expected: 0 },
    ])('$name', ({ launchedAgo, expected }) => {
      const g = group('stop-start', { a: { launchedAt: NOW - launchedAgo } });

      expect(remediationCandidates([g], { [A]: 'healthy' }, ROSTER, { now: NOW, settings: DEFAULT_REMEDIATION })).toHaveLength(expected);
    });
  });

  describe('a stop-start carried on over several runs', () => {
    it.each([
      { name: 'starts it once it has stopped', state: 'stopped' as const, since: 60_000, expected: [[A, 'start', 'start-instance']] },
      { name: 'waits while it is stopping', state: 'stopping' as const, since: 60_000, expected: [] },
      { name: 'forces a stop that hangs', state: 'stopping' as const, since: DEFAULT_REMEDIATION.forceAfterMs, expected: [[A, 'force-stop', 'stop-instance']] },
      { name: 'gives up when it never stops', state: 'stopping' as const, since: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [[A, 'give-up', '-']] },
      { name: 'waits for a node started by someone else to pass its checks', state: 'running' as const, since: 120_000, expected: [] },
      { name: 'gives up on a node that runs again but never passes its checks', state: 'running' as const, since: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [[A, 'give-up', '-']] },
      { name: 'gives up on a node still starting at the give-up time', state: 'pending' as const, since: DEFAULT_REMEDIATION.giveUpAfterMs, expected: [[A, 'give-up', '-']] },
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

    // Seed 9023 (24 h, +03:59:40): the forced stop went through but EC2's answer was lost
    // (InternalError); the failed force closed the stop-start, and the member stayed stopped for 20 hours.
    it.each([
      { name: 'starts it once stopped, though EC2 failed the force (its answer lost)', state: 'stopped' as const, forcedAgo: 10_000, expected: [[A, 'start', 'start-instance']] },
      { name: 'forces it again, spaced out, while it is still stopping', state: 'stopping' as const, forcedAgo: DEFAULT_REMEDIATION.retryStartAfterMs, expected: [[A, 'force-stop', 'stop-instance']] },
      { name: 'waits out the spacing before forcing again', state: 'stopping' as const, forcedAgo: DEFAULT_REMEDIATION.retryStartAfterMs - 1, expected: [] },
    ])('after a force that failed, $name', ({ state, forcedAgo, expected }) => {
      const history = [entry(NOW - forcedAgo, 'force-stop', 'failed'), entry(NOW - DEFAULT_REMEDIATION.forceAfterMs - forcedAgo, 'stop')];

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

    // A stop whose answer was lost (InternalError, a timeout) may still have been carried out: the
    // node must not stay down because the journal says the stop failed.
    it.each([
      { name: 'starts it once stopped', state: 'stopped' as const, expected: [[A, 'start', 'start-instance']] },
      { name: 'waits while it is stopping', state: 'stopping' as const, expected: [] },
    ])('after a stop that failed but went through, $name', ({ state, expected }) => {
      expect(plan(group('stop-start', { aState: state }), {}, [entry(NOW - 60_000, 'stop', 'failed')])).toEqual(expected);
    });

    it('forces a stop that failed but went through once it hangs in stopping', () => {
      const history = [entry(NOW - DEFAULT_REMEDIATION.forceAfterMs, 'stop', 'failed')];

      expect(plan(group('stop-start', { aState: 'stopping' }), {}, history)).toEqual([[A, 'force-stop', 'stop-instance']]);
    });

    it.each([
      { name: 'a stop that failed, the node stopped only after the give-up time', history: [entry(NOW - DEFAULT_REMEDIATION.giveUpAfterMs, 'stop', 'failed')] },
      { name: 'a stop-start confirmed done (stopped again since, by someone else)', history: [entry(NOW - 60_000, 'started'), entry(NOW - 120_000, 'start'), entry(NOW - 200_000, 'stop')] },
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
