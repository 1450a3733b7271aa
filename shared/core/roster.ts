/**
 * A group's roster: who is confirmed as its member. Anyone allowed to tag an instance can enroll it
 * in a group, so enrollment alone earns nothing: a member not confirmed (a newcomer) is never a
 * failback target and never remediated, and takes traffic over from a failed holder only when no
 * confirmed member is healthy.
 *
 * Entries are instance IDs, and `asg:<name>` for the Auto Scaling groups of confirmed members: an
 * instance that Auto Scaling launched into such a group (its `aws:autoscaling:groupName` tag, which
 * only Auto Scaling can set: the `aws:` prefix is reserved) is confirmed like the node it replaces.
 *
 * - The first roster is every member the controller sees at its first look at the group (trust on
 *   first observation): the engine records it then, before anyone could join unseen.
 * - A person confirms: a manual `failback` confirms every current member, a manual `failover --to X`
 *   confirms X. Nothing automatic ever adds an instance the roster does not already cover.
 * - Instances that left the group are dropped when the roster is next recorded; Auto Scaling groups stay
 *   until a person's `failback` records the roster afresh.
 */
import type { Intent } from './decide.js';
import type { Group, Member } from './groups.js';
import type { Trigger } from './model.js';
import { TAG } from './tags.js';

/** What a request confirms: nothing, every current member, or one instance. */
export type Confirmation = { readonly kind: 'none' } | { readonly kind: 'all' } | { readonly kind: 'one'; readonly instanceId: string };

const ASG = 'asg:';
const idOf = (m: Member) => m.instance.instanceId;
const asgOf = (m: Member): string | undefined => {
  const name = m.instance.tags[TAG.autoScalingGroup];
  return name === undefined || name === '' ? undefined : `${ASG}${name}`;
};

/** Whether the member is covered by the roster: by its instance ID, or by the Auto Scaling group that launched it. */
export function isConfirmed(member: Member, roster: ReadonlySet<string>): boolean {
  const asg = asgOf(member);
  return roster.has(idOf(member)) || (asg !== undefined && roster.has(asg));
}

/** Only a person's request confirms anyone. */
export function confirmationOf(intent: Intent, trigger: Trigger): Confirmation {
  if (trigger !== 'manual') return { kind: 'none' };
  if (intent.type === 'failback') return { kind: 'all' };
  if (intent.type === 'failover' && intent.to !== undefined) return { kind: 'one', instanceId: intent.to };
  return { kind: 'none' };
}

/** The entries that confirm exactly these members: their IDs and their Auto Scaling groups. */
const entriesOf = (members: readonly Member[]): string[] => [...members.map(idOf), ...members.flatMap((m) => asgOf(m) ?? [])];

/**
 * The roster to decide with and to record: the stored one (every current member when none was ever
 * stored), plus what the request confirms, less instances that left. Sorted, without duplicates.
 */
export function rosterFor(group: Group, stored: readonly string[] | undefined, confirmation: Confirmation): string[] {
  const base = new Set(confirmation.kind === 'all' || stored === undefined ? entriesOf(group.members) : stored);
  if (confirmation.kind === 'one') base.add(confirmation.instanceId);
  const confirmed = group.members.filter((m) => isConfirmed(m, base));
  const asgs = [...base].filter((e) => e.startsWith(ASG));
  return [...new Set([...entriesOf(confirmed), ...asgs])].sort();
}

/** Members of the group the roster does not cover; none while no roster was ever stored. */
export function newcomersOf(group: Group, stored: readonly string[] | undefined): string[] {
  if (stored === undefined) return [];
  const roster = new Set(stored);
  return group.members.filter((m) => !isConfirmed(m, roster)).map(idOf).sort();
}

/** Whether two rosters hold the same entries; an absent one equals nothing. */
export function sameMembers(a: readonly string[], b: readonly string[] | undefined): boolean {
  if (b === undefined) return false;
  const set = new Set(b);
  return new Set(a).size === set.size && a.every((id) => set.has(id));
}
