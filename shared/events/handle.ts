/**
 * The `on-event` flow: validate, check the instance is enrolled (from memory while it is fresh, or
 * one DescribeInstances), observe once (with the probe's recent verdicts beside it), decide the
 * reaction from the current snapshot, run it through the shared engine (lease, journal), and
 * finish a lifecycle action when one waits.
 *
 * EventBridge cannot filter by tag, so the function sees every state change in the region: an
 * event about an instance that is not enrolled costs no call while the execution environment
 * remembers the enrolled instances (ENROLLMENT_MAX_AGE_MS), and one DescribeInstances otherwise.
 *
 * Latency: the group's lease is taken while the world is observed, so the switch call follows one
 * round trip (observe ‖ lease) in a warm execution environment, two after a cold start (the
 * enrollment read first).
 */
import type { LifecyclePort } from '../aws/autoscaling.js';
import type { FailoverEngine, GroupResult, Log } from '../core/engine.js';
import type { CallOptions, Clock, Ec2Port } from '../core/ports.js';
import type { ProbeVerdicts } from '../core/status.js';
import { TAG } from '../core/tags.js';
import { describeAction } from '../core/apply.js';
import { retry } from '../core/retry.js';
import { FailoverError } from '../errors.js';
import { react } from './react.js';
import { type LifecycleAction, type ParsedEvent, isIgnored, parseEvent } from './schemas.js';

export interface EventDeps {
  readonly engine: Pick<FailoverEngine, 'observe' | 'run' | 'lease' | 'release'>;
  /** Enrollment, and the launch preparation (disable source/dest check) outside any group move. */
  readonly ec2: Pick<Ec2Port, 'apply' | 'enrollment'>;
  readonly lifecycle: LifecyclePort;
  readonly clock: Clock;
  readonly log: Log;
  /**
   * The probe's recent verdicts (the state table): a member the probe judged down is no target,
   * though EC2 reports it ok (a hung OS passes its status checks). Absent: EC2's view alone.
   */
  readonly probes?: (options?: CallOptions) => Promise<ProbeVerdicts | undefined>;
}

export interface EventResult {
  readonly event?: { readonly id: string; readonly kind: ParsedEvent['kind']; readonly instanceId: string };
  readonly action: 'ignore' | 'evacuate' | 'reconcile' | 'prepare';
  readonly reason: string;
  readonly groups: readonly Pick<GroupResult, 'group' | 'outcome' | 'reason'>[];
  /** What became of the lifecycle action: `held` leaves it to the hook's heartbeat timeout. */
  readonly lifecycle?: 'completed' | 'already-completed' | 'held' | 'failed';
}

/** Time kept back from the engine so a lifecycle action can still be completed before the deadline. */
export const COMPLETE_RESERVE_MS = 3_000;

/**
 * How long the enrolled instances read by one invocation answer "not enrolled" for the next ones.
 * An instance tagged within this window can have an event ignored; the probe's reconcile still
 * sees it at its next observe (within 30 s in fast mode, a minute in economy mode).
 */
export const ENROLLMENT_MAX_AGE_MS = 60_000;

/**
 * Events of enrolled instances are rare and may move traffic, so their group's lease is taken
 * while the world is observed: an extra lease write when nothing moves is cheaper than a round
 * trip in front of every switch. Only a launch hook never runs the engine.
 */
const mayMove = (event: ParsedEvent): boolean => !(event.kind === 'lifecycle' && event.transition === 'launch');

const summary = (r: GroupResult) => ({ group: r.group, outcome: r.outcome, reason: r.reason });

/**
 * Handles one EventBridge event. Unknown and malformed events are logged and answered with a
 * result, never thrown. Throws only a retriable FailoverError (AWS still throttling at the
 * deadline, the group's lease busy throughout) so Lambda's bounded async retries try again.
 */
