/**
 * Rise/fall tracking per node, and the agreement rule that turns two vantage points into a verdict.
 * Pure: every function returns a new state, so the tables in the tests can replay any sequence.
 *
 * - The sensor (a Lambda inside the VPC) answers every round: `ok`, `fail` or `unknown`.
 * - The peers (other members, over SSM) answer now and then; their last opinion is kept with the
 *   time the command was sent, and counts as confirmation only if sent after the failures began.
 * - A node is unhealthy only when the sensor failed `fall` rounds in a row AND the peers confirm.
 *   Sensor failures the peers do not (yet) confirm make the node `unknown`: not healthy, never down.
 * - A NAT's own forwarding checks are first-hand evidence: `fall` failures in a row make it
 *   unhealthy on their own, `rise` successes clear that. There are two, counted apart: egress (it
 *   reaches out itself) and its forwarding configuration (ip_forward and a MASQUERADE/SNAT rule).
 * - `unknown` rounds (a lost sensor call, an SSM outage) change no counter.
 * - A NAT judged down that answers again is a failback target (healthy) only once a forwarding
 *   check sent since its return passed, with none failing since: its forwarding may have broken
 *   while it was down. Until then it is `unknown`, never a target. Detection (fall) is unchanged.
 * - The same holds for a NAT the memory knew nothing of since some time (`unverifiedSince`): first
 *   seen with nothing in memory, or restored from a stored copy after a cold start (a run killed
 *   before it saved takes what it learned with it). A TCP answer says nothing of forwarding.
 */
import type { Verdict } from '../core/model.js';
import { BEHIND_WHY, type BehindState, confirmBehind } from './behind.js';

export type Observation = 'ok' | 'fail' | 'unknown';

export interface Thresholds {
  /** Failed rounds in a row before a node can be declared down. */
  readonly fall: number;
  /** Good rounds in a row before a node that was not healthy is healthy again. */
  readonly rise: number;
}

export interface PeerOpinion {
  readonly verdict: Observation;
  /** When the SSM command that produced it was sent (epoch ms). */
  readonly sentAt: number;
}

export interface NodeState {
  /** Undefined until the first conclusive round: a node nobody has judged yet. */
  readonly verdict?: Verdict;
  readonly good: number;
  readonly bad: number;
  /** Start of the first round of the current failure streak. */
  readonly failingSince?: number;
  /** What the sensor found in the last failed round, in words (`no TCP on 443`). */
  readonly failure?: string;
  readonly peer?: PeerOpinion;
  readonly egressGood: number;
  readonly egressBad: number;
  /** The node's forwarding check failed `fall` times in a row and has not passed `rise` times since. */
  readonly egressDown: boolean;
  readonly forwardingGood: number;
  readonly forwardingBad: number;
  /** Same rule for its forwarding configuration (ip_forward, a MASQUERADE/SNAT rule). */
  readonly forwardingDown: boolean;
  /** The node has forwarding checks (a NAT member): set by the first one noted. */
  readonly nat?: boolean;
  /** Start of the round a node judged unhealthy answered again; cleared once it is healthy or fails again. */
  readonly returnedAt?: number;
  /** When the newest passing forwarding check (egress or configuration) was sent. */
  readonly forwardingOkAt?: number;
  /** Egress checked from behind the NAT by the sensors its tables route (behind.ts); absent until one is credited to it. */
  readonly behind?: BehindState;
  /**
   * A NAT whose forwarding this memory has not followed since then: first seen with nothing in
   * memory, or its state restored from a copy saved then. Cleared once a forwarding check sent
   * since has passed; until then it is no target.
   */
  readonly unverifiedSince?: number;
  /** Why the verdict is what it is, for logs and status. */
  readonly why: string;
}

export const initialState: NodeState = Object.freeze({
  good: 0,
  bad: 0,
  egressGood: 0,
  egressBad: 0,
  egressDown: false,
  forwardingGood: 0,
  forwardingBad: 0,
  forwardingDown: false,
  why: 'not probed yet',
});

/** Records the peers' latest opinion; the verdict is recomputed at the next round. */
export function notePeers(state: NodeState, opinion: PeerOpinion): NodeState {
  if (opinion.verdict === 'unknown' || (state.peer && state.peer.sentAt > opinion.sentAt)) return state;
  return { ...state, peer: opinion };
}

