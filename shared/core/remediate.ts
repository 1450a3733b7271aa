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
 * - `stop-start` applies only where EC2 can stop and start the instance without losing it (see
 *   classify.ts); elsewhere it becomes a reboot, and the journal and the notice say why;
 * - `stop-start` takes several runs: the stop is journaled, and a later run starts the instance
 *   once it is stopped, forces the stop if it hangs past `forceAfterMs` (again, spaced out, if the
 *   force fails: EC2 may have carried it out anyway, so the node stays this journal's), follows the start until
 *   the instance runs and passes its checks, starts it again (every `retryStartAfterMs`) when a
 *   start fails or falls back to `stopped`, and gives up after `giveUpAfterMs`; it is carried on
 *   even if the tag changed since (to anything but `off`), and always ends with a journal entry
 *   (`started`, confirmed running, or a give-up that says the node is left stopped and why);
 * - `replace` terminates Auto Scaling members only, through their group, which launches a fresh node.
 * - only members on the group's roster (confirmed at its first decision or by a person) are ever
 *   candidates: a member that joined since, by a tag anyone allowed to tag could set, is never touched.
 */
import { type SpotRequestType, startFailureOf, stopStartAllowed, stoppedOnPurpose } from './classify.js';
import type { Group, Member } from './groups.js';
import { slotsOf } from './holders.js';
import { isConfirmed } from './roster.js';
import type { Action, InstanceState, StatusChecks, Verdict } from './model.js';
import type { JournalEntry, RemediationStep } from './ports.js';

export interface RemediationSettings {
  /** At most one remediation per instance in this long. */
  readonly intervalMs: number;
  /** A stop still `stopping` this long after it was asked for is forced. */
  readonly forceAfterMs: number;
  /** A stop-start not finished (running and passing) this long after the stop is given up (journaled as failed). */
  readonly giveUpAfterMs: number;
  /** A start that failed or fell back to `stopped` is tried again this long after, until the give-up time. */
  readonly retryStartAfterMs: number;
}

export const DEFAULT_REMEDIATION: RemediationSettings = Object.freeze({ intervalMs: 900_000, forceAfterMs: 300_000, giveUpAfterMs: 900_000, retryStartAfterMs: 60_000 });

export interface RemediationPlan {
  readonly group: string;
  readonly kind: Group['kind'];
  readonly instanceId: string;
  /** `started`: a stop-start confirmed done (running and passing); it has no action. */
  readonly step: RemediationStep | 'give-up';
  readonly action?: Action;
  readonly reason: string;
  /** The group asked for stop-start and this instance cannot take it: what it gets instead, and why. */
  readonly fallback?: { readonly from: 'stop-start'; readonly to: 'reboot'; readonly why: string };
  /** A Spot request whose type (DescribeSpotInstanceRequests) would let a stop-start go ahead: look it up and plan again. */
  readonly spotRequestToCheck?: string;
  /** A give-up that leaves the node stopped: the likely cause, to be told loudly. */
  readonly leftStopped?: { readonly cause: string; readonly detail: string };
}

/** A plan as carried out: applied, failed (a loud give-up that leaves a node stopped counts), or given up. */
export interface RemediationResult extends RemediationPlan {
  readonly outcome: 'applied' | 'failed' | 'gave-up';
  readonly error?: string;
  readonly journalKey?: string;
}

export interface RemediationInput {
  readonly groups: readonly Group[];
  /** Probe verdicts and why, per instance. */
  readonly probes: Readonly<Record<string, Verdict>>;
  readonly reasons?: Readonly<Record<string, string>>;
  /** EC2 status checks per instance (the snapshot's): a started node with no probe verdict passes on these. */
  readonly statusChecks?: Readonly<Record<string, StatusChecks>>;
  /** Spot request types looked up for this run, by request ID. */
  readonly spotTypes?: Readonly<Record<string, SpotRequestType>>;
  /** Remediation entries of the groups concerned, newest first. */
  readonly history: readonly JournalEntry[];
  readonly now: number;
  readonly settings: RemediationSettings;
}

const idOf = (m: Member) => m.instance.instanceId;

/**
 * The groups whose journal the planner needs (a candidate to remediate, a stop-start to carry on,
 * or a member started recently: a start this journal may still have to confirm), each with only the
 * members on its roster: a group without one remediates nobody.
 */
export function remediationCandidates(
  groups: readonly Group[],
  probes: Readonly<Record<string, Verdict>>,
  rosters: Readonly<Record<string, readonly string[]>>,
  recent?: { readonly now: number; readonly settings: RemediationSettings },
): Group[] {
  const followed = (m: Member) => recent !== undefined && m.instance.launchedAt !== undefined && recent.now - m.instance.launchedAt <= recent.settings.giveUpAfterMs + recent.settings.retryStartAfterMs;
  const scoped = groups.map((g) => {
    const roster = new Set(rosters[g.name] ?? []);
    return { ...g, members: g.members.filter((m) => isConfirmed(m, roster)) };
  });
  return scoped.filter(
    (g) =>
      g.policy.remediate !== 'off' &&
      g.members.some(
        (m) =>
          (m.instance.state === 'running' && probes[idOf(m)] === 'unhealthy') ||
          m.instance.state === 'stopped' ||
          m.instance.state === 'stopping' ||
          m.instance.state === 'pending' ||
          followed(m),
      ),
  );
}

/** The Spot requests whose type the plans wait on (each plan fell back to a reboot for want of it). */
export const spotRequestsToCheck = (plans: readonly RemediationPlan[]): string[] => [...new Set(plans.flatMap((p) => (p.spotRequestToCheck ? [p.spotRequestToCheck] : [])))];

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
      if (isOpen(mine, member.instance.state, now, settings)) {
        const plan = carryOn(group, member, mine, input);
        if (plan) plans.push(plan);
        continue;
      }
      if (member.instance.state !== 'running' || probes[id] !== 'unhealthy') continue;
      const why = input.reasons?.[id] ?? 'health probes failed';
      if (held.has(id)) continue; // traffic first: the core moves it off, then this node is fenced
      // Any attempt counts, one that failed or gave up included: the interval is what keeps a flapping node from being hammered.
      const last = mine.find((e) => e.step !== 'start' && e.step !== 'started');
      if (last && now - last.at < settings.intervalMs) continue;
      plans.push(first(group, member, `${id} is running but the probes judged it down (${why})`, input.spotTypes));
    }
  }
  return plans;
}

