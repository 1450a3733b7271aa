/**
 * What a soak run records for the invariants to read: plain data, so the invariants are pure
 * functions that a unit test can hand a trace it made, and that the lab's `chaos` scenario can fill
 * from its own run.
 */
import type { GroupKind } from '../shared/core/model.js';
import type { JournalEntry } from '../shared/core/ports.js';

export type FunctionName = 'probe' | 'on-event' | 'failover';

/** One invocation of a function. */
export interface InvocationRec {
  readonly id: string;
  readonly fn: FunctionName;
  /** The engine's lease owner (`probe:<request id>`). */
  readonly owner: string;
  readonly start: number;
  end?: number;
  /** Killed by a fault or by the function's timeout before it returned. */
  killed?: 'fault' | 'timeout';
}

/** An AWS call the functions made that changes where traffic goes or what runs. */
export interface MutationRec {
  readonly at: number;
  readonly invocation: string;
  readonly operation: string;
  readonly group: string | undefined;
  /** The instance the call points traffic at (switches) or acts on (remediation). */
  readonly target: string | undefined;
  /** The instance that held the slot before (switches only). */
  readonly from: string | undefined;
  /** The slot: a VIP, an allocation ID, `<route table>|<destination>`. */
  readonly slot: string | undefined;
  /** Whether the world carried it out (it may have failed after that: a lost answer). */
  readonly applied: boolean;
  readonly error?: string;
  /** Order among records of the same ms (leases and mutations share one counter). */
  readonly seq?: number;
}

/** A lease call on the store that succeeded. */
export interface LeaseRec {
  readonly at: number;
  readonly group: string;
  readonly owner: string;
  readonly kind: 'acquire' | 'release';
  readonly seq?: number;
}

/** A change of the probe's verdict on a node. */
export interface VerdictRec {
  readonly at: number;
  readonly instanceId: string;
  readonly verdict: string;
}

/** The truth about one group at one moment. */
export interface Sample {
  readonly at: number;
  readonly group: string;
  /** Where each of its slots points (instance ID, or undefined for nowhere). */
  readonly targets: readonly (string | undefined)[];
  /** Members that are truly healthy: running, answering, forwarding (NAT). */
  readonly healthy: readonly string[];
  /** Healthy members that EC2 also reports ok (status checks passed): those the core can move to. Absent: the same as `healthy`. */
  readonly ready?: readonly string[];
  /** Every member now. */
  readonly members: readonly string[];
  /** VIP groups: the reachable instances that have the VIP up in their OS. */
  readonly osUp?: readonly string[];
  /** Every slot reaches a healthy member (and the VIP is up in its holder's OS). */
  readonly served: boolean;
}

/** A fault as it ran. */
export interface FaultRec {
  readonly id: number;
  readonly kind: string;
  readonly start: number;
  readonly end: number;
  /** The instance or group it was about, if any. */
  readonly target?: string;
  /** A tag edit that took a member out of its group: the instance whose `failover:group` tag it removed. */
  readonly untagged?: string;
}

export interface Trace {
  readonly startAt: number;
  readonly endAt: number;
  /** When the last fault ended: convergence is measured from here. */
  readonly faultsEndAt: number;
  readonly groups: Readonly<Record<string, { readonly kind: GroupKind }>>;
  readonly invocations: readonly InvocationRec[];
  readonly mutations: readonly MutationRec[];
  readonly leases: readonly LeaseRec[];
  readonly verdicts: readonly VerdictRec[];
  readonly samples: readonly Sample[];
  readonly faults: readonly FaultRec[];
  /** The journal as the table holds it at the end. */
  readonly journal: readonly JournalEntry[];
  /** Instance states at the end. */
  readonly finalStates: Readonly<Record<string, string>>;
}

/** Operations that point traffic somewhere. */
export const SWITCHES: ReadonlySet<string> = new Set(['AssignPrivateIpAddresses', 'AssociateAddress', 'ReplaceRoute', 'CreateRoute']);
/** Operations remediation uses. */
export const REMEDIATIONS: ReadonlySet<string> = new Set(['RebootInstances', 'StopInstances', 'StartInstances', 'TerminateInstances']);

/**
 * The lease call a successful DynamoDB request was, if any: the engine takes a group's lease with
 * `attribute_not_exists(#owner)` and gives it back with `#owner = :me` (shared/aws/dynamo.ts).
 */
export function leaseOf(operation: string, input: Readonly<Record<string, unknown>>): { readonly group: string; readonly owner: string; readonly kind: 'acquire' | 'release' } | undefined {
  if (operation !== 'UpdateItem') return undefined;
  const pk = (input['Key'] as { pk?: { S?: string } } | undefined)?.pk?.S ?? '';
  if (!pk.startsWith('group#')) return undefined;
  const values = (input['ExpressionAttributeValues'] ?? {}) as Record<string, { S?: string }>;
  const condition = String(input['ConditionExpression'] ?? '');
  const group = pk.slice('group#'.length);
  if (condition.includes('attribute_not_exists(#owner)')) return { group, owner: values[':owner']?.S ?? '', kind: 'acquire' };
  if (condition.startsWith('#owner = :me')) return { group, owner: values[':me']?.S ?? '', kind: 'release' };
  return undefined;
}
