/**
 * A discrete-event clock: `sleep` waits for simulated time, and time only moves when every task is
 * waiting. Concurrent sleepers (the probe loop, background SSM polls, the engine's verification)
 * then overlap as they would in real time, where a clock whose sleep advances at once would add
 * their waits up.
 */
import type { Clock } from '../shared/core/ports.js';

export interface SimClock extends Clock {
  /** Drives `work` to completion, advancing time from timer to timer. */
  drive<T>(work: Promise<T>): Promise<T>;
  /**
   * Marks `work` as outside the simulation (real I/O, such as a request to an in-process DynamoDB):
   * time does not move while it is under way, so it takes no simulated time and the run stays
   * deterministic whatever the I/O takes.
   */
  external<T>(work: Promise<T>): Promise<T>;
}

const idle = () => new Promise<void>((resolve) => setImmediate(resolve));

export function simClock(start = 1_700_000_000_000, random: () => number = () => 0.5): SimClock {
  let now = start;
  let seq = 0;
  const timers: { at: number; seq: number; resolve: () => void }[] = [];
  const outside = new Set<Promise<unknown>>();
  return {
    now: () => now,
    random,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        timers.push({ at: now + Math.max(0, ms), seq: seq++, resolve });
      }),
    external<T>(work: Promise<T>): Promise<T> {
      const tracked = work.finally(() => outside.delete(tracked));
      tracked.catch(() => undefined);
      outside.add(tracked);
      return work;
    },
    async drive<T>(work: Promise<T>): Promise<T> {
      let done = false;
      const settled = work.finally(() => {
        done = true;
      });
      settled.catch(() => undefined);
      for (;;) {
        await idle();
        await idle();
        if (done) return settled;
        if (outside.size > 0) {
          await Promise.allSettled([...outside]);
          continue;
        }
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers.shift();
        if (!next) throw new Error('simClock: the work is waiting on something other than the clock');
        now = Math.max(now, next.at);
        next.resolve();
      }
    },
  };
}
