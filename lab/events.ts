/**
 * EventBridge for the lab: the "EC2 Instance State-change Notification" envelope, built in the
 * documented shape (test/events/aws.ec2/*.json), and a bridge that turns the simulated EC2's state
 * changes into deliveries to the on-event handler, a little later, as EventBridge does.
 */
import type { InstanceState } from '../shared/core/model.js';
import { isInstanceId } from '../shared/core/validate.js';
import { STATE_CHANGE } from '../shared/events/schemas.js';
import type { Clock } from '../shared/core/ports.js';
import type { VpcWorld, WorldChange } from '../sim/world.js';
import { LabError } from './errors.js';

export interface StateChangeInput {
  readonly instanceId: string;
  readonly state: InstanceState;
  /** When the change happened (epoch ms); EventBridge reports it to the second. */
  readonly at: number;
  /** The event ID (a UUID in AWS). */
  readonly id: string;
  readonly region: string;
  readonly account: string;
}

/** The envelope EventBridge delivers for an EC2 instance state change. */
export interface StateChangeEnvelope {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': typeof STATE_CHANGE;
  readonly source: 'aws.ec2';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: { readonly 'instance-id': string; readonly state: InstanceState };
}

/** @throws LabError for a value EC2 could not have sent (the handler would refuse it anyway). */
export function stateChangeEvent(input: StateChangeInput): StateChangeEnvelope {
  if (!isInstanceId(input.instanceId)) throw new LabError(`not an instance ID: '${input.instanceId}'`, { context: { field: 'instanceId' } });
  if (!/^\d{12}$/.test(input.account)) throw new LabError(`not an account ID: '${input.account}'`, { context: { field: 'account' } });
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(input.region)) throw new LabError(`not a region: '${input.region}'`, { context: { field: 'region' } });
  const time = new Date(Math.floor(input.at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    version: '0',
    id: input.id,
    'detail-type': STATE_CHANGE,
    source: 'aws.ec2',
    account: input.account,
    time,
    region: input.region,
    resources: [`arn:aws:ec2:${input.region}:${input.account}:instance/${input.instanceId}`],
    detail: { 'instance-id': input.instanceId, state: input.state },
  };
}

/** One delivery the bridge made, with what the handler answered (or how it failed). */
export interface Delivery {
  readonly event: StateChangeEnvelope;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly result?: unknown;
  readonly error?: string;
}

export interface BridgeOptions {
  /** How long after the change the handler is invoked. AWS publishes no figure ("near real time"). */
  readonly delayMs: number;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly onDelivered?: (delivery: Delivery) => void;
  /** When each copy of an event is delivered, from `delayMs`: none (lost), one, or more (duplicated, late). Default: once, after `delayMs`. */
  readonly fate?: (delayMs: number) => readonly number[];
}

/**
 * Delivers every instance state change of `world` to `deliver` after `delayMs`, each in its own
 * invocation (concurrent, as Lambda runs async invocations).
 */
export function eventBridge(world: VpcWorld, deliver: (event: StateChangeEnvelope) => Promise<unknown>, options: BridgeOptions) {
  const deliveries: Delivery[] = [];
  const pending = new Set<Promise<void>>();
  let open = true;
  const unsubscribe = world.onChange((change: WorldChange) => {
    if (change.kind !== 'instance-state' || !open) return;
    const event = stateChangeEvent({
      instanceId: change.instanceId,
      state: change.to,
      at: world.now(),
      id: options.newId(),
      region: world.options.region,
      account: world.options.accountId,
    });
    for (const delayMs of options.fate?.(options.delayMs) ?? [options.delayMs]) {
      const work = options.clock.sleep(delayMs).then(async () => {
        if (!open) return;
        const sentAt = options.clock.now();
        const outcome = await deliver(event).then(
          (result) => ({ result }),
          (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
        );
        const delivery: Delivery = { event, sentAt, doneAt: options.clock.now(), ...outcome };
        deliveries.push(delivery);
        options.onDelivered?.(delivery);
      });
      pending.add(work);
      void work.finally(() => pending.delete(work));
    }
  });
  return {
    deliveries,
    /** Resolves once every delivery under way or waiting for its delay has been made. */
    async idle(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    /** Stops listening; deliveries still waiting for their delay are dropped. */
    async close(): Promise<void> {
      open = false;
      unsubscribe();
      await Promise.all([...pending]);
    },
  };
}

export type EventBridge = ReturnType<typeof eventBridge>;