function first(group: Group, member: Member, reason: string, spotTypes: RemediationInput['spotTypes']): RemediationPlan {
  const instanceId = idOf(member);
  const base = { group: group.name, kind: group.kind, instanceId };
  const reboot: Action = { type: 'reboot-instance', instanceId };
  switch (group.policy.remediate) {
    case 'reboot':
      return { ...base, step: 'reboot', action: reboot, reason: `${reason}: reboot` };
    case 'stop-start': {
      const verdict = stopStartAllowed(member.instance, spotTypes);
      if (verdict.ok) return { ...base, step: 'stop', action: { type: 'stop-instance', instanceId }, reason: `${reason}: stop, then start once stopped` };
      return {
        ...base,
        step: 'reboot',
        action: reboot,
        reason: `${reason}: reboot instead of stop-start, as ${verdict.why}`,
        fallback: { from: 'stop-start', to: verdict.fallback, why: verdict.why },
        ...(verdict.spotRequestToCheck ? { spotRequestToCheck: verdict.spotRequestToCheck } : {}),
      };
    }
    case 'replace': {
      const asg = member.instance.autoScalingGroup;
      if (asg === undefined) {
        return { ...base, step: 'give-up', reason: `${reason}: not replaced, it is not in an Auto Scaling group (failover:remediate=replace needs one)` };
      }
      return { ...base, step: 'terminate', action: { type: 'terminate-instance', instanceId }, reason: `${reason}: terminate it through Auto Scaling group ${asg}, which launches a fresh one` };
    }
    case 'off':
      throw new Error('unreachable: remediation is off');
  }
}

/**
 * Whether the newest entry leaves a stop-start under way: a stop that went through, or a start not
 * confirmed yet. A stop that failed counts too while the node is stopping or stopped within the
 * give-up time: EC2 may have carried it out and lost the answer, and a node this journal may have
 * stopped must not stay down (the class of soak seed 9023's force).
 */
function isOpen(mine: readonly JournalEntry[], state: InstanceState, now: number, settings: RemediationSettings): boolean {
  const [latest] = mine;
  if (!latest) return false;
  // A force follows a stop that went through: whatever became of the force (EC2 may even have
  // carried it out and lost the answer: soak seed 9023), the node is this journal's to start.
  if (latest.step === 'force-stop') return true;
  if (latest.step === 'stop') {
    if (latest.outcome !== 'failed') return true;
    return (state === 'stopping' || state === 'stopped') && now - latest.at < settings.giveUpAfterMs;
  }
  return latest.step === 'start';
}

/** Running and passing: the probes judge it healthy, or, without a verdict from them, EC2's status checks are ok. */
function passing(id: string, input: RemediationInput): boolean {
  const verdict = input.probes[id];
  return verdict === 'healthy' || (verdict !== 'unhealthy' && input.statusChecks?.[id] === 'ok');
}

