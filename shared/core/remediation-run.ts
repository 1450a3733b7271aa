/**
 * Carries out remediation plans (remediate.ts): looks up the Spot request types a stop-start
 * waits on, applies each step through the EC2 port (reboot, stop, start) or the remediation port
 * (replace through Auto Scaling), and journals and tells every step, the fallbacks and give-ups too.
 */
import { FailoverError, RefusedError } from '../errors.js';
import { describeAction } from './apply.js';
import type { SpotRequestType } from './classify.js';
import type { Group } from './groups.js';
import type { Verdict, WorldSnapshot } from './model.js';
import { remediationNotice } from './notice.js';
import type { CallOptions, Clock, Ec2Port, JournalEntry, JournalPort, NotifierPort, RemediationPort } from './ports.js';
import { type RemediationPlan, type RemediationResult, type RemediationSettings, planRemediation, remediationCandidates, spotRequestsToCheck } from './remediate.js';
import { retry } from './retry.js';

/** The subset of a structured logger this needs. */
interface RunLog {
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface RemediationRunDeps {
  readonly ec2: Ec2Port;
  /** Spot request types and Auto Scaling replacement; without it, Spot members are not stopped and `replace` fails. */
  readonly remediation?: RemediationPort;
  readonly journal: JournalPort;
  readonly notifier?: NotifierPort;
  readonly clock: Clock;
  readonly log: RunLog;
  readonly settings: RemediationSettings;
  readonly noticePrefix: string;
}

export interface RemediationRunRequest {
  readonly groups: readonly Group[];
  /** Confirmed members per group (roster.ts): only they are remediated. */
  readonly rosters: Readonly<Record<string, readonly string[]>>;
  readonly snapshot: WorldSnapshot;
  readonly probes: Readonly<Record<string, Verdict>>;
  readonly probeReasons?: Readonly<Record<string, string>>;
  readonly deadline: number;
  readonly call: CallOptions;
  readonly settle: CallOptions;
}

export async function runRemediation(deps: RemediationRunDeps, request: RemediationRunRequest): Promise<RemediationResult[]> {
  const { journal, clock, log, settings } = deps;
  const { call } = request;
  const candidates = remediationCandidates(request.groups, request.probes, request.rosters, { now: clock.now(), settings });
  if (candidates.length === 0) return [];
  const history = (await Promise.all(candidates.map((g) => journal.recent(g.name, 50, call)))).flat();
  const plan = (spotTypes?: Readonly<Record<string, SpotRequestType>>) =>
    planRemediation({
      groups: candidates,
      probes: request.probes,
      ...(request.probeReasons ? { reasons: request.probeReasons } : {}),
      statusChecks: request.snapshot.statusChecks,
      ...(spotTypes ? { spotTypes } : {}),
      history,
      now: clock.now(),
      settings,
    });
  let plans = plan();
  // Only a Spot member about to be stop-started costs a lookup; without an answer it is rebooted instead.
  const spotIds = spotRequestsToCheck(plans);
  if (spotIds.length > 0 && deps.remediation) {
    const port = deps.remediation;
    const types = await retry(() => port.spotRequestTypes(spotIds, call), { clock, deadline: request.deadline, ...call }).catch((e: unknown) => {
      if (!(e instanceof FailoverError)) throw e;
      log.warn('Spot request types unknown: those members are rebooted instead of stop-started', { spotRequestIds: spotIds.join(','), error: e.message });
      return undefined;
    });
    if (types) plans = plan(types);
  }
  const results: RemediationResult[] = [];
  for (const p of plans) results.push(await carryOut(deps, p, request));
  return results;
}

/** Why a stop is not sent when its journal entry cannot be written. */
const STOP_NOT_JOURNALED = 'not stopped: its journal entry could not be written, and a stop-start is carried on from the journal alone';

async function carryOut(deps: RemediationRunDeps, plan: RemediationPlan, request: RemediationRunRequest): Promise<RemediationResult> {
  const { clock, log, journal, ec2 } = deps;
  const { call, settle } = request;
  const started = clock.now();
  let outcome: RemediationResult['outcome'] = plan.step === 'give-up' ? (plan.leftStopped ? 'failed' : 'gave-up') : 'applied';
  let error: string | undefined = plan.leftStopped?.detail;
  const action = plan.action;
  const entryOf = (): JournalEntry => ({
    group: plan.group,
    at: clock.now(),
    trigger: 'probe',
    kind: 'remediation',
    ...(plan.step === 'give-up' ? {} : { step: plan.step }),
    from: plan.instanceId,
    reason: error && !plan.leftStopped ? `${plan.reason}; ${error}` : plan.reason,
    actions: action ? [`${outcome === 'applied' ? 'applied' : 'failed'}: ${describeAction(action)}`] : [],
    outcome: outcome === 'applied' ? 'applied' : 'failed',
    durationMs: clock.now() - started,
    ...(error ? { error } : {}),
  });
  // Retried on throttling within the run: a stop-start is carried on from these entries alone.
  const record = (entry: JournalEntry) =>
    retry(() => journal.record(entry, settle), { clock, deadline: request.deadline, ...settle }).catch((e: unknown) => {
      log.error('journal write failed', { group: plan.group, error: String(e) });
      return undefined;
    });
  // A stop is journaled before it is sent: a node this remediation stopped must be one the journal
  // knows of, or no later run starts it again. Written after, a lost entry left it stopped for good;
  // written first, a lost entry costs only this run's stop (the next run tries again), and a stop
  // that then fails is journaled as failed, which ends the stop-start.
  let journalKey: string | undefined;
  const ahead = plan.step === 'stop';
  if (ahead) {
    journalKey = await record(entryOf());
    if (journalKey === undefined) [outcome, error] = ['failed', STOP_NOT_JOURNALED];
  }
  if (action && action.type !== 'activate-ip' && action.type !== 'deactivate-ip' && !(ahead && journalKey === undefined)) {
    const send = () => {
      if (action.type !== 'terminate-instance') return ec2.apply(action, call);
      if (!deps.remediation) throw new RefusedError('this function has no Auto Scaling client to replace the instance with', { context: { instanceId: action.instanceId } });
      return deps.remediation.replaceInAutoScalingGroup(action.instanceId, call);
    };
    outcome = await retry(send, { clock, deadline: request.deadline, ...call }).then(
      () => 'applied' as const,
      (e: unknown) => {
        if (!(e instanceof FailoverError)) throw e;
        error = e.message;
        return 'failed' as const;
      },
    );
  }
  (outcome === 'failed' ? log.error.bind(log) : log.warn.bind(log))('remediation', { group: plan.group, instanceId: plan.instanceId, step: plan.step, outcome, reason: plan.reason, ...(plan.fallback ? { fallback: plan.fallback.to } : {}), error });
  if (!ahead || outcome === 'failed') journalKey = (await record(entryOf())) ?? journalKey;
  const result: RemediationResult = { ...plan, outcome, ...(error ? { error } : {}), ...(journalKey ? { journalKey } : {}) };
  if (deps.notifier) await deps.notifier.notify(remediationNotice(result, deps.noticePrefix), settle);
  return result;
}
