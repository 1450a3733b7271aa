/** A deterministic clock for tests: sleep advances time at once and is recorded; random is fixed. */
import type { Clock } from '../shared/core/ports.js';

export interface ManualClock extends Clock {
  /** Every wait asked for, in order. */
  readonly sleeps: number[];
  advance(ms: number): void;
}

export function manualClock(start = 1_700_000_000_000, random = 0.5): ManualClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
    random: () => random,
  };
}
