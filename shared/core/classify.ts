/**
 * What remediation an instance can take, judged from what DescribeInstances already says about it
 * (its purchase option, its root device, its Auto Scaling group), and what a start that fell back
 * to `stopped` most likely means. Pure functions; see docs/operations.md ("Remediation").
 */
import type { Instance, StateReason } from './model.js';

/** The type of a Spot request (DescribeSpotInstanceRequests `Type`). */
export type SpotRequestType = 'one-time' | 'persistent';

/**
 * Whether a stop-start may be applied. When it may not, a reboot is done instead: every class
 * below allows one, and it keeps the node, its disks and its group membership.
 */
export type StopStartVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly fallback: 'reboot';
      readonly why: string;
      /** A Spot request whose type is not known yet: a persistent one would allow the stop-start. */
      readonly spotRequestToCheck?: string;
    };

const reboot = (why: string) => ({ ok: false, fallback: 'reboot', why }) as const;

/**
 * @param spotTypes Spot request types looked up for this run, by request ID. A Spot instance whose
 *   request type is not among them is not stopped (conservative: a one-time request cannot be).
 */
export function stopStartAllowed(instance: Instance, spotTypes: Readonly<Record<string, SpotRequestType>> = {}): StopStartVerdict {
  if (instance.rootDeviceType === 'instance-store') {
    return reboot('its root device is instance store: EC2 cannot stop it, and stopping would lose its instance-store data');
  }
  if (instance.autoScalingGroup !== undefined) {
    return reboot(`it is in Auto Scaling group ${instance.autoScalingGroup}: a stopped member fails the group's health check, and the group terminates and replaces it`);
  }
  switch (instance.lifecycle ?? 'on-demand') {
    case 'on-demand':
    case 'capacity-block':
      return { ok: true };
    case 'spot': {
      const requestId = instance.spotInstanceRequestId;
      const type = requestId === undefined ? undefined : spotTypes[requestId];
      if (type === 'persistent') return { ok: true };
      if (type === 'one-time') return reboot(`it is a Spot instance of one-time request ${requestId}: only Spot instances of persistent requests can be stopped`);
      const unknown = reboot(`it is a Spot instance whose request type is not known${requestId ? ` (${requestId})` : ''}: only Spot instances of persistent requests can be stopped`);
      return requestId === undefined ? unknown : { ...unknown, spotRequestToCheck: requestId };
    }
    case 'other':
      return reboot('its purchase option (InstanceLifecycle) is not one known to be stoppable');
  }
}

/** Why a start that fell back to `stopped` most likely failed: `short` for a subject line, `detail` for the body. */
export interface StartFailure {
  readonly short: string;
  readonly detail: string;
}

/**
 * Reads DescribeInstances' StateReason after a start that did not hold. `Client.InternalError`
 * ("Client error on launch") is what EC2 reports when an EBS volume is encrypted under a
 * customer-managed KMS key that the caller may not use: StartInstances needs `kms:CreateGrant` on it.
 */
export function startFailureOf(reason: StateReason | undefined): StartFailure {
  if (!reason) return { short: 'no state reason given', detail: 'EC2 gave no state reason' };
  const said = `EC2 says ${reason.code}${reason.message && reason.message !== reason.code ? ` (${reason.message})` : ''}`;
  switch (reason.code) {
    case 'Client.InternalError':
      return {
        short: "likely missing kms:CreateGrant",
        detail: `${said}: most often an EBS volume encrypted under a customer-managed KMS key that this role may not use; grant it kms:CreateGrant on that key (its key policy must allow it too)`,
      };
    case 'Server.InsufficientInstanceCapacity':
      return { short: 'no capacity for its type in its AZ', detail: `${said}: EC2 had no capacity for its instance type in its Availability Zone` };
    case 'Client.VolumeLimitExceeded':
      return { short: 'EBS volume limit reached', detail: `${said}: the account's EBS volume or storage limit is reached` };
    case 'Client.InvalidSnapshot.NotFound':
      return { short: "a volume's snapshot is gone", detail: `${said}: the snapshot of one of its volumes no longer exists` };
    default:
      return { short: reason.code, detail: said };
  }
}

/** A stop that someone (the API or the instance's own OS) made after a start went through: not a start that fell back. */
export const stoppedOnPurpose = (reason: StateReason | undefined): boolean =>
  reason?.code === 'Client.UserInitiatedShutdown' || reason?.code === 'Client.InstanceInitiatedShutdown';
