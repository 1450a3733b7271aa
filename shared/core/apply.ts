/**
 * Apply and verify: run a plan's actions through the ports, then read back until the world shows them.
 * EC2 changes are ordered (source/dest check, then switches); OS-side changes follow the switch they serve.
 */
import { FailoverError } from '../errors.js';
import type { Action } from './model.js';
import { type Ec2Pacer, createEc2Pacer, isThrottling } from './pace.js';
import type { Clock, Ec2Action, Ec2Port, HostAction, HostPort, ReadBack } from './ports.js';
import { mapLimit, retry } from './retry.js';
import { destinationText, reaches, sameDestination, targetText } from './routes.js';
import { activateIpScript, deactivateIpScript } from './scripts.js';

export interface ActionReport {
  readonly summary: string;
  readonly status: 'applied' | 'failed' | 'skipped';
  readonly error?: string;
}

export interface ApplyDeps {
  readonly ec2: Ec2Port;
  readonly host: HostPort;
  readonly clock: Clock;
  /**
   * EC2's request buckets as this execution environment has spent them; share one across runs.
   * Without it each apply starts from full buckets.
   */
  readonly pacer?: Ec2Pacer;
}

/** Why an action was skipped when the run's deadline came before EC2's rate limit let it start. */
export const LEFT_FOR_NEXT_RUN = 'not started before the deadline: left for the next run';

export interface ApplyOptions {
  /** No new attempt starts after this (epoch ms). */
  readonly deadline: number;
  /**
   * By when OS-side commands must be done. An old holder that hangs would otherwise keep its
   * deactivation (and the caller) waiting until `deadline`; the switch itself never waits for it.
   */
  readonly hostDeadline?: number;
  readonly concurrency: number;
  /** Aborts the AWS calls still in flight at the run's deadline. */
  readonly signal?: AbortSignal;
  readonly onRetry?: (summary: string, error: FailoverError, attempt: number) => void;
}

/** One line per action, for the journal and the operator. */
export function describeAction(action: Action): string {
  switch (action.type) {
    case 'assign-private-ip':
      return `assign ${action.ip} to ${action.networkInterfaceId} (${action.instanceId})`;
    case 'activate-ip':
      return `bring ${action.ip} up on ${action.instanceId}`;
    case 'deactivate-ip':
      return `take ${action.ip} down on ${action.instanceId}`;
    case 'associate-address':
      return `associate ${action.allocationId} with ${action.target.networkInterfaceId} (${action.target.instanceId})`;
    case 'replace-route':
    case 'create-route':
      return `${action.type === 'create-route' ? 'create' : 'replace'} ${destinationText(action.destination)} in ${action.routeTableId} via ${targetText(action.target)}`;
    case 'disable-source-dest-check':
      return `disable source/dest check on ${action.networkInterfaceId} (${action.instanceId})`;
    case 'reboot-instance':
      return `reboot ${action.instanceId}`;
    case 'stop-instance':
      return `${action.force ? 'force-stop' : 'stop'} ${action.instanceId}`;
    case 'start-instance':
      return `start ${action.instanceId}`;
    case 'terminate-instance':
      return `terminate ${action.instanceId} through its Auto Scaling group, which launches a replacement`;
  }
}

