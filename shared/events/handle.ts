/**
 * The `on-event` flow: validate, observe once, decide the reaction from the current snapshot, run
 * it through the shared engine (lease, journal), and finish a lifecycle action when one waits.
 *
 * Latency: between the handler's start and the switch call there are two sequential round trips,
 * the observe batch and the lease's UpdateItem; nothing else is put in front of them.
 */
import type { LifecyclePort } from '../aws/autoscaling.js';
import type { FailoverEngine, GroupResult, Log } from '../core/engine.js';
import type { Clock, Ec2Port } from '../core/ports.js';
import { describeAction } from '../core/apply.js';
import { retry } from '../core/retry.js';
import { FailoverError } from '../errors.js';
import { react } from './react.js';
import { type LifecycleAction, type ParsedEvent, isIgnored, parseEvent } from './schemas.js';

export interface EventDeps {
  readonly engine: Pick<FailoverEngine, 'observe' | 'run'>;
  /** For the launch preparation (disable source/dest check) outside any group move. */
  readonly ec2: Pick<Ec2Port, 'apply'>;
  readonly lifecycle: LifecyclePort;
  readonly clock: Clock;
  readonly log: Log;
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

const summary = (r: GroupResult) => ({ group: r.group, outcome: r.outcome, reason: r.reason });

/**
 * Handles one EventBridge event. Unknown and malformed events are logged and answered with a
 * result, never thrown. Throws only a retriable FailoverError (AWS still throttling at the
 * deadline, the group's lease busy throughout) so Lambda's bounded async retries try again.
 */
export async function handleEvent(raw: unknown, deps: EventDeps, deadline: number): Promise<EventResult> {
  const { engine, clock, log } = deps;
  const parsed = parseEvent(raw);
  if (isIgnored(parsed)) {
    log.warn('event ignored, no action', { reason: parsed.ignored });
    return { action: 'ignore', reason: parsed.ignored, groups: [] };
  }
  const event = { id: parsed.id, kind: parsed.kind, instanceId: parsed.instanceId };
  const world = await engine.observe(deadline);
  const reaction = react(parsed, world, clock.now());
  const ageMs = clock.now() - parsed.time;

  if (reaction.do === 'ignore') {
    log[reaction.level]('event ignored, no action', { event, ageMs, reason: reaction.reason });
    return { event, action: 'ignore', reason: reaction.reason, groups: [] };
  }

  if (reaction.do === 'complete') {
    for (const action of reaction.prepare) {
      // Best effort: the engine disables the check again before it routes to this node.
      await retry(() => deps.ec2.apply(action), { clock, deadline }).catch((error: unknown) => {
        if (!(error instanceof FailoverError)) throw error;
        log.warn('launch preparation failed; completing anyway', { event, action: describeAction(action), error: error.message });
      });
    }
    const lifecycle = await complete(deps, reaction.complete, deadline);
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
      deadline: reaction.complete ? deadline - COMPLETE_RESERVE_MS : deadline,
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
    lifecycle = stillHolds ? 'held' : await complete(deps, reaction.complete, deadline);
  }
  const level = results.some((r) => r.outcome === 'failed' || r.outcome === 'partial' || r.outcome === 'refused') || lifecycle === 'held' ? 'warn' : 'info';
  log[level]('event handled', { event, ageMs, intent, reason, groups, lifecycle });
  return { event, action: intent.type === 'evacuate' ? 'evacuate' : 'reconcile', reason, groups, ...(lifecycle ? { lifecycle } : {}) };
}

async function complete(deps: EventDeps, action: LifecycleAction, deadline: number): Promise<'completed' | 'already-completed' | 'failed'> {
  try {
    return await retry(() => deps.lifecycle.complete(action, 'CONTINUE'), {
      clock: deps.clock,
      deadline,
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
