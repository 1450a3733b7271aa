/**
 * What to do about one event, decided from the event AND the current snapshot: EventBridge
 * delivers at least once and in no guaranteed order, so the instance's state as observed now is
 * what counts. An event whose news the snapshot contradicts (a `stopping` for an instance that is
 * running again) is stale and does nothing.
 */
import type { Intent } from '../core/decide.js';
import type { Instance, InstanceState, WorldSnapshot } from '../core/model.js';
import type { Ec2Action } from '../core/ports.js';
import { TAG } from '../core/tags.js';
import type { LifecycleAction, ParsedEvent } from './schemas.js';

/** A Spot instance is interrupted two minutes after the warning; after that (plus slack) a running instance means the warning is old news. */
export const SPOT_NOTICE_MS = 120_000;
export const SPOT_SLACK_MS = 60_000;

export type Reaction =
  /** Nothing to do; `level` says how loudly to log it. */
  | { readonly do: 'ignore'; readonly level: 'debug' | 'info' | 'warn'; readonly reason: string }
  /** Run the engine for the instance's group; then, if `complete` is set, finish the lifecycle action once the instance holds nothing. */
  | { readonly do: 'run'; readonly group: string; readonly intent: Intent; readonly reason: string; readonly complete?: LifecycleAction }
  /** Apply `prepare` (best effort), then finish the lifecycle action with CONTINUE. */
  | { readonly do: 'complete'; readonly prepare: readonly Ec2Action[]; readonly complete: LifecycleAction; readonly reason: string };

const GOING: ReadonlySet<InstanceState> = new Set(['stopping', 'shutting-down']);
const DOWN: ReadonlySet<InstanceState> = new Set(['stopping', 'shutting-down', 'stopped', 'terminated']);
const GONE: ReadonlySet<InstanceState> = new Set(['stopped', 'terminated']);
/** Kinds whose members forward traffic for others, so their source/dest check must be off. */
const FORWARDING: ReadonlySet<string> = new Set(['nat', 'overlay']);

const evacuate = (instanceId: string): Intent => ({ type: 'evacuate', instanceId });
const reconcile: Intent = { type: 'reconcile' };

function primaryEni(instance: Instance) {
  return instance.networkInterfaces.find((eni) => eni.deviceIndex === 0) ?? instance.networkInterfaces[0];
}

/** Plans the reaction to `event` given the world as observed after it arrived. Pure. */
export function react(event: ParsedEvent, world: WorldSnapshot, now: number): Reaction {
  const instance = world.instances.find((i) => i.instanceId === event.instanceId);
  const lifecycle = event.kind === 'lifecycle' ? event.action : undefined;
  // The observe only returns instances tagged failover:group, so absence means "not enrolled"
  // (or terminated long enough ago that EC2 forgot it).
  if (!instance) {
    if (lifecycle) return { do: 'complete', prepare: [], complete: lifecycle, reason: `${event.instanceId} is not enrolled: nothing to move` };
    return { do: 'ignore', level: 'debug', reason: `${event.instanceId} is not enrolled (no ${TAG.group} tag)` };
  }
  const group = instance.tags[TAG.group]?.trim() ?? '';
  const current = instance.state;
  if (group === '') {
    if (lifecycle) return { do: 'complete', prepare: [], complete: lifecycle, reason: `${event.instanceId} has an empty ${TAG.group} tag: nothing to move` };
    return { do: 'ignore', level: 'warn', reason: `${event.instanceId} has an empty ${TAG.group} tag` };
  }
  const run = (intent: Intent, reason: string, complete?: LifecycleAction): Reaction => ({
    do: 'run',
    group,
    intent,
    reason,
    ...(complete ? { complete } : {}),
  });
  const stale = (why: string): Reaction => ({ do: 'ignore', level: 'info', reason: `stale ${why}: ${event.instanceId} is ${current} now` });

  switch (event.kind) {
    case 'state-change': {
      const said = event.state;
      if (said === 'pending') return { do: 'ignore', level: 'debug', reason: `${event.instanceId} is pending: not a candidate before it runs` };
      if (said === 'running') {
        if (current !== 'running') return stale("'running' event");
        return run(reconcile, `${event.instanceId} is running: reconcile (failback per the group's policy once healthy)`);
      }
      if (!DOWN.has(current)) return stale(`'${said}' event`);
      if (GOING.has(said)) return run(evacuate(event.instanceId), `${event.instanceId} is ${said}: move off it now`);
      return run(reconcile, `${event.instanceId} is ${said}: repair anything still pointing at it`);
    }
    case 'spot-interruption':
    case 'rebalance': {
      const what = event.kind === 'rebalance' ? 'rebalance recommendation' : `Spot interruption warning (${event.instanceAction})`;
      if (GONE.has(current)) return run(reconcile, `${what} for ${event.instanceId}, already ${current}: repair`);
      if (event.kind === 'spot-interruption' && current === 'running' && now > event.time + SPOT_NOTICE_MS + SPOT_SLACK_MS) {
        return stale(`${what} from ${new Date(event.time).toISOString()}, past its interruption time`);
      }
      return run(evacuate(event.instanceId), `${what} for ${event.instanceId}: move off it pre-emptively`);
    }
    case 'lifecycle': {
      const action = event.action;
      if (event.transition === 'terminate') {
        const where = event.destination === 'WarmPool' ? 'back to the warm pool' : 'terminating';
        if (DOWN.has(current)) return run(reconcile, `${event.instanceId} is ${where} and already ${current}: repair`, action);
        return run(evacuate(event.instanceId), `${event.instanceId} is ${where} (lifecycle hook ${action.lifecycleHookName}): move off it first`, action);
      }
      const kind = instance.tags[TAG.kind]?.trim() ?? '';
      const eni = primaryEni(instance);
      const into = event.destination === 'WarmPool' ? 'into the warm pool' : 'into service';
      if (!FORWARDING.has(kind) || !eni || !eni.sourceDestCheck) {
        const why = !FORWARDING.has(kind) ? `a ${kind || 'untyped'} member needs no preparation` : 'source/dest check already off';
        return { do: 'complete', prepare: [], complete: action, reason: `${event.instanceId} launching ${into}: ${why}` };
      }
      // The attribute lives on the ENI and survives stop/start, so a warm-pool instance is ready when it enters service.
      return {
        do: 'complete',
        prepare: [{ type: 'disable-source-dest-check', networkInterfaceId: eni.networkInterfaceId, instanceId: event.instanceId }],
        complete: action,
        reason: `${event.instanceId} launching ${into}: disable source/dest check so it can take routes once healthy`,
      };
    }
  }
}
