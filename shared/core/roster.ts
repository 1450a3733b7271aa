/**
 * A group's roster: the instance IDs confirmed as its members. Anyone allowed to tag an instance
 * can enroll it in a group, so enrollment alone earns nothing: a member not on the roster (a
 * newcomer) is never a failback target and never remediated, and takes traffic over from a failed
 * holder only when no confirmed member is healthy.
 *
 * - The first roster is every member the controller sees at its first look at the group (trust on
 *   first observation): the engine records it then, before anyone could join unseen.
 * - A person confirms: a manual `failback` confirms every current member, a manual `failover --to X`
 *   confirms X. Nothing automatic ever adds a member.
 * - Members that left the group are dropped when the roster is next recorded.
 */
import type { Intent } from './decide.js';
import type { Group } from './groups.js';
import type { Trigger } from './model.js';

/** What a request confirms: nothing, every current member, or one instance. */
export type Confirmation = { readonly kind: 'none' } | { readonly kind: 'all' } | { readonly kind: 'one'; readonly instanceId: string };

/** Only a person's request confirms anyone. */
export function confirmationOf(intent: Intent, trigger: Trigger): Confirmation {
  if (trigger !== 'manual') return { kind: 'none' };
  if (intent.type === 'failback') return { kind: 'all' };
  if (intent.type === 'failover' && intent.to !== undefined) return { kind: 'one', instanceId: intent.to };
  return { kind: 'none' };
}

/**
 * The roster to decide with (and to record): the stored one, or every current member when none was
 * ever stored; plus what the request confirms; less members that left. Sorted.
 */
export function rosterFor(group: Group, stored: readonly string[] | undefined, confirmation: Confirmation): string[] {
  const current = group.members.map((m) => m.instance.instanceId);
  const confirmed = new Set(confirmation.kind === 'all' || stored === undefined ? current : stored);
  if (confirmation.kind === 'one') confirmed.add(confirmation.instanceId);
  return current.filter((id) => confirmed.has(id)).sort();
}

/** Members of the group not on the roster; none while no roster was ever stored. */
export function newcomersOf(group: Group, stored: readonly string[] | undefined): string[] {
  if (stored === undefined) return [];
  const confirmed = new Set(stored);
  return group.members.map((m) => m.instance.instanceId).filter((id) => !confirmed.has(id)).sort();
}

/** Whether two rosters hold the same IDs; an absent one equals nothing. */
export function sameMembers(a: readonly string[], b: readonly string[] | undefined): boolean {
  if (b === undefined) return false;
  const set = new Set(b);
  return a.length === set.size && a.every((id) => set.has(id));
}
