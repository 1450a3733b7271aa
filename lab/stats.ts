/**
 * What the clients' request logs say: the outage around a fault, and percentiles over trials.
 * Pure functions of the samples, so the measurement itself is unit-tested.
 */

/** One request a client sent. */
export interface Sample {
  /** When it was sent (epoch ms). */
  readonly at: number;
  /** Whether an answer came back within the client's timeout. */
  readonly ok: boolean;
  /** Who answered (the node's name, or the address the echo server saw). */
  readonly by?: string;
}

export interface Outage {
  /** The first failed request of the run. */
  readonly startAt: number;
  /** The first request answered after it; undefined if none was. */
  readonly endAt: number | undefined;
  /** endAt - startAt, or up to the last request sent when it never recovered. */
  readonly ms: number;
  readonly failed: number;
}

/**
 * The longest run of failed requests around a fault: runs that have a request sent at or after
 * `faultAt - lookbackMs` (a request sent just before the fault can fail because of it). Requests
 * are taken in the order they were sent. Undefined when no such request failed.
 */
export function outageAround(samples: readonly Sample[], faultAt: number, lookbackMs = 0): Outage | undefined {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  let best: Outage | undefined;
  let runStart: number | undefined;
  let failed = 0;
  let lastFailAt = Number.NEGATIVE_INFINITY;
  const close = (endAt: number | undefined, lastAt: number) => {
    if (runStart === undefined || lastFailAt < faultAt - lookbackMs) return;
    const ms = (endAt ?? lastAt) - runStart;
    if (!best || ms > best.ms) best = { startAt: runStart, endAt, ms, failed };
  };
  for (const sample of sorted) {
    if (!sample.ok) {
      runStart ??= sample.at;
      failed += 1;
      lastFailAt = sample.at;
      continue;
    }
    close(sample.at, sample.at);
    runStart = undefined;
    failed = 0;
  }
  close(undefined, sorted.at(-1)?.at ?? 0);
  return best;
}

/** Nearest-rank percentile (p in 0..100) of the values; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