export async function handleEvent(raw: unknown, deps: EventDeps, deadline: number, budget: { signal?: AbortSignal; settle?: AbortSignal } = {}): Promise<EventResult> {
  const call: CallOptions = budget.signal ? { signal: budget.signal } : {};
  const { engine, clock, log } = deps;
  const parsed = parseEvent(raw);
  if (isIgnored(parsed)) {
    log.warn('event ignored, no action', { reason: parsed.ignored });
    return { action: 'ignore', reason: parsed.ignored, groups: [] };
  }
  const event = { id: parsed.id, kind: parsed.kind, instanceId: parsed.instanceId };
  const ageMs = clock.now() - parsed.time;
  const enrollment = await retry(() => deps.ec2.enrollment(ENROLLMENT_MAX_AGE_MS, call), { clock, deadline, ...call });
  const group = enrollment.groups.get(parsed.instanceId)?.trim();
  if (group === undefined && parsed.kind !== 'lifecycle') {
    const reason = `${parsed.instanceId} is not enrolled (no ${TAG.group} tag)`;
    log.debug('event ignored, no action', { event, ageMs, reason });
    return { event, action: 'ignore', reason, groups: [] };
  }

  const early = group && mayMove(parsed);
  // The probe's verdicts are read beside the observe and the lease: no round trip of their own.
  const [world, grant, probes] = await Promise.all([
    engine.observe(deadline, call),
    early ? engine.lease(group, deadline, call) : undefined,
    early && deps.probes ? deps.probes(call) : undefined,
  ]);
  const reaction = react(parsed, world, clock.now());
  if (grant && (reaction.do !== 'run' || reaction.group !== grant.group)) await engine.release(grant);

  if (reaction.do === 'ignore') {
    log[reaction.level]('event ignored, no action', { event, ageMs, reason: reaction.reason });
    return { event, action: 'ignore', reason: reaction.reason, groups: [] };
  }

  if (reaction.do === 'complete') {
    for (const action of reaction.prepare) {
      // Best effort: the engine disables the check again before it routes to this node.
      await retry(() => deps.ec2.apply(action, call), { clock, deadline, ...call }).catch((error: unknown) => {
        if (!(error instanceof FailoverError)) throw error;
        log.warn('launch preparation failed; completing anyway', { event, action: describeAction(action), error: error.message });
      });
    }
    const lifecycle = await complete(deps, reaction.complete, deadline, call);
    log.info('lifecycle action handled', { event, ageMs, reason: reaction.reason, lifecycle });
    return { event, action: 'prepare', reason: reaction.reason, groups: [], lifecycle };
  }

  const intent = reaction.intent;
  let results: GroupResult[] = [];
  let reason = reaction.reason;
  try {
    results = await engine.run({
      intent,
      trigger: 'event',
      group: reaction.group,
      reason: `${parsed.kind} event ${parsed.id}`,
      snapshot: world,
      ...(probes ? { probes: probes.verdicts, probeReasons: probes.reasons } : {}),
      ...(grant && reaction.group === grant.group ? { grant } : {}),
      deadline: reaction.complete ? deadline - COMPLETE_RESERVE_MS : deadline,
      ...call,
      ...(budget.settle ? { settle: budget.settle } : {}),
    });
  } catch (error) {
    if (!(error instanceof FailoverError) || error.retriable) throw error;
    reason = `${reason}; ${error.message}`;
  }
  const groups = results.map(summary);
  const busy = results.filter((r) => r.outcome === 'busy');
  if (busy.length > 0) {
    throw new FailoverError(`lease of ${busy.map((r) => r.group).join(', ')} busy until the deadline; retry the event`, {
      context: { instanceId: parsed.instanceId, event: parsed.id },
      retriable: true,
    });
  }
  let lifecycle: EventResult['lifecycle'];
  if (reaction.complete) {
    // Terminating a node that still carries traffic would cut it off: keep it in Terminating:Wait
    // (the hook's heartbeat timeout still bounds the wait) until something healthy can take over.
    const stillHolds = results.some((r) => r.after.some((h) => h.holder === parsed.instanceId));
    lifecycle = stillHolds ? 'held' : await complete(deps, reaction.complete, deadline, call);
  }
  const level = results.some((r) => r.outcome === 'failed' || r.outcome === 'partial' || r.outcome === 'refused') || lifecycle === 'held' ? 'warn' : 'info';
  log[level]('event handled', { event, ageMs, intent, reason, groups, lifecycle });
  return { event, action: intent.type === 'evacuate' ? 'evacuate' : 'reconcile', reason, groups, ...(lifecycle ? { lifecycle } : {}) };
}

async function complete(deps: EventDeps, action: LifecycleAction, deadline: number, call: CallOptions): Promise<'completed' | 'already-completed' | 'failed'> {
  try {
    return await retry(() => deps.lifecycle.complete(action, 'CONTINUE', call), {
      clock: deps.clock,
      deadline,
      ...call,
      onRetry: (error, attempt) => deps.log.warn('retrying CompleteLifecycleAction', { attempt, error: error.message }),
    });
  } catch (error) {
    if (!(error instanceof FailoverError)) throw error;
    // Retriable failures go back to Lambda for another attempt; a refusal stays with the hook's timeout.
    if (error.retriable) throw error;
    deps.log.error('CompleteLifecycleAction failed; the hook timeout will finish it', { action, error: error.message });
    return 'failed';
  }
}
