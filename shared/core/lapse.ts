/** What a lease grant says of moves its previous holder may have made without recording them. */
import type { LeaseGrant, LeaseUpdate } from './ports.js';

/**
 * When a lease whose holder never released it ended, if that is later than the group's last
 * recorded move: the holder was killed or overran, perhaps between a switch call and the release
 * that records the move, so it counts as a move for the cooldown (and is recorded as one at this
 * grant's release, for the deciders after). Only moves a cooldown holds back (failback) wait for it.
 */
export function lapsedMoveAt(grant: LeaseGrant): number | undefined {
  const at = grant.previousLapsed ? grant.previousReleasedAt : undefined;
  return at !== undefined && at > (grant.lastMoveAt ?? Number.NEGATIVE_INFINITY) ? at : undefined;
}

/** What a release records: the move made under the lease, or the lapse counted as one, and the roster. */
export function leaseUpdate(movedAt: number | undefined, roster: readonly string[] | undefined): LeaseUpdate {
  return { ...(movedAt === undefined ? {} : { movedAt }), ...(roster === undefined ? {} : { roster }) };
}
