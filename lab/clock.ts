/**
 * The controller's clock in the lab: real time, real sleeps, injected randomness, and an end. The
 * probe loop runs until a deadline it was given, so to finish a trial as soon as its outcome is in,
 * `end()` moves this clock past every deadline: loops, polls and retries see their time is up and
 * return at their next look at the clock, and every pending sleep wakes at once.
 */
import type { Clock } from '../shared/core/ports.js';

export interface LabClock extends Clock {
  /** Ends the controller's time; irreversible. */
  end(): void;
  readonly ended: boolean;
}

/** Far past any deadline a run or an invocation can have (a day). */
const PAST_EVERY_DEADLINE_MS = 86_400_000;

export function labClock(random: () => number, now: () => number = Date.now): LabClock {
  const sleeping = new Map<NodeJS.Timeout, () => void>();
  let ended = false;
  return {
    now: () => now() + (ended ? PAST_EVERY_DEADLINE_MS : 0),
    random,
    get ended() {
      return ended;
    },
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        if (ended) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          sleeping.delete(timer);
          resolve();
        }, Math.max(0, ms));
        sleeping.set(timer, resolve);
      }),
    end() {
      ended = true;
      for (const [timer, resolve] of sleeping) {
        clearTimeout(timer);
        resolve();
      }
      sleeping.clear();
    },
  };
}