interface Streak {
  readonly good: number;
  readonly bad: number;
  readonly down: boolean;
}

/** `fall` failures in a row set `down`; once down, only `rise` successes in a row clear it. */
function streak(s: Streak, result: 'ok' | 'fail', t: Thresholds): Streak {
  if (result === 'fail') return { good: 0, bad: s.bad + 1, down: s.down || s.bad + 1 >= t.fall };
  return { good: s.good + 1, bad: 0, down: s.down && s.good + 1 < t.rise };
}

/** Records the result of the node's own egress check (NAT members only). */
export function noteEgress(state: NodeState, result: Observation, t: Thresholds, sentAt?: number): NodeState {
  if (result === 'unknown') return state.nat ? state : { ...state, nat: true };
  const next = streak({ good: state.egressGood, bad: state.egressBad, down: state.egressDown }, result, t);
  return { ...state, nat: true, egressGood: next.good, egressBad: next.bad, egressDown: next.down, ...passedAt(state, result, sentAt) };
}

/** A passing forwarding check's send time, kept as the newest. */
function passedAt(state: NodeState, result: 'ok' | 'fail', sentAt: number | undefined): Partial<NodeState> {
  return result === 'ok' && sentAt !== undefined ? { forwardingOkAt: Math.max(sentAt, state.forwardingOkAt ?? sentAt) } : {};
}

/**
 * Records the node's forwarding-configuration check (NAT members only). `unknown` (tools missing or
 * refused, no line) changes nothing, so a NAT whose tools cannot tell is never moved for it.
 */
export function noteForwarding(state: NodeState, result: Observation, t: Thresholds, sentAt?: number): NodeState {
  if (result === 'unknown') return state.nat ? state : { ...state, nat: true };
  const next = streak({ good: state.forwardingGood, bad: state.forwardingBad, down: state.forwardingDown }, result, t);
  return { ...state, nat: true, forwardingGood: next.good, forwardingBad: next.bad, forwardingDown: next.down, ...passedAt(state, result, sentAt) };
}

/** Whether the peers confirmed the current failure streak. */
export function peersConfirm(s: NodeState): boolean {
  return s.failingSince !== undefined && s.peer?.verdict === 'fail' && s.peer.sentAt >= s.failingSince;
}

/** Folds one round of the sensor into the node's state and recomputes its verdict; `failure` says what failed. */
export function step(state: NodeState, sensor: Observation, roundStart: number, t: Thresholds, failure?: string): NodeState {
  let s: NodeState = state;
  if (sensor === 'ok') s = { ...s, good: s.good + 1, bad: 0, failingSince: undefined, failure: undefined, returnedAt: s.returnedAt ?? (s.verdict === 'unhealthy' ? roundStart : undefined) };
  else if (sensor === 'fail') s = { ...s, bad: s.bad + 1, good: 0, failingSince: s.failingSince ?? roundStart, returnedAt: undefined, ...(failure === undefined ? {} : { failure }) };
  return judge(s, t);
}

/** Recomputes the verdict from the counters (after a round, or after peers or egress reported). */
export function judge(state: NodeState, t: Thresholds): NodeState {
  const s = confirmBehind(state, t);
  if (s.egressDown) return { ...s, verdict: 'unhealthy', why: 'answers, but its forwarding check fails (no egress through it)' };
  if (s.forwardingDown) return { ...s, verdict: 'unhealthy', why: 'answers, but is not set up to forward (ip_forward off or no MASQUERADE/SNAT rule)' };
  if (s.behind?.down) return { ...s, verdict: 'unhealthy', why: BEHIND_WHY };
  if (s.bad >= t.fall) {
    if (peersConfirm(s)) return { ...s, verdict: 'unhealthy', why: `${s.failure ?? 'no TCP answer'} from the VPC, ${s.bad} rounds in a row, and the peers agree` };
    if (s.verdict === 'unhealthy') return { ...s, why: `${s.failure ?? 'no TCP answer'} from the VPC, still (${s.bad} rounds)` };
    return { ...s, verdict: 'unknown', why: `${s.failure ?? 'no TCP answer'} from the VPC, ${s.bad} rounds in a row; waiting for the peers to confirm` };
  }
  if (s.good === 0 && s.bad === 0 && s.verdict !== undefined) {
    if (awaitingForwarding(s)) return { ...s, verdict: 'unknown', why: UNVERIFIED };
    // No sensor rounds (a NAT without failover:ports): the verdict came from egress or forwarding,
    // which have recovered, so hand the node back to EC2 status checks.
    return { ...s, verdict: undefined, unverifiedSince: undefined, why: 'egress and forwarding checks pass again; no TCP ports to probe' };
  }
  if (s.good > 0 && s.bad === 0) {
    // A node nobody judged yet is healthy at its first good round; one that was not healthy needs `rise`.
    if (s.verdict === undefined || s.verdict === 'healthy' || s.good >= t.rise) return backInService(s);
    return { ...s, why: `answering again (${s.good} of ${t.rise} rounds)` };
  }
  return s;
}