/** The next step of a stop-start this journal began (or may have: `isOpen`), if one is due. */
function carryOn(group: Group, member: Member, mine: readonly JournalEntry[], input: RemediationInput): RemediationPlan | undefined {
  const { now, settings } = input;
  const [latest] = mine;
  if (!latest) return undefined;
  const stopAt = mine.find((e) => e.step === 'stop')?.at ?? latest.at;
  const secs = (ms: number) => `${Math.round(ms / 1000)} s`;
  const since = now - stopAt;
  const { instance } = member;
  const { instanceId, state } = instance;
  const base = { group: group.name, kind: group.kind, instanceId };
  const starts = mine.filter((e) => e.step === 'start' && e.at >= stopAt);
  const lastStart = starts[0];
  const tookStart = starts.find((e) => e.outcome === 'applied');
  // The last start gets its retry spacing to take, whatever the give-up time says.
  const until = Math.max(stopAt + settings.giveUpAfterMs, (lastStart?.at ?? Number.NEGATIVE_INFINITY) + settings.retryStartAfterMs);
  const giveUp = (reason: string, extra: Partial<RemediationPlan> = {}): RemediationPlan => ({ ...base, step: 'give-up', reason, ...extra });
  const start = (why: string): RemediationPlan => ({ ...base, step: 'start', action: { type: 'start-instance', instanceId }, reason: `${instanceId} stopped after its remediation stop: ${why}` });

  if (state === 'shutting-down' || state === 'terminated') return undefined; // someone terminated it: nothing left to start
  if (state === 'running' || state === 'pending') {
    if (state === 'running' && passing(instanceId, input)) {
      return { ...base, step: 'started', reason: `${instanceId} is running and passing its checks ${secs(since)} after its remediation stop: started` };
    }
    return now >= until ? giveUp(`${instanceId} is ${state} but not passing its checks ${secs(since)} after its remediation stop: giving up`) : undefined;
  }
  if (state === 'stopping') {
    if (now >= until && lastStart) {
      // Stopping after a start: the start is falling back, and the node will be left stopped.
      const failure = startFailureOf(instance.stateReason);
      return giveUp(`gave up: ${instanceId} is stopping again ${secs(since)} after its remediation stop, after ${starts.length} start${starts.length === 1 ? '' : 's'} (${failure.detail}): it is left stopped`, {
        leftStopped: { cause: failure.short, detail: failure.detail },
      });
    }
    if (now >= until) return giveUp(`${instanceId} is still stopping ${secs(since)} after its remediation stop: giving up`);
    if (latest.step === 'stop' && since >= settings.forceAfterMs) {
      return { ...base, step: 'force-stop', action: { type: 'stop-instance', instanceId, force: true }, reason: `${instanceId} is still stopping ${secs(since)} after its remediation stop: force it` };
    }
    // A force that failed is asked for again, spaced out as a failed start is.
    if (latest.step === 'force-stop' && latest.outcome === 'failed' && now - latest.at >= settings.retryStartAfterMs) {
      return { ...base, step: 'force-stop', action: { type: 'stop-instance', instanceId, force: true }, reason: `${instanceId} is still stopping ${secs(since)} after its remediation stop, and the last force failed: force it again` };
    }
    return undefined;
  }
  // Stopped. The first start is always asked for: this journal stopped it, so it must not stay down.
  if (!lastStart) return start('start it');
  // A start that EC2 shows to have taken (LaunchTime at or after it; whole seconds) and a stop since, by the API or the OS: someone else's.
  const launchedSince = tookStart !== undefined && instance.launchedAt !== undefined && instance.launchedAt >= tookStart.at - tookStart.durationMs - 1_000;
  if (launchedSince && stoppedOnPurpose(instance.stateReason)) {
    return giveUp(`${instanceId} ran again after its remediation start, then was stopped by someone (${instance.stateReason?.code}): not started again`);
  }
  const fellBack = latest.step === 'start' && latest.outcome === 'applied';
  const failure = startFailureOf(instance.stateReason);
  if (now >= until) {
    const how = fellBack ? `the last start fell back to stopped: ${failure.detail}` : `the last start failed${latest.error ? ` (${latest.error})` : ''}`;
    return giveUp(`gave up: ${instanceId} is still stopped ${secs(since)} after its remediation stop (${starts.length} start${starts.length === 1 ? '' : 's'}; ${how}): it is left stopped`, {
      leftStopped: fellBack ? { cause: failure.short, detail: failure.detail } : { cause: 'its starts failed', detail: latest.error ?? 'StartInstances failed' },
    });
  }
  // A start that failed (no capacity, say) or fell back to stopped is tried again, spaced out: each attempt is journaled and told.
  if (now - latest.at < settings.retryStartAfterMs) return undefined;
  return start(fellBack ? `start it again (the last start fell back to stopped: ${failure.detail})` : 'start it again (the last start failed)');
}

