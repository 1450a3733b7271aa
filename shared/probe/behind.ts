/**
 * Egress checked from behind a NAT: a sensor in a private subnet opens TCP connections to the
 * egress endpoints through its subnet's route, and the result is credited to the NAT member that
 * route sends 0.0.0.0/0 to at the time of the check. This is the only check that sees a NAT which
 * answers, reaches out itself and keeps its MASQUERADE rule, yet drops what it should forward
 * (a FORWARD-chain drop, a rule matching the wrong interface or source range).
 *
 * Pure: the loop folds each round's credited results in with `noteBehind`, `judge` (verdicts.ts)
 * confirms with `confirmBehind`, and `releaseBehind` ends the hold.
 *
 * - `fall` failed checks in a row mark the NAT not forwarding, but only once the failure is
 *   confirmed: during the streak, another sensor reached the endpoints through a path that does not
 *   cross this NAT (another NAT, a gateway). Without that, the endpoints themselves, or the
 *   sensors' own security group or network ACL, may be what is broken, and no NAT is blamed. The
 *   NAT's own checks cannot confirm: they pass in exactly the fault this check is for (the NAT
 *   reaches out itself and keeps its rule), and they pass when the sensors' path is what broke.
 * - `unknown` (a lost Invoke, a check the route changed under) changes no counter.
 * - Once its tables have moved, no sensor's traffic crosses the NAT, so nothing can show it
 *   forwarding again: the mark holds for `holdMs` after its last failed check, or until `rise`
 *   passing checks from behind it (a table still routed through it). Then the NAT is a target
 *   again; if it still drops, its sensors catch it again within `fall` rounds.
 * - A NAT that did not answer the sensor itself while marked (it was down, not just dropping)
 *   loses the mark when it answers again (`releaseOnReturn`): its failures from behind are
 *   explained by its being down, and its return is judged as any NAT back from down is (its own
 *   forwarding checks must pass first, verdicts.ts).
 */
import type { Observation, Thresholds } from './verdicts.js';

export interface BehindState {
  readonly good: number;
  readonly bad: number;
  /** Start of the first failed check of the current streak. */
  readonly since?: number;
  /** The newest check, during the streak, in which the endpoints answered through another path. */
  readonly provenAt?: number;
  /** Marked not forwarding: confirmed `fall` failures, not yet released. */
  readonly down: boolean;
  /** The newest failed check (the hold runs from it). */
  readonly lastFailAt?: number;
}

/** The part of a node's state this module reads and writes. */
export interface BehindInputs {
  readonly behind?: BehindState;
}

const fresh: BehindState = Object.freeze({ good: 0, bad: 0, down: false });

/**
 * Folds one credited check into the streak. `proven`: the endpoints answered this round through a
 * path that does not cross this NAT.
 */
export function noteBehind(state: BehindState | undefined, result: Observation, at: number, t: Thresholds, proven: boolean): BehindState | undefined {
  if (result === 'unknown') return state;
  const s = state ?? fresh;
  if (result === 'ok') {
    const good = s.good + 1;
    const down = s.down && good < t.rise;
    return { good, bad: 0, down, ...(down && s.lastFailAt !== undefined ? { lastFailAt: s.lastFailAt } : {}) };
  }
  const since = s.since ?? at;
  const provenAt = proven ? at : s.provenAt;
  return { good: 0, bad: s.bad + 1, since, ...(provenAt === undefined ? {} : { provenAt }), down: s.down, lastFailAt: at };
}

/** Whether the streak is `fall` long and another path proved the endpoints up during it. */
export function behindConfirmed(s: BehindInputs, t: Thresholds): boolean {
  const b = s.behind;
  return b !== undefined && b.since !== undefined && b.bad >= t.fall && b.provenAt !== undefined && b.provenAt >= b.since;
}

/** Sets the mark once the streak is confirmed; called by `judge` whatever reported last. */
export function confirmBehind<S extends BehindInputs>(s: S, t: Thresholds): S {
  const b = s.behind;
  if (b === undefined || b.down || !behindConfirmed(s, t)) return s;
  return { ...s, behind: { ...b, down: true } };
}

/** Ends the hold of a NAT whose last failed check from behind is `holdMs` old: it may be a target again. */
export function releaseBehind<S extends BehindInputs>(s: S, now: number, holdMs: number): S {
  const b = s.behind;
  if (b === undefined || !b.down || b.lastFailAt === undefined || now - b.lastFailAt < holdMs) return s;
  return { ...s, behind: { good: 0, bad: 0, down: false } };
}

/**
 * Ends the mark of a NAT that answers the sensor again after failing it (`bad` is the member
 * check's failure streak, before and after this round).
 */
export function releaseOnReturn<S extends BehindInputs & { readonly bad: number }>(before: { readonly bad: number }, after: S): S {
  if (!after.behind?.down || before.bad === 0 || after.bad > 0) return after;
  return { ...after, behind: { good: 0, bad: 0, down: false } };
}

export const BEHIND_WHY = "traffic from behind it does not get out (the egress check of the sensor in a subnet it serves fails, while the endpoints answer through another path)";
