/**
 * Pacing of EC2 mutations to EC2's own request-rate buckets, so that a switch of hundreds of route
 * tables spends the account's tokens at the rate they come back instead of running into
 * `RequestLimitExceeded`. EC2 meters per account and Region with token buckets: ReplaceRoute,
 * CreateRoute, AssociateAddress and the other mutating calls share one of 50 tokens refilled at 5 a
 * second; Assign/UnassignPrivateIpAddresses have their own of 100 at 5 a second.
 *
 * Other tools in the account spend the same tokens, which no caller can see: this bucket is only
 * our estimate. When EC2 says it is empty anyway (`RequestLimitExceeded`), ours is emptied too and
 * the refill we count on is cut by a quarter, so every later call waits longer while the throttled
 * one backs off and retries; each call that goes through wins back a little of the refill, up to
 * EC2's own rate (additive increase, multiplicative decrease, as TCP shares a link).
 */
import { AwsCallError } from '../errors.js';
import type { Ec2Action } from './ports.js';

export interface BucketSpec {
  /** Tokens when full: the burst. */
  readonly capacity: number;
  readonly refillPerSecond: number;
}

/** Tokens at `at` (epoch ms). Negative tokens are calls already promised a later start. */
export interface BucketState {
  readonly tokens: number;
  readonly at: number;
  /** The refill per second we count on now: EC2's, less what throttling showed others take. Default: the spec's. */
  readonly rate?: number;
}

/** On a throttle the refill we count on is cut to this share of itself, never below `MIN_RATE_SHARE` of EC2's. */
export const THROTTLE_RATE_CUT = 0.75;
/** What each call that goes through wins back, in tokens a second. */
export const SUCCESS_RATE_GAIN = 0.05;
const MIN_RATE_SHARE = 0.1;

const rateOf = (spec: BucketSpec, state: BucketState): number => state.rate ?? spec.refillPerSecond;
const withRate = (spec: BucketSpec, state: BucketState, next: { tokens: number; at: number }): BucketState =>
  state.rate === undefined || state.rate >= spec.refillPerSecond ? next : { ...next, rate: state.rate };

/** EC2's default buckets (Amazon EC2 API request throttling, per account and Region). */
export const EC2_BUCKETS = Object.freeze({
  mutating: Object.freeze({ capacity: 50, refillPerSecond: 5 }),
  assign: Object.freeze({ capacity: 100, refillPerSecond: 5 }),
}) satisfies Record<string, BucketSpec>;

export type Ec2BucketName = keyof typeof EC2_BUCKETS;

export const fullBucket = (spec: BucketSpec, at: number): BucketState => ({ tokens: spec.capacity, at });

/** The tokens the bucket holds at `now`, refilled since `state.at` and never above capacity. */
export function tokensAt(spec: BucketSpec, state: BucketState, now: number): number {
  const refilled = state.tokens + (Math.max(0, now - state.at) * rateOf(spec, state)) / 1000;
  return Math.min(spec.capacity, refilled);
}

/**
 * Takes one token at `now`: the wait before the call may start (0 when a token is there) and the
 * state after. A call that has to wait still takes its token now, so concurrent callers queue in
 * order, each one refill interval after the previous.
 */
export function reserve(spec: BucketSpec, state: BucketState, now: number): { readonly state: BucketState; readonly waitMs: number } {
  const tokens = tokensAt(spec, state, now) - 1;
  const waitMs = tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / rateOf(spec, state));
  return { state: withRate(spec, state, { tokens, at: now }), waitMs };
}

/** Gives back a token taken by `reserve` for a call that will not be made. */
export function refund(spec: BucketSpec, state: BucketState, now: number): BucketState {
  return withRate(spec, state, { tokens: Math.min(spec.capacity, tokensAt(spec, state, now) + 1), at: now });
}

/**
 * EC2 said the bucket is empty: whatever we thought was left is not there (promised waits stay),
 * and others take more of the refill than we counted on.
 */
export function drain(spec: BucketSpec, state: BucketState, now: number): BucketState {
  const rate = Math.max(spec.refillPerSecond * MIN_RATE_SHARE, rateOf(spec, state) * THROTTLE_RATE_CUT);
  return { tokens: Math.min(0, tokensAt(spec, state, now)), at: now, rate };
}

/** A call went through: the refill we count on creeps back towards EC2's own. */
export function succeeded(spec: BucketSpec, state: BucketState, now: number): BucketState {
  if (state.rate === undefined) return state;
  const tokens = tokensAt(spec, state, now);
  return withRate(spec, { ...state, rate: state.rate + SUCCESS_RATE_GAIN }, { tokens, at: now });
}

/** Which EC2 bucket an action's call draws from. */
export function bucketOf(action: Ec2Action): Ec2BucketName {
  return action.type === 'assign-private-ip' ? 'assign' : 'mutating';
}

/** EC2's throttling answer: the bucket for that call was empty. */
export const isThrottling = (error: unknown): boolean => error instanceof AwsCallError && error.code === 'RequestLimitExceeded';

/** The buckets of one account and Region, kept for the life of the execution environment. */
export interface Ec2Pacer {
  /** Takes a token for the action's call; returns how long to wait before making it. */
  reserve(action: Ec2Action, now: number): number;
  /** Gives the token back: the call will not be made (the run's deadline comes first). */
  refund(action: Ec2Action, now: number): void;
  /** EC2 answered `RequestLimitExceeded`: the bucket is empty, whatever we counted. */
  throttled(action: Ec2Action, now: number): void;
  /** The call went through. */
  succeeded(action: Ec2Action, now: number): void;
}

export function createEc2Pacer(start: number, buckets: Readonly<Record<Ec2BucketName, BucketSpec>> = EC2_BUCKETS): Ec2Pacer {
  const states: Record<Ec2BucketName, BucketState> = { mutating: fullBucket(buckets.mutating, start), assign: fullBucket(buckets.assign, start) };
  return {
    reserve(action, now) {
      const name = bucketOf(action);
      const next = reserve(buckets[name], states[name], now);
      states[name] = next.state;
      return next.waitMs;
    },
    refund(action, now) {
      const name = bucketOf(action);
      states[name] = refund(buckets[name], states[name], now);
    },
    throttled(action, now) {
      const name = bucketOf(action);
      states[name] = drain(buckets[name], states[name], now);
    },
    succeeded(action, now) {
      const name = bucketOf(action);
      states[name] = succeeded(buckets[name], states[name], now);
    },
  };
}
