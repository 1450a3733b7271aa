/**
 * Retry with capped exponential backoff and full jitter, against a deadline. Only errors that say
 * they are retriable (throttling, 5xx, timeouts) are tried again; anything else is rethrown at once.
 */
import { FailoverError } from '../errors.js';
import type { Clock } from './ports.js';

export interface RetryOptions {
  readonly clock: Clock;
  /** Epoch ms after which no new attempt starts. */
  readonly deadline: number;
  /** Attempts for most errors; those `untilDeadline` picks are tried again until the deadline. */
  readonly maxAttempts?: number;
  /** Errors whose attempts only the deadline bounds (EC2's throttling, while the caller paces itself). */
  readonly untilDeadline?: (error: FailoverError) => boolean;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Once aborted, no new attempt starts. */
  readonly signal?: AbortSignal;
  readonly onRetry?: (error: FailoverError, attempt: number, delayMs: number) => void;
}

export const isRetriable = (error: unknown): error is FailoverError => error instanceof FailoverError && error.retriable;

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock, deadline, maxAttempts = 8, baseDelayMs = 100, maxDelayMs = 2_000 } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isRetriable(error) || options.signal?.aborted) throw error;
      if (attempt >= maxAttempts && !options.untilDeadline?.(error)) throw error;
      const delay = Math.floor(clock.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      if (clock.now() + delay >= deadline) throw error;
      options.onRetry?.(error, attempt, delay);
      await clock.sleep(delay);
    }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
