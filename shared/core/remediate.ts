/**
 * Remediation: what to do to a member that the probes judged down while EC2 says it runs (hung, or
 * silent), once traffic has moved off it, per its group's `failover:remediate` tag. A pure function
 * of the groups, the probe verdicts, the journal's remediation entries and the clock.
 *
 * Rules:
 * - only a running member the probes judged `unhealthy` (never `unknown`, never one stopped by
 *   someone: a stopped member is only ever started again when this journal says it stopped it);
 * - only once no slot (VIP, Elastic IP, route) points at it;
 * - at most once per instance per `intervalMs`;
 * - `stop-start` takes several runs: the stop is journaled, and a later run starts the instance
 *   once it is stopped, forces the stop if it hangs past `forceAfterMs`, and gives up after
 *   `giveUpAfterMs`; it is carried on even if the tag changed since (to anything but `off`);
 * - `replace` terminates Auto Scaling members only, so the group launches a fresh node;
 * - only members on the group's roster (confirmed at its first decision or by a person) are ever
 *   candidates: a member that joined since, by a tag anyone allowed to tag could set, is never touched.
 */
import type { Group, Member } from './groups.js';
import { slotsOf } from './holders.js';
import { isConfirmed } from './roster.js';
import type { Action, Verdict } from './model.js';
import type { JournalEntry, RemediationStep } from './ports.js';
import { TAG } from './tags.js';

export interface RemediationSettings {
  /** At most one remediation per instance in this long. */
  readonly intervalMs: number;
  /** A stop still `stopping` this long after it was asked for is forced. */
  readonly forceAfterMs: number;
  /** A stop-start not finished this long after the stop is given up (journaled as failed). */
  readonly giveUpAfterMs: number;
  /** A start that failed (no capacity, say) is tried again this long after, until the give-up time. */
  readonly retryStartAfterMs: number;
}

export const DEFAULT_REMEDIATION: RemediationSettings = Object.freeze({ intervalMs: 900_000, forceAfterMs: 300_000, giveUpAfterMs: 900_000, retryStartAfterMs: 60_000 });

export interface RemediationPlan {
  readonly group: string;
  readonly kind: Group['kind'];
  readonly instanceId: string;
  readonly step: RemediationStep | 'give-up';
  readonly action?: Action;
  readonly reason: string;
}

export interface RemediationInput {
  readonly groups: readonly Group[];
  /** Probe verdicts and why, per instance. */
  readonly probes: Readonly<Record<string, Verdict>>;
  readonly reasons?: Readonly<Record<string, string>>;
  /** Remediation entries of the groups concerned, newest first. */
  readonly history: readonly JournalEntry[];
  readonly now: number;
  readonly settings: RemediationSettings;
}

const idOf = (m: Member) => m.instance.instanceId;

/**
 * The groups whose journal the planner needs (a candidate to remediate, or a stop-start to carry on),
 * each with only the members on its roster: a group without one remediates nobody.
 */
export function remediationCandidates(groups: readonly Group[], probes: Readonly<Record<string, Verdict>>, rosters: Readonly<Record<string, readonly string[]>>): Group[] {
  const scoped = groups.map((g) => {
    const roster = new Set(rosters[g.name] ?? []);
    return { ...g, members: g.members.filter((m) => isConfirmed(m, roster)) };
  });
  return scoped.filter(
    (g) =>
      g.policy.remediate !== 'off' &&
      g.members.some((m) => (m.instance.state === 'running' && probes[idOf(m)] === 'unhealthy') || m.instance.state === 'stopped' || m.instance.state === 'stopping'),
  );
}

