import { describe, expect, it } from 'vitest';
import { isRetriable, mapLimit, retry } from '../../shared/core/retry.js';
import { AwsCallError, FailoverError } from '../../shared/errors.js';
import { manualClock } from '../../sim/clock.js';

const throttled = () => new AwsCallError('ReplaceRoute', 'RequestLimitExceeded', 'Request limit exceeded.', { retriable: true });
const denied = () => new AwsCallError('ReplaceRoute', 'UnauthorizedOperation', 'not allowed', { retriable: false });

/** A call that fails with the given errors in turn, then returns 'done'. */
function failing(...errors: Error[]) {
  const attempts: number[] = [];
  const fn = async (attempt: number) => {
    attempts.push(attempt);
    const error = errors.shift();
    if (error) throw error;
    return 'done';
  };
  return { fn, attempts };
}

describe('retry', () => {
  it('returns the first success without waiting', async () => {
    const clock = manualClock();
    const { fn, attempts } = failing();

    await expect(retry(fn, { clock, deadline: clock.now() + 10_000 })).resolves.toBe('done');

    expect(attempts).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('retries retriable errors with exponential backoff and full jitter from clock.random', async () => {
    const clock = manualClock(0, 0.5);
    const { fn, attempts } = failing(throttled(), throttled(), throttled());
    const retried: [string, number, number][] = [];

    const result = await retry(fn, { clock, deadline: 10_000, onRetry: (e, attempt, delay) => retried.push([(e as AwsCallError).code, attempt, delay]) });

    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(retried).toEqual([
      ['RequestLimitExceeded', 1, 50],
      ['RequestLimitExceeded', 2, 100],
      ['RequestLimitExceeded', 3, 200],
    ]);
  });

  it('caps each wait at maxDelayMs', async () => {
    const clock = manualClock(0, 0.999);
    const { fn } = failing(throttled(), throttled(), throttled(), throttled());

    await retry(fn, { clock, deadline: 1_000_000, baseDelayMs: 100, maxDelayMs: 300 });

    expect(clock.sleeps).toEqual([99, 199, 299, 299]);
  });

  it('rethrows a non-retriable error at once', async () => {
    const clock = manualClock();
    const error = denied();
    const { fn, attempts } = failing(error);

    await expect(retry(fn, { clock, deadline: clock.now() + 10_000 })).rejects.toBe(error);

    expect(attempts).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it('never retries a programming error', async () => {
    const clock = manualClock();
    const bug = new TypeError('cannot read properties of undefined');
    const { fn, attempts } = failing(bug);

    await expect(retry(fn, { clock, deadline: clock.now() + 10_000 })).rejects.toBe(bug);
    expect(attempts).toEqual([1]);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const clock = manualClock();
    const last = throttled();
    const { fn, attempts } = failing(throttled(), throttled(), last, throttled());

    await expect(retry(fn, { clock, deadline: clock.now() + 60_000, maxAttempts: 3 })).rejects.toBe(last);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('retries the errors untilDeadline picks past maxAttempts, until the deadline, and the others only maxAttempts times', async () => {
    const clock = manualClock(0, 0.5);
    const throttles = failing(...Array.from({ length: 12 }, throttled));
    const isThrottle = (e: FailoverError) => e instanceof AwsCallError && e.code === 'RequestLimitExceeded';

    await expect(retry(throttles.fn, { clock, deadline: 60_000, maxAttempts: 3, untilDeadline: isThrottle })).resolves.toBe('done');
    expect(throttles.attempts).toHaveLength(13);

    const servers = failing(...Array.from({ length: 5 }, () => new AwsCallError('ReplaceRoute', 'InternalError', 'oops', { retriable: true })));
    await expect(retry(servers.fn, { clock, deadline: clock.now() + 60_000, maxAttempts: 3, untilDeadline: isThrottle })).rejects.toThrow('oops');
    expect(servers.attempts).toEqual([1, 2, 3]);
  });

  it('does not start a wait that would end at or past the deadline', async () => {
    const clock = manualClock(0, 0.5);
    const second = throttled();
    const { fn, attempts } = failing(throttled(), second, throttled());

    // First wait 50 ms (ends at 50 < 120), second 100 ms would end at 150 >= 120.
    await expect(retry(fn, { clock, deadline: 120 })).rejects.toBe(second);

    expect(attempts).toEqual([1, 2]);
    expect(clock.sleeps).toEqual([50]);
  });

  it('tells retriable errors by the flag, only on our own errors', () => {
    expect(isRetriable(throttled())).toBe(true);
    expect(isRetriable(denied())).toBe(false);
    expect(isRetriable(new FailoverError('x', { retriable: true }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('x'), { retriable: true }))).toBe(false);
  });
});

describe('mapLimit', () => {
  it('keeps the order of results and never runs more than the limit at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const work = mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => release.push(resolve));
      inFlight--;
      return n * 10;
    });
    while (release.length > 0 || inFlight > 0) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }

    await expect(work).resolves.toEqual([10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
  });

  it('returns an empty list for no items', async () => {
    await expect(mapLimit([], 4, async () => 1)).resolves.toEqual([]);
  });
});
