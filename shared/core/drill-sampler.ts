/**
 * What a drill measures: the sensor checks the group's address on a fixed cadence (200 ms) while a
 * leg runs, without waiting for the previous check, since a check that gets no answer takes the
 * sensor's whole connect timeout. From the checks, by the time each was sent: when the address
 * answered again after the switch, and the longest stretch it did not answer.
 */
import { FailoverError } from '../errors.js';
import type { Clock, DataPlanePort } from './ports.js';

/** One sensor check: when it was sent, and what came back (`unknown`: the sensor could not try). */
export interface Check {
  readonly at: number;
  readonly result: 'ok' | 'fail' | 'unknown';
}

export interface SamplerTarget {
  readonly id: string;
  readonly ip: string;
  readonly ports: readonly number[];
}

export interface Sampler {
  /** Stops sending checks and waits for those in flight. The checks, by send time. */
  stop(): Promise<readonly Check[]>;
  /** Resolves at the first answered check sent after `since` (one sent at the same instant may have met the old holder), or at `deadline` (then undefined). */
  answeredSince(since: number, deadline: number): Promise<number | undefined>;
  /**
   * Resolves at the start of the first run of answered checks sent after `since` that lasts
   * `steadyMs`, with no failed check and none still in flight inside it; at `deadline`, undefined.
   * The first answer after a switch call may still come from the old holder (EC2 remaps an address
   * asynchronously): the gap, if any, comes after it, and only a steady run says the move is over.
   */
  steadySince(since: number, steadyMs: number, deadline: number): Promise<number | undefined>;
}

/** At most this many checks in flight: with a 1 s connect timeout and a 200 ms cadence, 5 are. */
const MAX_IN_FLIGHT = 8;

export function startSampler(dataPlane: DataPlanePort, target: SamplerTarget, clock: Clock, intervalMs: number): Sampler {
  const checks: Check[] = [];
  /** Every check by send time, its result once it came back. */
  const sent: { at: number; result?: Check['result'] }[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const send = () => {
    const at = clock.now();
    const entry: { at: number; result?: Check['result'] } = { at };
    sent.push(entry);
    const check = dataPlane
      .reach(target)
      .catch((error: unknown) => {
        if (!(error instanceof FailoverError)) throw error;
        return 'unknown' as const;
      })
      .then((result) => {
        entry.result = result;
        checks.push({ at, result });
      });
    inFlight.add(check);
    void check.finally(() => inFlight.delete(check)).catch(() => undefined);
  };
  const loop = (async () => {
    while (!stopped) {
      if (inFlight.size < MAX_IN_FLIGHT) send();
      await clock.sleep(intervalMs);
    }
  })();
  const answered = (since: number) => checks.filter((c) => c.result === 'ok' && c.at > since).reduce<number | undefined>((first, c) => (first === undefined || c.at < first ? c.at : first), undefined);
  return {
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...inFlight]);
      return [...checks].sort((a, b) => a.at - b.at);
    },
    async steadySince(since, steadyMs, deadline) {
      for (;;) {
        const at = steadyStart(sent, since, steadyMs);
        if (at !== undefined || clock.now() >= deadline) return at;
        await clock.sleep(Math.min(intervalMs, Math.max(1, deadline - clock.now())));
      }
    },
    async answeredSince(since, deadline) {
      for (;;) {
        const at = answered(since);
        if (at !== undefined || clock.now() >= deadline) return at;
        await clock.sleep(Math.min(intervalMs, Math.max(1, deadline - clock.now())));
      }
    },
  };
}

/**
 * The longest stretch without an answer: from the first failed check after an answered one (or
 * the first check) to the next answered check, by send time. A stretch still open at `end` counts
 * to `end`. Checks the sensor could not make are left out: they say nothing about the address.
 */
export function longestGap(checks: readonly Check[], end: number): number {
  let longest = 0;
  let since: number | undefined;
  for (const check of checks) {
    if (check.result === 'unknown') continue;
    if (check.result === 'fail') since ??= check.at;
    else if (since !== undefined) {
      longest = Math.max(longest, check.at - since);
      since = undefined;
    }
  }
  return since === undefined ? longest : Math.max(longest, end - since);
}

/**
 * The start of the first run of answered checks sent after `since` lasting `steadyMs` (by send
 * time): a failed check ends a run, one the sensor could not make says nothing, and one still in
 * flight ends the search (its answer may yet be a failure).
 */
export function steadyStart(checks: readonly { readonly at: number; readonly result?: Check['result'] }[], since: number, steadyMs: number): number | undefined {
  let start: number | undefined;
  for (const check of checks) {
    if (check.at <= since || check.result === 'unknown') continue;
    if (check.result === undefined) return undefined;
    if (check.result === 'fail') {
      start = undefined;
      continue;
    }
    start ??= check.at;
    if (check.at - start >= steadyMs) return start;
  }
  return undefined;
}