/** Names what the deadline cut short, by route table where there are tables, so the journal says what the next run finishes. */
export function leftBehindNote(actions: readonly Action[]): string[] {
  if (actions.length === 0) return [];
  const tables = [...new Set(actions.flatMap((a) => (a.type === 'replace-route' || a.type === 'create-route' ? [a.routeTableId] : [])))];
  const others = actions.filter((a) => a.type !== 'replace-route' && a.type !== 'create-route').map(describeAction);
  const parts = [...(tables.length > 0 ? [`${tables.length} route table${tables.length === 1 ? '' : 's'} (${tables.join(', ')})`] : []), ...others];
  return [`left for the next run, the deadline came first: ${parts.join('; ')}`];
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const isHost = (a: Action): a is HostAction => a.type === 'activate-ip' || a.type === 'deactivate-ip';
const targetEni = (a: Action): string | undefined =>
  a.type === 'assign-private-ip' || a.type === 'disable-source-dest-check' ? a.networkInterfaceId : 'target' in a && a.target.kind !== 'nat-gateway' ? a.target.networkInterfaceId : undefined;

/**
 * One EC2 mutation, paced to EC2's bucket and retried against the deadline. `left`: the bucket did
 * not let it start before the deadline, or EC2 kept throttling it until then; the next run does it.
 */
async function pacedCall(action: Ec2Action, deps: ApplyDeps, pacer: Ec2Pacer, options: ApplyOptions): Promise<'applied' | 'left' | FailoverError> {
  const { clock } = deps;
  const call = options.signal ? { signal: options.signal } : {};
  const firstWait = pacer.reserve(action, clock.now());
  // A call that may go now goes, as it always did; one that must wait for a token past the deadline does not.
  if (firstWait > 0 && clock.now() + firstWait >= options.deadline) {
    pacer.refund(action, clock.now());
    return 'left';
  }
  let throttle: FailoverError | undefined;
  const attempt = async (n: number): Promise<void> => {
    const wait = n === 1 ? firstWait : pacer.reserve(action, clock.now());
    if (n > 1 && throttle && clock.now() + wait >= options.deadline) {
      pacer.refund(action, clock.now());
      throw throttle;
    }
    if (wait > 0) await clock.sleep(wait);
    try {
      await deps.ec2.apply(action, call);
      pacer.succeeded(action, clock.now());
    } catch (error) {
      throttle = isThrottling(error) ? (error as FailoverError) : undefined;
      if (throttle) pacer.throttled(action, clock.now());
      throw error;
    }
  };
  try {
    await retry(attempt, {
      clock,
      deadline: options.deadline,
      ...call,
      // Throttling is expected when other tools share the bucket: only the deadline ends it.
      untilDeadline: isThrottling,
      onRetry: (error, n) => options.onRetry?.(describeAction(action), error, n),
    });
    return 'applied';
  } catch (error) {
    if (!(error instanceof FailoverError)) throw error;
    // Throttling ends only at the deadline (or the run's abort): the call is left for the next run, not failed.
    return isThrottling(error) ? 'left' : error;
  }
}

/** Applies a plan. Never throws for an AWS failure: each action reports its own outcome. */
export async function applyActions(actions: readonly Action[], deps: ApplyDeps, options: ApplyOptions): Promise<ActionReport[]> {
  const reports = new Map<Action, ActionReport>();
  const call = options.signal ? { signal: options.signal } : {};
  const pacer = deps.pacer ?? createEc2Pacer(deps.clock.now());
  const runEc2 = async (action: Ec2Action): Promise<void> => {
    const outcome = await pacedCall(action, deps, pacer, options);
    if (outcome === 'applied') reports.set(action, { summary: describeAction(action), status: 'applied' });
    else if (outcome === 'left') skip(action, LEFT_FOR_NEXT_RUN);
    else reports.set(action, { summary: describeAction(action), status: 'failed', error: message(outcome) });
  };
  const skip = (action: Action, why: string) => reports.set(action, { summary: describeAction(action), status: 'skipped', error: why });

  const prereqs = actions.filter((a): a is Extract<Ec2Action, { type: 'disable-source-dest-check' }> => a.type === 'disable-source-dest-check');
  await mapLimit(prereqs, options.concurrency, runEc2);
  const blocked = new Set(prereqs.filter((a) => reports.get(a)?.status !== 'applied').map((a) => a.networkInterfaceId));

  const switches = actions.filter((a): a is Ec2Action => !isHost(a) && a.type !== 'disable-source-dest-check');
  await mapLimit(switches, options.concurrency, async (action) => {
    const eni = targetEni(action);
    if (eni !== undefined && blocked.has(eni)) return skip(action, `source/dest check on ${eni} is still on`);
    return runEc2(action);
  });

  // Bringing an address up only makes sense where it was assigned; a repair without an assignment is the
  // address already on that ENI.
  const unassigned = new Set(
    switches.filter((a) => a.type === 'assign-private-ip' && reports.get(a)?.status !== 'applied').map((a) => (a as { instanceId: string }).instanceId),
  );
  const hostActions = actions.filter(isHost);
  await Promise.all(
    hostActions.map(async (action) => {
      if (action.type === 'activate-ip' && unassigned.has(action.instanceId)) return skip(action, 'the address was not assigned');
      const script = action.type === 'activate-ip' ? activateIpScript(action) : deactivateIpScript(action);
      try {
        const [result] = await deps.host.run([action.instanceId], script, Math.min(options.deadline, options.hostDeadline ?? options.deadline), call);
        const ok = result?.status === 'success';
        reports.set(action, {
          summary: describeAction(action),
          status: ok ? 'applied' : 'failed',
          ...(ok ? {} : { error: `${result?.status ?? 'no result'}${result?.stderr ? `: ${result.stderr.trim().slice(0, 300)}` : ''}` }),
        });
      } catch (error) {
        if (!(error instanceof FailoverError)) throw error;
        reports.set(action, { summary: describeAction(action), status: 'failed', error: message(error) });
      }
    }),
  );
  return actions.map((a) => reports.get(a) ?? { summary: describeAction(a), status: 'skipped' });
}

/** Whether the readback shows the action's effect. Host actions and prerequisites are not read back. */
export function isVisible(action: Action, view: ReadBack): boolean {
  switch (action.type) {
    case 'assign-private-ip':
      return view.interfaces[action.networkInterfaceId]?.includes(action.ip) ?? false;
    case 'associate-address': {
      const association = view.addresses.find((a) => a.allocationId === action.allocationId)?.association;
      return association?.networkInterfaceId === action.target.networkInterfaceId;
    }
    case 'replace-route':
    case 'create-route': {
      const route = view.routeTables.find((t) => t.routeTableId === action.routeTableId)?.routes.find((r) => sameDestination(r.destination, action.destination));
      return route !== undefined && reaches(route.target, action.target) && route.state === 'active';
    }
    default:
      return true;
  }
}

export interface Verification {
  readonly verified: boolean;
  /** Actions still not visible at the deadline. */
  readonly pending: readonly string[];
  readonly readBacks: number;
}

/**
 * Polls until every applied switch is visible (AssignPrivateIpAddresses is asynchronous), or the deadline.
 * A readback that fails is retried on the next poll: not seeing is not failing.
 */
export async function verifyActions(
  applied: readonly Action[],
  deps: Pick<ApplyDeps, 'ec2' | 'clock'>,
  options: { deadline: number; intervalMs: number; signal?: AbortSignal },
): Promise<Verification> {
  let pending = applied.filter((a) => a.type === 'assign-private-ip' || a.type === 'associate-address' || a.type === 'replace-route' || a.type === 'create-route');
  let readBacks = 0;
  while (pending.length > 0) {
    const query = {
      networkInterfaceIds: [...new Set(pending.flatMap((a) => (a.type === 'assign-private-ip' ? [a.networkInterfaceId] : [])))],
      routeTableIds: [...new Set(pending.flatMap((a) => (a.type === 'replace-route' || a.type === 'create-route' ? [a.routeTableId] : [])))],
      allocationIds: [...new Set(pending.flatMap((a) => (a.type === 'associate-address' ? [a.allocationId] : [])))],
    };
    try {
      readBacks++;
      const view = await deps.ec2.readBack(query, options.signal ? { signal: options.signal } : {});
      pending = pending.filter((a) => !isVisible(a, view));
    } catch (error) {
      if (!(error instanceof FailoverError)) throw error;
    }
    if (pending.length === 0 || deps.clock.now() + options.intervalMs > options.deadline || options.signal?.aborted) break;
    await deps.clock.sleep(options.intervalMs);
  }
  return { verified: pending.length === 0, pending: pending.map(describeAction), readBacks };
}
