/**
 * The EventBridge events the `on-event` function reacts to, as zod schemas of their envelopes
 * (source, detail-type) and of the detail fields it reads. Shapes follow the AWS event references:
 * EC2 "EC2 Instance State-change Notification", "EC2 Spot Instance Interruption Warning",
 * "EC2 Instance Rebalance Recommendation", and Auto Scaling "EC2 Instance-launch/terminate
 * Lifecycle Action". Extra fields AWS may add are allowed and ignored.
 */
import * as z from 'zod/mini';
import type { InstanceState } from '../core/model.js';
import { isInstanceId } from '../core/validate.js';
import { safeParse } from '../input.js';

const instanceId = z.string().check(z.refine(isInstanceId, 'must be an instance ID (i-…)'));
const time = z.string().check(z.refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO 8601 timestamp'));
// The Auto Scaling API limits group and hook names to 1 to 255 characters.
const name255 = z.string().check(z.minLength(1), z.maxLength(255));

const envelope = <S extends string, D extends string, T extends z.ZodMiniType>(source: S, detailType: D, detail: T) =>
  z.object({
    version: z.string(),
    id: z.string().check(z.minLength(1)),
    source: z.literal(source),
    'detail-type': z.literal(detailType),
    account: z.string(),
    time,
    region: z.string(),
    resources: z.array(z.string()),
    detail,
  });

export const STATE_CHANGE = 'EC2 Instance State-change Notification';
export const SPOT_WARNING = 'EC2 Spot Instance Interruption Warning';
export const REBALANCE = 'EC2 Instance Rebalance Recommendation';
export const LAUNCH_LIFECYCLE = 'EC2 Instance-launch Lifecycle Action';
export const TERMINATE_LIFECYCLE = 'EC2 Instance-terminate Lifecycle Action';

const STATES = ['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated'] as const satisfies readonly InstanceState[];
const PLACES = z.enum(['EC2', 'AutoScalingGroup', 'WarmPool']);

export const StateChangeEvent = envelope('aws.ec2', STATE_CHANGE, z.object({ 'instance-id': instanceId, state: z.enum(STATES) }));
export const SpotWarningEvent = envelope(
  'aws.ec2',
  SPOT_WARNING,
  z.object({ 'instance-id': instanceId, 'instance-action': z.enum(['terminate', 'stop', 'hibernate']) }),
);
export const RebalanceEvent = envelope('aws.ec2', REBALANCE, z.object({ 'instance-id': instanceId }));

const lifecycleDetail = (transition: string) =>
  z.object({
    // CompleteLifecycleAction accepts exactly 36 characters (a UUID).
    LifecycleActionToken: z.string().check(z.length(36)),
    AutoScalingGroupName: name255,
    LifecycleHookName: name255,
    EC2InstanceId: instanceId,
    LifecycleTransition: z.literal(transition),
    NotificationMetadata: z.optional(z.string()),
    // Present since warm pools; older events and the plain-ASG examples may leave them out.
    Origin: z.optional(PLACES),
    Destination: z.optional(PLACES),
  });
export const LaunchLifecycleEvent = envelope('aws.autoscaling', LAUNCH_LIFECYCLE, lifecycleDetail('autoscaling:EC2_INSTANCE_LAUNCHING'));
export const TerminateLifecycleEvent = envelope('aws.autoscaling', TERMINATE_LIFECYCLE, lifecycleDetail('autoscaling:EC2_INSTANCE_TERMINATING'));

/** Identifies one pending lifecycle action, as CompleteLifecycleAction needs it. */
export interface LifecycleAction {
  readonly autoScalingGroupName: string;
  readonly lifecycleHookName: string;
  readonly token: string;
  readonly instanceId: string;
}

export type Place = z.infer<typeof PLACES>;

interface Common {
  /** The EventBridge event ID (the same on a duplicate delivery). */
  readonly id: string;
  /** When the event happened (epoch ms), from the envelope's `time`. */
  readonly time: number;
  readonly instanceId: string;
}

/** An event the function understands, reduced to what it acts on. */
export type ParsedEvent =
  | (Common & { readonly kind: 'state-change'; readonly state: InstanceState })
  | (Common & { readonly kind: 'spot-interruption'; readonly instanceAction: 'terminate' | 'stop' | 'hibernate' })
  | (Common & { readonly kind: 'rebalance' })
  | (Common & {
      readonly kind: 'lifecycle';
      readonly transition: 'launch' | 'terminate';
      readonly action: LifecycleAction;
      readonly origin?: Place;
      readonly destination?: Place;
    });

/** Why an event was not acted on: unknown, or malformed (with the first bad field). */
export interface Ignored {
  readonly ignored: string;
}

const Envelope = z.object({ source: z.string(), 'detail-type': z.string() });

const SCHEMAS: Readonly<Record<string, z.ZodMiniType>> = {
  [`aws.ec2/${STATE_CHANGE}`]: StateChangeEvent,
  [`aws.ec2/${SPOT_WARNING}`]: SpotWarningEvent,
  [`aws.ec2/${REBALANCE}`]: RebalanceEvent,
  [`aws.autoscaling/${LAUNCH_LIFECYCLE}`]: LaunchLifecycleEvent,
  [`aws.autoscaling/${TERMINATE_LIFECYCLE}`]: TerminateLifecycleEvent,
};

function firstIssue(error: z.core.$ZodError): string {
  const [issue] = error.issues;
  const path = issue?.path.length ? issue.path.map(String).join('.') : 'event';
  return `${path}: ${issue?.message ?? 'invalid'}`;
}

/** Validates an EventBridge event; never throws. */
export function parseEvent(event: unknown): ParsedEvent | Ignored {
  const head = safeParse(Envelope, event);
  if (!head.success) return { ignored: `not an EventBridge event (${firstIssue(head.error)})` };
  const source = head.data.source;
  const detailType = head.data['detail-type'];
  const schema = SCHEMAS[`${source}/${detailType}`];
  if (!schema) return { ignored: `unknown event: source '${source}', detail-type '${detailType}'` };
  const parsed = safeParse(schema, event);
  if (!parsed.success) return { ignored: `malformed '${detailType}' event: ${firstIssue(parsed.error)}` };
  return reduce(parsed.data as Valid);
}

type Valid =
  | z.infer<typeof StateChangeEvent>
  | z.infer<typeof SpotWarningEvent>
  | z.infer<typeof RebalanceEvent>
  | z.infer<typeof LaunchLifecycleEvent>
  | z.infer<typeof TerminateLifecycleEvent>;

function reduce(event: Valid): ParsedEvent {
  const common = { id: event.id, time: Date.parse(event.time) };
  switch (event['detail-type']) {
    case STATE_CHANGE:
      return { ...common, kind: 'state-change', instanceId: event.detail['instance-id'], state: event.detail.state };
    case SPOT_WARNING:
      return { ...common, kind: 'spot-interruption', instanceId: event.detail['instance-id'], instanceAction: event.detail['instance-action'] };
    case REBALANCE:
      return { ...common, kind: 'rebalance', instanceId: event.detail['instance-id'] };
    case LAUNCH_LIFECYCLE:
    case TERMINATE_LIFECYCLE: {
      const d = event.detail;
      return {
        ...common,
        kind: 'lifecycle',
        transition: event['detail-type'] === LAUNCH_LIFECYCLE ? 'launch' : 'terminate',
        instanceId: d.EC2InstanceId,
        action: { autoScalingGroupName: d.AutoScalingGroupName, lifecycleHookName: d.LifecycleHookName, token: d.LifecycleActionToken, instanceId: d.EC2InstanceId },
        ...(d.Origin ? { origin: d.Origin } : {}),
        ...(d.Destination ? { destination: d.Destination } : {}),
      };
    }
  }
}

export const isIgnored = (value: ParsedEvent | Ignored): value is Ignored => 'ignored' in value;
