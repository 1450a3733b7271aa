/**
 * EC2's request-rate buckets in the in-memory VPC, per account and Region as EC2 keeps them: the
 * mutating calls share one bucket of 50 refilled at 5 a second, Assign/UnassignPrivateIpAddresses
 * one of 100 at 5 a second, the Describe calls one of 100 at 20 a second. A call that finds its
 * bucket empty fails with `RequestLimitExceeded` and takes nothing. Time is the world's clock.
 *
 * Off until `enable()`, so that scenarios that do not ask for it keep their timings. Other tools in
 * the account spend the same tokens: `otherTools` sets how many a second they spend, `spend` takes
 * a burst at once.
 */
export type BucketName = 'mutating' | 'assign' | 'describe';

export interface BucketSettings {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export const EC2_DEFAULT_BUCKETS: Readonly<Record<BucketName, BucketSettings>> = {
  mutating: { capacity: 50, refillPerSecond: 5 },
  assign: { capacity: 100, refillPerSecond: 5 },
  describe: { capacity: 100, refillPerSecond: 20 },
};

/** The bucket an EC2 API call draws from. */
export function bucketOfOperation(operation: string): BucketName {
  if (/^Describe/.test(operation)) return 'describe';
  if (operation === 'AssignPrivateIpAddresses' || operation === 'UnassignPrivateIpAddresses') return 'assign';
  return 'mutating';
}

interface Bucket {
  tokens: number;
  at: number;
  /** Tokens a second other tools in the account spend from it. */
  others: number;
}

export class Ec2Throttle {
  private enabled = false;
  private readonly buckets = new Map<BucketName, Bucket>();
  private settings: Readonly<Record<BucketName, BucketSettings>> = EC2_DEFAULT_BUCKETS;
  /** Calls refused with RequestLimitExceeded, per bucket. */
  readonly refused: Record<BucketName, number> = { mutating: 0, assign: 0, describe: 0 };

  constructor(private readonly now: () => number) {}

  /** Starts metering, every bucket full. */
  enable(settings: Partial<Record<BucketName, BucketSettings>> = {}): this {
    this.enabled = true;
    this.settings = { ...EC2_DEFAULT_BUCKETS, ...settings };
    this.buckets.clear();
    return this;
  }

  disable(): void {
    this.enabled = false;
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** Other tools in the account spend `perSecond` tokens of this bucket a second, from now on. */
  otherTools(name: BucketName, perSecond: number): void {
    this.bucket(name).others = perSecond;
  }

  /** Other tools take `tokens` at once (never below empty). */
  spend(name: BucketName, tokens: number): void {
    const bucket = this.bucket(name);
    bucket.tokens = Math.max(0, bucket.tokens - tokens);
  }

  /** Tokens left now. */
  tokens(name: BucketName): number {
    return this.bucket(name).tokens;
  }

  /** Whether a call of `operation` may go ahead now (taking its token); always true while disabled. */
  admit(operation: string): boolean {
    if (!this.enabled) return true;
    const name = bucketOfOperation(operation);
    const bucket = this.bucket(name);
    if (bucket.tokens < 1) {
      this.refused[name] += 1;
      return false;
    }
    bucket.tokens -= 1;
    return true;
  }

  /** The bucket refilled up to now: the refill less what other tools spent, within 0..capacity. */
  private bucket(name: BucketName): Bucket {
    const { capacity, refillPerSecond } = this.settings[name];
    const now = this.now();
    const bucket = this.buckets.get(name) ?? { tokens: capacity, at: now, others: 0 };
    const net = ((refillPerSecond - bucket.others) * Math.max(0, now - bucket.at)) / 1000;
    bucket.tokens = Math.min(capacity, Math.max(0, bucket.tokens + net));
    bucket.at = now;
    this.buckets.set(name, bucket);
    return bucket;
  }
}