const UNVERIFIED = 'no forwarding check has passed since its state was restored or first seen';

/** Since when a NAT's forwarding must have been checked before it is a target (its return, or what memory missed); undefined: no such wait. */
function forwardingDueSince(s: NodeState): number | undefined {
  if (!s.nat || (s.returnedAt === undefined && s.unverifiedSince === undefined)) return undefined;
  return Math.max(s.returnedAt ?? Number.NEGATIVE_INFINITY, s.unverifiedSince ?? Number.NEGATIVE_INFINITY);
}

/** A NAT still waiting for a forwarding check sent since `forwardingDueSince` to pass, with none failing since. */
function awaitingForwarding(s: NodeState): boolean {
  const since = forwardingDueSince(s);
  if (since === undefined) return false;
  return !(s.forwardingOkAt !== undefined && s.forwardingOkAt >= since && s.egressBad === 0 && s.forwardingBad === 0);
}

/** A node answering (again): healthy, unless it is a NAT whose forwarding is not checked since its return or since memory lost sight of it. */
function backInService(s: NodeState): NodeState {
  if (forwardingDueSince(s) === undefined) return { ...s, verdict: 'healthy', why: 'answering' };
  if (!awaitingForwarding(s)) return { ...s, verdict: 'healthy', returnedAt: undefined, unverifiedSince: undefined, why: 'answering, and forwarding again' };
  if (s.returnedAt !== undefined) return { ...s, verdict: 'unknown', why: 'answering again; no forwarding check has passed since it came back' };
  return { ...s, verdict: 'unknown', why: `answering; ${UNVERIFIED}` };
}

/** A NAT member seen for the first time with nothing in memory: no target before a forwarding check passes. */
export function unverifiedNat(at: number): NodeState {
  return { ...initialState, nat: true, unverifiedSince: at, why: 'not probed yet' };
}

/**
 * A state restored from a copy saved at `savedAt`: a NAT's forwarding since then is unknown (the
 * run that learned more may have been killed before it saved), so one not judged down waits for a
 * forwarding check sent since. Other nodes keep their state: the first round's TCP answer is news.
 */
export function restoredState(s: NodeState, savedAt: number): NodeState {
  if (!s.nat || s.verdict === 'unhealthy') return s;
  return { ...s, verdict: 'unknown', unverifiedSince: savedAt, why: `restored after a cold start; ${UNVERIFIED}` };
}

/** Verdicts the engine should see: nodes never judged are left out (the core falls back to EC2 status). */
export function verdictsOf(states: ReadonlyMap<string, NodeState>): Record<string, Verdict> {
  const out: Record<string, Verdict> = {};
  for (const [id, s] of states) if (s.verdict !== undefined) out[id] = s.verdict;
  return out;
}

/** How the peers' results about one node fold: any peer that sees it answer wins; otherwise any failure. */
export function combinePeers(opinions: readonly Observation[]): Observation {
  if (opinions.includes('ok')) return 'ok';
  return opinions.includes('fail') ? 'fail' : 'unknown';
}

/**
 * One vantage point's results on a node's ports: `fail` if any port conclusively failed (the
 * service is what clients need), `ok` if every port answered, `unknown` otherwise.
 */
export function combinePorts(results: readonly Observation[]): Observation {
  if (results.length === 0) return 'unknown';
  if (results.includes('fail')) return 'fail';
  return results.every((r) => r === 'ok') ? 'ok' : 'unknown';
}