export function planRemediation(input: RemediationInput): RemediationPlan[] {
  const { groups, probes, history, now, settings } = input;
  const plans: RemediationPlan[] = [];
  for (const group of groups) {
    if (group.policy.remediate === 'off') continue;
    const held = new Set(slotsOf(group).flatMap((s) => (s.holder ? [idOf(s.holder)] : [])));
    for (const member of group.members) {
      const id = idOf(member);
      const mine = history.filter((e) => e.kind === 'remediation' && e.from === id && e.group === group.name).sort((a, b) => b.at - a.at);
      // A stop this journal made is carried on whatever the mode is now: a tag changed mid-way must not leave a node down.
      const plan = carryOn(group, member, mine, now, settings);
      if (plan) {
        plans.push(plan);
        continue;
      }
      if (member.instance.state !== 'running' || probes[id] !== 'unhealthy') continue;
      const why = input.reasons?.[id] ?? 'health probes failed';
      if (held.has(id)) continue; // traffic first: the core moves it off, then this node is fenced
      // Any attempt counts, one that failed or gave up included: the interval is what keeps a flapping node from being hammered.
      const last = mine.find((e) => e.step !== 'start');
      if (last && now - last.at < settings.intervalMs) continue;
      plans.push(first(group, member, `${id} is running but the probes judged it down (${why})`));
    }
  }
  return plans;
}

function first(group: Group, member: Member, reason: string): RemediationPlan {
  const instanceId = idOf(member);
  const base = { group: group.name, kind: group.kind, instanceId };
  switch (group.policy.remediate) {
    case 'reboot':
      return { ...base, step: 'reboot', action: { type: 'reboot-instance', instanceId }, reason: `${reason}: reboot` };
    case 'stop-start':
      return { ...base, step: 'stop', action: { type: 'stop-instance', instanceId }, reason: `${reason}: stop, then start once stopped` };
    case 'replace':
      if (member.instance.tags[TAG.autoScalingGroup] === undefined) {
        return { ...base, step: 'give-up', reason: `${reason}: not replaced, it is not in an Auto Scaling group (failover:remediate=replace needs one)` };
      }
      return { ...base, step: 'terminate', action: { type: 'terminate-instance', instanceId }, reason: `${reason}: terminate, its Auto Scaling group launches a fresh one` };
    case 'off':
      throw new Error('unreachable: remediation is off');
  }
}

/** The next step of a stop-start this journal started, if one is under way. */
function carryOn(group: Group, member: Member, mine: readonly JournalEntry[], now: number, settings: RemediationSettings): RemediationPlan | undefined {
  const [latest] = mine;
  if (!latest) return undefined;
  const retryingStart = latest.step === 'start' && latest.outcome === 'failed';
  if (!retryingStart && ((latest.step !== 'stop' && latest.step !== 'force-stop') || latest.outcome === 'failed')) return undefined;
  const stop = mine.find((e) => e.step === 'stop');
  const since = now - (stop?.at ?? latest.at);
  const instanceId = idOf(member);
  const base = { group: group.name, kind: group.kind, instanceId };
  const state = member.instance.state;
  if (state === 'running' || state === 'pending') return undefined; // started already (by us or someone): done
  const start = (why: string): RemediationPlan => ({ ...base, step: 'start', action: { type: 'start-instance', instanceId }, reason: `${instanceId} stopped after its remediation stop: ${why}` });
  // The first start is always asked for: this journal stopped it, so it must not stay down.
  if (state === 'stopped' && !retryingStart) return start('start it');
  if (since >= settings.giveUpAfterMs) return { ...base, step: 'give-up', reason: `${instanceId} is still ${state} ${Math.round(since / 1000)} s after its remediation stop: giving up` };
  if (state === 'stopped') {
    // A start that failed (no capacity, say) is tried again, spaced out: each attempt is journaled and told.
    return now - latest.at < settings.retryStartAfterMs ? undefined : start('start it again (the last start failed)');
  }
  if (state === 'stopping' && latest.step === 'stop' && since >= settings.forceAfterMs) {
    return { ...base, step: 'force-stop', action: { type: 'stop-instance', instanceId, force: true }, reason: `${instanceId} is still stopping ${Math.round(since / 1000)} s after its remediation stop: force it` };
  }
  return undefined;
}
